"""session notes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 02:36:40.563014
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("session_at", sa.DateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("attendance", sa.String(length=20), nullable=False),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("note_format", sa.String(length=10), nullable=False),
        sa.Column("sections", sa.Text(), nullable=False),
        sa.Column("focus", sa.Text(), nullable=False),
        sa.Column("risk_level", sa.String(length=10), nullable=False),
        sa.Column("risk_notes", sa.Text(), nullable=False),
        sa.Column("rescreen", sa.Boolean(), nullable=False),
        sa.Column("next_session_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=True),
        sa.Column("signed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "risk_level IN ('none', 'low', 'moderate', 'high')", name="ck_notes_risk"
        ),
        sa.CheckConstraint("status IN ('draft', 'signed')", name="ck_notes_status"),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["signed_by"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("session_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_notes_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_session_notes_next_session_on"), ["next_session_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_session_notes_session_at"), ["session_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_session_notes_status"), ["status"], unique=False)

    op.create_table(
        "note_addenda",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["session_notes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("note_addenda", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_addenda_note_id"), ["note_id"], unique=False)

    op.create_table(
        "psychotherapy_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["session_notes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("note_id"),
    )


def downgrade() -> None:
    op.drop_table("psychotherapy_notes")
    with op.batch_alter_table("note_addenda", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_addenda_note_id"))

    op.drop_table("note_addenda")
    with op.batch_alter_table("session_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_notes_status"))
        batch_op.drop_index(batch_op.f("ix_session_notes_session_at"))
        batch_op.drop_index(batch_op.f("ix_session_notes_next_session_on"))
        batch_op.drop_index(batch_op.f("ix_session_notes_case_id"))

    op.drop_table("session_notes")
