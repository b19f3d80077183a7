"""Quick replies and priority levels (Intercom 2.14 and 2.16)

A part keeps its metadata: the quick reply options an admin sent, or the one a contact chose
(2.14). A conversation's priority is stored as 2.16's levels (none, low, medium, high, urgent)
instead of the flag the versions before show (render/versions/changes.py reads it back as one): a
priority conversation is high.

Revision ID: 0007_quick_replies_priority
Revises: 0006_versioned_documents
Create Date: 2026-12-03 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_quick_replies_priority"
down_revision = "0006_versioned_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, nullable: SQLite adds it in place (batch mode would copy the table).
    op.add_column("conversation_parts", sa.Column("metadata", sa.JSON(), nullable=True))
    op.execute(
        "UPDATE conversations SET priority = CASE priority WHEN 'priority' THEN 'high' ELSE 'none' END"
        " WHERE priority IN ('priority', 'not_priority')"
    )


def downgrade() -> None:
    op.execute("UPDATE conversations SET priority = CASE priority WHEN 'none' THEN 'not_priority' ELSE 'priority' END")
    op.drop_column("conversation_parts", "metadata")  # SQLite 3.35+ drops a column in place
