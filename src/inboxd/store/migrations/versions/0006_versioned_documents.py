"""Several Intercom versions: each workspace has a default version (the workspace file's
default_version), and a stored document is kept per shape it was drawn in

A conversation's rendered document depends on the version asked for (render/versions/): the
documents table gains the shape to its primary key. It is a cache, so it is made anew, empty.

Revision ID: 0006_versioned_documents
Revises: 0005_drop_created_at_index
Create Date: 2026-12-03 15:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_versioned_documents"
down_revision = "0005_drop_created_at_index"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _documents(*key: str, shape: bool) -> None:
    columns: list[Any] = [
        sa.Column("conversation_id", ID, nullable=False),
        *([sa.Column("shape", sa.String(8), nullable=False)] if shape else []),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
    ]
    op.create_table(
        "conversation_documents",
        *columns,
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_documents_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_conversation_documents_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_conversation_documents")),
    )


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite takes one with a constant default): batch mode would copy the table
    # and drop the original, which every table's foreign key names.
    op.add_column("workspaces", sa.Column("default_version", sa.String(16), nullable=False, server_default="2.10"))
    op.drop_table("conversation_documents")
    _documents("conversation_id", "shape", shape=True)


def downgrade() -> None:
    op.drop_table("conversation_documents")
    _documents("conversation_id", shape=False)
    op.drop_column("workspaces", "default_version")  # SQLite 3.35+ drops a column in place
