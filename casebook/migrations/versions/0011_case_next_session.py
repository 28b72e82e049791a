"""the next session is booked on the case, where it can be moved

It was only in notes, and a signed note is locked: a session a client moved could not be
moved in Casebook, and one moved earlier never showed as upcoming (the latest booking of
any note was taken). The case now holds its booking; here it starts as that latest one.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("next_session_on", sa.Date(), nullable=True))
    op.create_index("ix_cases_next_session_on", "cases", ["next_session_on"])
    op.execute(
        "UPDATE cases SET next_session_on = (SELECT max(session_notes.next_session_on) "
        "FROM session_notes WHERE session_notes.case_id = cases.id)"
    )


def downgrade() -> None:
    op.drop_index("ix_cases_next_session_on", "cases")
    op.drop_column("cases", "next_session_on")
