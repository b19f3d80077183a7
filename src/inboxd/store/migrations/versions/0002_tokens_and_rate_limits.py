"""tokens made and revoked from the command line; per-token rate-limit counters

Revision ID: 0002_tokens_and_rate_limits
Revises: 0001
Create Date: 2026-11-27 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_tokens_and_rate_limits"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=8), server_default="file", nullable=False))

    op.create_table(
        "revoked_tokens",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_revoked_tokens_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_revoked_tokens")),
    )
    op.create_table(
        "rate_limits",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("token_sha256", "window_start", name=op.f("pk_rate_limits")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
    op.drop_table("revoked_tokens")
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_column("origin")
