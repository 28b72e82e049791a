"""Security: login lockout, forced password change, settings, audit trail, encrypted text

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Clinical free text that was plain in 0001 and is stored encrypted from here on.
ENCRYPTED = [("cases", "presenting_concern"), ("cases", "closing_note"), ("stage_events", "reason")]


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("users", sa.Column("locked_until", sa.DateTime(), nullable=True))
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "practice_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
        sa.Column("user_id", sa.Integer(), nullable=True, index=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False, index=True),
        sa.Column("case_id", sa.Integer(), nullable=True, index=True),
        sa.Column("client_id", sa.Integer(), nullable=True, index=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    bind = op.get_bind()
    cipher = bind.dialect.casebook_cipher
    for table, column in ENCRYPTED:
        rows = bind.execute(
            sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")
        ).all()
        for row_id, value in rows:
            bind.execute(
                sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                {"v": cipher.encrypt(value), "id": row_id},
            )


def downgrade() -> None:
    bind = op.get_bind()
    cipher = bind.dialect.casebook_cipher
    for table, column in ENCRYPTED:
        rows = bind.execute(
            sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")
        ).all()
        for row_id, value in rows:
            bind.execute(
                sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                {"v": cipher.decrypt(value), "id": row_id},
            )
    op.drop_table("audit_events")
    op.drop_table("practice_settings")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
