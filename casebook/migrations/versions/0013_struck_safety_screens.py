"""safety screens struck out as recorded in error, kept apart

A screen recorded for the wrong partner (the other partner's answers) set that client's flag
and showed as theirs for good: a new screen could only outdate it.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "struck_safety_screens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("screened_on", sa.Date(), nullable=False),
        sa.Column("screened_by", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("struck_at", sa.DateTime(), nullable=False),
        sa.Column("struck_by", sa.Integer(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["screened_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["struck_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_struck_safety_screens_client_id", "struck_safety_screens", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_struck_safety_screens_client_id", "struck_safety_screens")
    op.drop_table("struck_safety_screens")
