"""An admin's message may go to several contacts, with cc and bcc (2.14's `create_message_request`):
`message_recipients` holds them in order, and an email's conversation keeps the addresses it went
to (`conversations.source_recipients`, 2.16's `source.recipients`)

Every admin message sent before had one recipient, its `contact_id`: it gets that row (`to`, at the
contact's email now, the only address known), so that any `to` contact answering finds its message
the one way. Conversations opened before keep no addresses (null, as for every source before).

Revision ID: 0011_message_recipients
Revises: 0010_no_stored_documents
Create Date: 2026-12-03 20:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_message_recipients"
down_revision = "0010_no_stored_documents"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "message_recipients",
        sa.Column("workspace_id", Id, nullable=False),
        sa.Column("message_id", Id, autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("contact_id", sa.String(24), nullable=False),
        sa.Column("email", sa.String(255), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_message_recipients_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_recipients_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_message_recipients_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("message_id", "position", name=op.f("pk_message_recipients")),
    )
    with op.batch_alter_table("message_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_recipients_workspace_id_contact_id"), ["workspace_id", "contact_id"], unique=False
        )
    op.execute(
        "INSERT INTO message_recipients (workspace_id, message_id, position, role, contact_id, email) "
        "SELECT m.workspace_id, m.id, 0, 'to', m.contact_id, "
        "(SELECT c.email FROM contacts c WHERE c.id = m.contact_id AND c.workspace_id = m.workspace_id) "
        "FROM messages m WHERE m.kind = 'admin_message'"
    )
    op.add_column("conversations", sa.Column("source_recipients", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("conversations", "source_recipients")
    with op.batch_alter_table("message_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_recipients_workspace_id_contact_id"))
    op.drop_table("message_recipients")
