"""A workspace and what it holds besides its conversations: its tokens (live and revoked) and
their rate-limit counts, its admins and teams, contacts, tags, ticket types, messages and
assignment rules."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from inboxd.store.tables.common import Id, metadata

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("id_code", String(32), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # How many conversations the workspace holds, kept by the transactions that add and delete one: the list's
    # total_count and the search planner's sizes in O(1) (migration 0003).
    Column("conversation_count", BigInteger, nullable=False, default=0, server_default="0"),
    # The Intercom version a request without an Intercom-Version header is answered in (migration 0006).
    Column("default_version", String(16), nullable=False, server_default="2.10"),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    # SHA-256 of the token: a leaked database does not leak working credentials.
    Column("token_sha256", String(64), primary_key=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # "file": listed in the workspace file, which owns it (dropped from the file = revoked);
    # "cli": made by `inboxd token create`, which applying the file leaves alone.
    Column("origin", String(8), nullable=False, default="file", server_default="file"),
    Index(None, "workspace_id"),
)

admins = Table(
    "admins",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("email", String(255), nullable=False),
    # "admin" for teammates; "bot" for the workspace's Operator, which authors automatic parts.
    Column("kind", String(8), nullable=False, default="admin"),
    Column("job_title", String(255), nullable=True),
    Column("away_mode_enabled", Boolean, nullable=False, default=False),
    Column("away_mode_reassign", Boolean, nullable=False, default=False),
    Column("has_inbox_seat", Boolean, nullable=False, default=True),
    Column("avatar", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("workspace_id", "email"),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("workspace_id", "name"),
)

team_members = Table(
    "team_members",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("team_id", Id, nullable=False),
    Column("admin_id", Id, nullable=False),
    Index(None, "workspace_id", "admin_id"),
    PrimaryKeyConstraint("team_id", "admin_id", "workspace_id"),
    ForeignKeyConstraint(["team_id", "workspace_id"], ["teams.id", "teams.workspace_id"]),
    ForeignKeyConstraint(["admin_id", "workspace_id"], ["admins.id", "admins.workspace_id"]),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("external_id", String(255), nullable=True),
    Column("email", String(255), nullable=True),
    Column("phone", String(64), nullable=True),
    Column("name", String(255), nullable=True),
    Column("avatar", Text, nullable=True),
    Column("owner_id", BigInteger, nullable=True),
    Column("unsubscribed_from_emails", Boolean, nullable=False, default=False),
    Column("signed_up_at", BigInteger, nullable=True),
    Column("last_seen_at", BigInteger, nullable=True),
    Column("custom_attributes", JSON, nullable=False, default=dict),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("workspace_id", "external_id"),
    Index(None, "workspace_id", "email"),
    Index(None, "workspace_id", "created_at", "id"),
)

tags = Table(
    "tags",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("name", String(255), nullable=False),
    # Intercom tag names are case-insensitive: "VIP" and "vip" are one tag.
    Column("name_folded", String(255), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("workspace_id", "name_folded"),
)

ticket_types = Table(
    "ticket_types",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("icon", String(64), nullable=False),
    Column("category", String(32), nullable=False),
    Column("is_internal", Boolean, nullable=False, default=False),
    Column("archived", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index(None, "workspace_id", "id"),
)

ticket_type_attributes = Table(
    "ticket_type_attributes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("ticket_type_id", Id, nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("data_type", String(32), nullable=False),
    Column("input_options", JSON, nullable=False, default=dict),
    Column("order", Integer, nullable=False),
    Column("required_to_create", Boolean, nullable=False, default=False),
    Column("required_to_create_for_contacts", Boolean, nullable=False, default=False),
    Column("visible_on_create", Boolean, nullable=False, default=True),
    Column("visible_to_contacts", Boolean, nullable=False, default=True),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("archived", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index(None, "workspace_id", "ticket_type_id"),
    ForeignKeyConstraint(["ticket_type_id", "workspace_id"], ["ticket_types.id", "ticket_types.workspace_id"]),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    # "user_message" (a contact wrote it) or "admin_message" (POST /messages).
    Column("kind", String(16), nullable=False),
    Column("message_type", String(16), nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("body", Text, nullable=False),
    Column("author_type", String(16), nullable=False),
    Column("author_id", String(32), nullable=False),
    Column("contact_id", String(24), nullable=False),
    # Set once the message has a conversation: at once for contacts, on the contact's reply (or
    # create_conversation_without_contact_reply) for admin messages.
    Column("conversation_id", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "workspace_id", "contact_id", "created_at"),
    ForeignKeyConstraint(["contact_id", "workspace_id"], ["contacts.id", "contacts.workspace_id"]),
)


# Whom an admin's message went to (2.14+: `to` may list several contacts, with `cc` and `bcc`), in
# the order given: any of its `to` contacts answering opens its conversation, and an email's
# conversation shows the addresses it went to (`source.recipients`).
message_recipients = Table(
    "message_recipients",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("message_id", Id, nullable=False, autoincrement=False),
    Column("position", Integer, nullable=False),
    Column("role", String(8), nullable=False),  # to, cc or bcc
    Column("contact_id", String(24), nullable=False),
    Column("email", String(255), nullable=True),  # the address it was sent to: the contact's then
    Index(None, "workspace_id", "contact_id"),
    PrimaryKeyConstraint("message_id", "position", "workspace_id"),
    ForeignKeyConstraint(["message_id", "workspace_id"], ["messages.id", "messages.workspace_id"]),
    ForeignKeyConstraint(["contact_id", "workspace_id"], ["contacts.id", "contacts.workspace_id"]),
)


assignment_rules = Table(
    "assignment_rules",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("name", String(255), nullable=False),
    Column("conditions", JSON, nullable=False),
    Column("team_id", Id, nullable=False),
    Column("round_robin", Boolean, nullable=False, default=False),
    # The admin who got the last round-robin assignment from this rule.
    Column("last_admin_id", BigInteger, nullable=True),
    UniqueConstraint("workspace_id", "position"),
    ForeignKeyConstraint(["team_id", "workspace_id"], ["teams.id", "teams.workspace_id"]),
)


# Tokens revoked by `inboxd token revoke`: kept so that applying the workspace file again does not
# bring back a token that is still listed there (docs/security.md).
revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("revoked_at", BigInteger, nullable=False),
)

# Calls per token per 10-second window, shared by every process on the database (api/rate_limits.py).
# No foreign key: a revoked token's rows are deleted with it, and the counter outlives nothing else.
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("window_start", BigInteger, primary_key=True),
    Column("calls", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
