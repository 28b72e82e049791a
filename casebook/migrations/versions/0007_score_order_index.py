"""each client's scores in date order, with what a first-and-latest look-up reads

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Replaces the index on client_id alone, which it starts with: a client's first and latest
    # score on each measure become one step into this index, with no sorting and no table read.
    op.create_index(
        "ix_measure_scores_client_order",
        "measure_scores",
        ["client_id", "scored_on", "id", "measure_id", "total"],
    )
    op.drop_index("ix_measure_scores_client_id", "measure_scores")


def downgrade() -> None:
    op.create_index("ix_measure_scores_client_id", "measure_scores", ["client_id"])
    op.drop_index("ix_measure_scores_client_order", "measure_scores")
