"""search and read speed: a per-workspace conversation count, inbox indexes (assignee, state,
updated_at), created_at ranges that carry updated_at, covering indexes from a contact, teammate or
tag to its conversations, and rendered conversation documents

Revision ID: 0003_search_indexes_and_counts
Revises: 0002_tokens_and_rate_limits
Create Date: 2026-11-25 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_search_indexes_and_counts"
down_revision = "0002_tokens_and_rate_limits"
branch_labels = None
depends_on = None

# (table, value column): the index (workspace_id, value) becomes (workspace_id, value, conversation_id).
RELATED = (
    ("conversation_contacts", "contact_id"),
    ("conversation_teammates", "admin_id"),
    ("conversation_tags", "tag_id"),
)
ASSIGNEES = ("admin_assignee_id", "team_assignee_id")


def upgrade() -> None:
    # Plain ALTER TABLE on both engines (SQLite ≥ 3.35 drops columns too): a batch table copy would
    # trip the foreign keys that point at workspaces.
    op.add_column("workspaces", sa.Column("conversation_count", sa.BigInteger(), server_default="0", nullable=False))
    op.execute(
        "UPDATE workspaces SET conversation_count = "
        "(SELECT count(*) FROM conversations WHERE conversations.workspace_id = workspaces.id)"
    )
    for assignee in ASSIGNEES:
        op.create_index(
            op.f(f"ix_conversations_workspace_id_{assignee}_state_updated_at"),
            "conversations",
            ["workspace_id", assignee, "state", "updated_at"],
        )
    op.create_index(
        op.f("ix_conversations_workspace_id_created_at_updated_at_id"),
        "conversations",
        ["workspace_id", "created_at", "updated_at", "id"],
    )
    op.drop_index(op.f("ix_conversations_workspace_id_created_at_id"), table_name="conversations")
    op.create_table(
        "conversation_documents",
        sa.Column("conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_documents_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_conversation_documents_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_documents")),
    )
    for table, column in RELATED:
        op.create_index(
            op.f(f"ix_{table}_workspace_id_{column}_conversation_id"),
            table,
            ["workspace_id", column, "conversation_id"],
        )
        op.drop_index(op.f(f"ix_{table}_workspace_id_{column}"), table_name=table)


def downgrade() -> None:
    op.drop_table("conversation_documents")
    for table, column in RELATED:
        op.create_index(op.f(f"ix_{table}_workspace_id_{column}"), table, ["workspace_id", column])
        op.drop_index(op.f(f"ix_{table}_workspace_id_{column}_conversation_id"), table_name=table)
    op.create_index(
        op.f("ix_conversations_workspace_id_created_at_id"), "conversations", ["workspace_id", "created_at", "id"]
    )
    op.drop_index(op.f("ix_conversations_workspace_id_created_at_updated_at_id"), table_name="conversations")
    for assignee in ASSIGNEES:
        op.drop_index(op.f(f"ix_conversations_workspace_id_{assignee}_state_updated_at"), table_name="conversations")
    op.drop_column("workspaces", "conversation_count")
