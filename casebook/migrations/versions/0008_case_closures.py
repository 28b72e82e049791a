"""earlier closings of reopened cases, kept

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.Column("reopened_on", sa.Date(), nullable=False),
        sa.Column("reopened_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["reopened_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_closures_case_id", "case_closures", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_closures_case_id", "case_closures")
    op.drop_table("case_closures")
