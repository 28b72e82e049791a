"""stage moves struck out as recorded in error, kept apart

A move recorded for the wrong partner, to the wrong stage or on the wrong day stayed in the
client's history and charts for good: moving back only added a second move.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "struck_stage_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("moved_on", sa.Date(), nullable=False),
        sa.Column("moved_by", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("struck_at", sa.DateTime(), nullable=False),
        sa.Column("struck_by", sa.Integer(), nullable=False),
        sa.Column("struck_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["moved_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["struck_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_struck_stage_events_client_id", "struck_stage_events", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_struck_stage_events_client_id", "struck_stage_events")
    op.drop_table("struck_stage_events")
