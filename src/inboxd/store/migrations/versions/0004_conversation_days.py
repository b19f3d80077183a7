"""created_at ranges in O(days): conversations created per workspace and day (with their first and
last ids), and an index that reads one day's conversations newest-updated first; inbox indexes
that also carry id and created_at (covering for search)

Revision ID: 0004_conversation_days
Revises: 0003_search_indexes_and_counts
Create Date: 2026-11-25 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_conversation_days"
down_revision = "0003_search_indexes_and_counts"
branch_labels = None
depends_on = None

INDEX = "ix_conversations_workspace_id_created_day_updated_at"
ASSIGNEES = ("admin_assignee_id", "team_assignee_id")


def upgrade() -> None:
    op.create_table(
        "conversation_days",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.BigInteger(), nullable=False),
        sa.Column("conversations", sa.BigInteger(), nullable=False),
        sa.Column("first_id", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_conversation_days_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("workspace_id", "day", name=op.f("pk_conversation_days")),
        sqlite_with_rowid=False,
    )
    # The conversations already stored (tables.CREATED_DAY: integer division, both engines).
    op.execute(
        "INSERT INTO conversation_days (workspace_id, day, conversations, first_id, last_id) "
        "SELECT workspace_id, created_at / 86400, count(*), min(id), max(id) FROM conversations "
        "GROUP BY workspace_id, created_at / 86400"
    )
    op.create_index(
        INDEX,
        "conversations",
        ["workspace_id", sa.text("(created_at / 86400)"), "updated_at", "id", "created_at"],
    )
    for assignee in ASSIGNEES:
        op.create_index(
            op.f(f"ix_conversations_workspace_id_{assignee}_state_updated_at_id_created_at"),
            "conversations",
            ["workspace_id", assignee, "state", "updated_at", "id", "created_at"],
        )
        op.drop_index(op.f(f"ix_conversations_workspace_id_{assignee}_state_updated_at"), table_name="conversations")
    refresh_sqlite_statistics()


def refresh_sqlite_statistics() -> None:
    """A SQLite database that was ever ANALYZEd (`inboxd seed` does) keeps statistics for the old
    indexes only, and the planner takes an index without statistics for a very selective one: it
    then listed `GET /conversations` from the new day index and sorted every conversation, a
    fraction of the rate (docs/decisions.md, Performance: "Migration 0004 re-analyzes"). Fresh
    statistics for the changed tables; a database without statistics keeps using none."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL's autovacuum analyzes the new indexes; its planner does not trust absent stats
    if bind.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first() is None:
        return
    for table in ("conversations", "conversation_days"):
        bind.exec_driver_sql(f"ANALYZE {table}")


def downgrade() -> None:
    for assignee in ASSIGNEES:
        op.create_index(
            op.f(f"ix_conversations_workspace_id_{assignee}_state_updated_at"),
            "conversations",
            ["workspace_id", assignee, "state", "updated_at"],
        )
        op.drop_index(
            op.f(f"ix_conversations_workspace_id_{assignee}_state_updated_at_id_created_at"),
            table_name="conversations",
        )
    op.drop_index(INDEX, table_name="conversations")
    op.drop_table("conversation_days")
