"""Every primary and unique key includes workspace_id, and the foreign keys between a workspace's
tables name it too: the schema can be distributed by workspace on Citus (docs/deployment.md)

PostgreSQL: each key gains workspace_id after its own columns, so a lookup by id alone, or by the
old key's columns, is still a probe of the key's index; the foreign keys between a workspace's
tables become (x_id, workspace_id) → (id, workspace_id), which is what Citus needs to keep a
workspace's rows on one node. The constraints keep their names; the rows are not touched.

SQLite: only the two unique keys change (tables rebuilt, rows copied). Its numbered tables keep
`id INTEGER PRIMARY KEY`, which is what numbers their rows, and the single-column foreign keys that
name it: a single-file database has nothing to distribute (docs/decisions.md).

Revision ID: 0012_workspace_keys
Revises: 0011_message_recipients
Create Date: 2026-12-03 21:00:00
"""

import warnings

from alembic import op

revision = "0012_workspace_keys"
down_revision = "0011_message_recipients"
branch_labels = None
depends_on = None

# Tables whose key is a numbered id (or contacts' string id): the key becomes (id, workspace_id).
_ID_KEYED = (
    "admins",
    "teams",
    "contacts",
    "tags",
    "ticket_types",
    "ticket_type_attributes",
    "messages",
    "assignment_rules",
    "conversations",
    "conversation_parts",
    "tickets",
    "attachments",
)
# Tables whose key is made of other columns: workspace_id joins it, last.
_COMPOSITE_KEYED = {
    "team_members": ("team_id", "admin_id"),
    "conversation_contacts": ("conversation_id", "contact_id"),
    "conversation_teammates": ("conversation_id", "admin_id"),
    "conversation_tags": ("conversation_id", "tag_id"),
    "message_recipients": ("message_id", "position"),
}
# (table, column, referred table): the foreign keys between a workspace's tables.
_FOREIGN_KEYS = (
    ("assignment_rules", "team_id", "teams"),
    ("messages", "contact_id", "contacts"),
    ("team_members", "team_id", "teams"),
    ("team_members", "admin_id", "admins"),
    ("ticket_type_attributes", "ticket_type_id", "ticket_types"),
    ("conversations", "source_id", "messages"),
    ("conversation_contacts", "conversation_id", "conversations"),
    ("conversation_contacts", "contact_id", "contacts"),
    ("conversation_parts", "conversation_id", "conversations"),
    ("conversation_tags", "conversation_id", "conversations"),
    ("conversation_tags", "tag_id", "tags"),
    ("conversation_teammates", "conversation_id", "conversations"),
    ("conversation_teammates", "admin_id", "admins"),
    ("conversation_tokens", "conversation_id", "conversations"),
    ("tickets", "conversation_id", "conversations"),
    ("tickets", "ticket_type_id", "ticket_types"),
    ("message_recipients", "message_id", "messages"),
    ("message_recipients", "contact_id", "contacts"),
)
# (table, columns before, columns after): the unique keys that did not include workspace_id.
_UNIQUE_KEYS = (
    ("tickets", ("conversation_id",), ("conversation_id", "workspace_id")),
    ("attachments", ("token",), ("token", "workspace_id")),
)


def _unique_name(table: str, columns: tuple[str, ...]) -> str:
    return f"uq_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for table, before, after in _UNIQUE_KEYS:
            _rebuild_unique(table, before, after)
        return
    _keys(with_workspace=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for table, before, after in _UNIQUE_KEYS:
            _rebuild_unique(table, after, before)
        return
    _keys(with_workspace=False)


def _rebuild_unique(table: str, old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """SQLite: the table copied with its new unique key. Reflecting it reflects the conversations
    it names, whose expression index SQLAlchemy skips with a warning: the copy does not touch it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.drop_constraint(_unique_name(table, old), type_="unique")
            batch.create_unique_constraint(_unique_name(table, new), list(new))


def _keys(with_workspace: bool) -> None:
    """PostgreSQL: the foreign keys go first (they lean on the keys' indexes), the keys are
    rebuilt, and the foreign keys come back naming what the keys now are."""
    tail = ", workspace_id" if with_workspace else ""
    for table, column, referred in _FOREIGN_KEYS:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_{column}_{referred}")
    keys = {table: ("id",) for table in _ID_KEYED} | _COMPOSITE_KEYED
    for table, columns in keys.items():
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}, "
            f"ADD CONSTRAINT pk_{table} PRIMARY KEY ({', '.join(columns)}{tail})"
        )
    for table, before, after in _UNIQUE_KEYS:
        old, new = (before, after) if with_workspace else (after, before)
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {_unique_name(table, old)}, "
            f"ADD CONSTRAINT {_unique_name(table, new)} UNIQUE ({', '.join(new)})"
        )
    for table, column, referred in _FOREIGN_KEYS:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_{column}_{referred} "
            f"FOREIGN KEY ({column}{tail}) REFERENCES {referred} (id{tail})"
        )
