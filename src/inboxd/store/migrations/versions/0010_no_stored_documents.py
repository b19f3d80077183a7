"""Reads never write: rendered conversation documents are no longer kept in the database

A cold GET used to store the document it drew (a durable write per read); documents are now kept
only in each worker's memory, under the conversation's version (api/render_cache.py). The table
was a cache: dropping it loses nothing.

Revision ID: 0010_no_stored_documents
Revises: 0009_id_floors
Create Date: 2026-12-03 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_no_stored_documents"
down_revision = "0009_id_floors"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.drop_table("conversation_documents")


def downgrade() -> None:
    op.create_table(
        "conversation_documents",
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("shape", sa.String(8), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
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
        sa.PrimaryKeyConstraint("conversation_id", "shape", name=op.f("pk_conversation_documents")),
    )
