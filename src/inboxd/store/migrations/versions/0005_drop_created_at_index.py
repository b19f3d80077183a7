"""Writes maintain one index fewer: (workspace_id, created_at, updated_at, id) goes; a created_at
range is read from the day index of 0004, which holds the same keys (searches say which days)

Every reply, close or open moves a conversation's updated_at, and so its entry in each index that
holds updated_at: six of them, each SQLite's work while the write lock is held (measured:
docs/decisions.md, Performance, "Migration 0005").

Revision ID: 0005_drop_created_at_index
Revises: 0004_conversation_days
Create Date: 2026-11-25 13:00:00
"""

from alembic import op

revision = "0005_drop_created_at_index"
down_revision = "0004_conversation_days"
branch_labels = None
depends_on = None

INDEX = "ix_conversations_workspace_id_created_at_updated_at_id"


def upgrade() -> None:
    # SQLite drops the index's statistics with it; the other indexes' stay valid.
    op.drop_index(INDEX, table_name="conversations")


def downgrade() -> None:
    op.create_index(INDEX, "conversations", ["workspace_id", "created_at", "updated_at", "id"])
