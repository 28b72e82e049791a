"""indexes for a group practice: each case's latest session and booked session

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_session_notes_case_session", "session_notes", ["case_id", "session_at"])
    op.create_index("ix_session_notes_case_next", "session_notes", ["case_id", "next_session_on"])


def downgrade() -> None:
    op.drop_index("ix_session_notes_case_next", "session_notes")
    op.drop_index("ix_session_notes_case_session", "session_notes")
