"""The schema, one definition for SQLite and PostgreSQL.

Every table carries ``workspace_id`` and every index that serves a request starts with it, so a
query scoped to one workspace never reads another's rows. Timestamps are
Unix seconds, as Intercom sends them. Ids that Intercom shows as numeric strings are integer
primary keys here; contact ids are 24 hex characters.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A big integer on PostgreSQL; INTEGER on SQLite so that it stays the rowid alias (autoincrement).
Id = BigInteger().with_variant(Integer(), "sqlite")

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("id_code", String(32), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # How many conversations the workspace holds, kept by the transaction that adds one: the list's
    # total_count and the search planner's sizes in O(1) (migration 0003).
    Column("conversation_count", BigInteger, nullable=False, default=0, server_default="0"),
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
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
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
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("workspace_id", "name"),
)

team_members = Table(
    "team_members",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("team_id", Id, ForeignKey("teams.id"), primary_key=True),
    Column("admin_id", Id, ForeignKey("admins.id"), primary_key=True),
    Index(None, "workspace_id", "admin_id"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
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
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
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
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
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
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("ticket_type_id", Id, ForeignKey("ticket_types.id"), nullable=False),
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
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    # "user_message" (a contact wrote it) or "admin_message" (POST /messages).
    Column("kind", String(16), nullable=False),
    Column("message_type", String(16), nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("body", Text, nullable=False),
    Column("author_type", String(16), nullable=False),
    Column("author_id", String(32), nullable=False),
    Column("contact_id", String(24), ForeignKey("contacts.id"), nullable=False),
    # Set once the message has a conversation: at once for contacts, on the contact's reply (or
    # create_conversation_without_contact_reply) for admin messages.
    Column("conversation_id", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "workspace_id", "contact_id", "created_at"),
)

# Statistics are a fold over the conversation's parts (domain/statistics.py), kept in columns
# so that search can filter on them; only that fold writes them.
STATISTICS_COLUMNS = (
    "time_to_assignment",
    "time_to_admin_reply",
    "time_to_first_close",
    "time_to_last_close",
    "median_time_to_reply",
    "first_contact_reply_at",
    "first_assignment_at",
    "first_admin_reply_at",
    "first_close_at",
    "last_assignment_at",
    "last_assignment_admin_reply_at",
    "last_contact_reply_at",
    "last_admin_reply_at",
    "last_close_at",
    "last_closed_by_id",
    "count_reopens",
    "count_assignments",
    "count_conversation_parts",
)
# The fold's own state, never rendered: the reply durations the median is taken over, and when the
# contact started waiting for the reply being timed.
STATISTICS_STATE_COLUMNS = ("reply_durations", "awaiting_reply_since")

conversations = Table(
    "conversations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("title", Text, nullable=True),
    Column("state", String(16), nullable=False),
    Column("read", Boolean, nullable=False, default=False),
    Column("priority", String(16), nullable=False, default="not_priority"),
    Column("waiting_since", BigInteger, nullable=True),
    Column("snoozed_until", BigInteger, nullable=True),
    Column("admin_assignee_id", BigInteger, nullable=True),
    Column("team_assignee_id", BigInteger, nullable=True),
    # The source message (messages.id): what `source.id` and `POST /conversations` answer with.
    Column("source_id", Id, ForeignKey("messages.id"), nullable=False),
    Column("source_type", String(32), nullable=False),
    Column("source_delivered_as", String(32), nullable=False),
    Column("source_subject", Text, nullable=False, default=""),
    Column("source_body", Text, nullable=False, default=""),
    Column("source_author_type", String(16), nullable=False),
    Column("source_author_id", String(32), nullable=False),
    Column("source_url", Text, nullable=True),
    Column("source_attachments", JSON, nullable=False, default=list),
    Column("source_redacted", Boolean, nullable=False, default=False),
    Column("first_contact_reply_at", BigInteger, nullable=True),
    Column("first_contact_reply_type", String(32), nullable=True),
    Column("first_contact_reply_url", Text, nullable=True),
    Column("custom_attributes", JSON, nullable=False, default=dict),
    Column("conversation_rating", JSON, nullable=True),
    Column("sla_applied", JSON, nullable=True),
    Column("ticket_id", BigInteger, nullable=True),
    Column("ai_agent_participated", Boolean, nullable=True),
    Column("ai_agent", JSON, nullable=True),
    *(
        Column(f"stat_{name}", String(32) if name == "last_closed_by_id" else BigInteger, nullable=True)
        for name in STATISTICS_COLUMNS
    ),
    Column("stat_reply_durations", JSON, nullable=False, default=list),
    Column("stat_awaiting_reply_since", BigInteger, nullable=True),
    # Bumped by every write transaction that touches the conversation or what it shows (parts,
    # tags, contacts, ticket): the key of the rendered-document cache (api/render_cache.py).
    Column("version", BigInteger, nullable=False, default=0, server_default="0"),
    # The list endpoint walks this index newest-updated first; the id breaks ties.
    Index(None, "workspace_id", "updated_at", "id"),
    Index(None, "workspace_id", "state", "updated_at"),
    # An inbox: a teammate's (a team's) open conversations, newest first, and their count; id and
    # created_at make it covering for search (the page's order, "created after" filters, a UNION
    # of inboxes) on PostgreSQL too, where an index does not carry the row's id.
    Index(None, "workspace_id", "admin_assignee_id", "state", "updated_at", "id", "created_at"),
    Index(None, "workspace_id", "team_assignee_id", "state", "updated_at", "id", "created_at"),
    # Snoozes that are due wake up before any read sees them (domain/conversations.py, wake).
    Index(None, "workspace_id", "state", "snoozed_until"),
    Index(None, "workspace_id", "source_id"),
)

# The UTC day a conversation was created on, as both engines compute `created_at / 86400` on
# integers (truncated toward zero). A created_at range covers whole days plus at most two partial
# ones; search reads a day's conversations newest-updated first from the index below and merges
# the days' first pages, or reads a range's days from it with each match's sort key and created_at
# (store/search/). No index leads with created_at itself: one index fewer for every write to
# keep (migration 0005).
DAY_SECONDS = 86400
CREATED_DAY = conversations.c.created_at.op("/")(literal_column(str(DAY_SECONDS)))
Index(
    "ix_conversations_workspace_id_created_day_updated_at",
    conversations.c.workspace_id,
    CREATED_DAY,
    conversations.c.updated_at,
    conversations.c.id,
    conversations.c.created_at,
)

# How many conversations of a workspace were created on each day (CREATED_DAY), and the lowest and
# highest id among them: a created_at range is counted in O(days), and its conversations' ids lie
# between its days' first and last ids. Kept by the transaction that creates a conversation (and by
# `inboxd seed`'s bulk writer); conversations are never deleted and never change created_at.
conversation_days = Table(
    "conversation_days",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("day", BigInteger, primary_key=True),
    Column("conversations", BigInteger, nullable=False),
    Column("first_id", BigInteger, nullable=False),
    Column("last_id", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

conversation_contacts = Table(
    "conversation_contacts",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("conversation_id", Id, ForeignKey("conversations.id"), primary_key=True),
    Column("contact_id", String(24), ForeignKey("contacts.id"), primary_key=True),
    # Order in which contacts joined; the first one is the conversation's initiator.
    Column("position", Integer, nullable=False),
    # Covering: a value's conversations come from the index alone (search).
    Index(None, "workspace_id", "contact_id", "conversation_id"),
)

conversation_teammates = Table(
    "conversation_teammates",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("conversation_id", Id, ForeignKey("conversations.id"), primary_key=True),
    Column("admin_id", Id, ForeignKey("admins.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    # Covering: a value's conversations come from the index alone (search).
    Index(None, "workspace_id", "admin_id", "conversation_id"),
)

conversation_tags = Table(
    "conversation_tags",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("conversation_id", Id, ForeignKey("conversations.id"), primary_key=True),
    Column("tag_id", Id, ForeignKey("tags.id"), primary_key=True),
    Column("applied_at", BigInteger, nullable=False),
    Column("applied_by_admin_id", BigInteger, nullable=True),
    # Covering: a value's conversations come from the index alone (search).
    Index(None, "workspace_id", "tag_id", "conversation_id"),
)

# `GET /conversations/{id}` as last rendered, shared by every worker and kept across restarts:
# a cached GET is one primary-key read (store/cached_reads.py). Valid only while `version` equals the
# conversation's; the transaction that bumps the version deletes the row, so no text outlives a
# redaction here. Only documents without file URLs (which depend on the request's host) are kept.
conversation_documents = Table(
    "conversation_documents",
    metadata,
    Column("conversation_id", Id, ForeignKey("conversations.id"), primary_key=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("document", LargeBinary, nullable=False),
)

conversation_parts = Table(
    "conversation_parts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("conversation_id", Id, ForeignKey("conversations.id"), nullable=False),
    Column("part_type", String(64), nullable=False),
    Column("body", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("notified_at", BigInteger, nullable=False),
    Column("author_type", String(16), nullable=False),
    Column("author_id", String(32), nullable=False),
    Column("assigned_to_type", String(16), nullable=True),
    Column("assigned_to_id", String(32), nullable=True),
    Column("attachments", JSON, nullable=False, default=list),
    Column("external_id", String(255), nullable=True),
    Column("redacted", Boolean, nullable=False, default=False),
    Index(None, "conversation_id", "id"),
    Index(None, "workspace_id", "id"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("conversation_id", Id, ForeignKey("conversations.id"), nullable=False),
    Column("ticket_type_id", Id, ForeignKey("ticket_types.id"), nullable=False),
    Column("ticket_state", String(32), nullable=False),
    Column("attributes", JSON, nullable=False, default=dict),
    Column("is_shared", Boolean, nullable=False, default=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("conversation_id"),
    Index(None, "workspace_id", "id"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    # The unguessable part of the attachment's URL, which is served without a token like
    # Intercom's signed attachment URLs.
    Column("token", String(64), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("filesize", BigInteger, nullable=False),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

assignment_rules = Table(
    "assignment_rules",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(255), nullable=False),
    Column("conditions", JSON, nullable=False),
    Column("team_id", Id, ForeignKey("teams.id"), nullable=False),
    Column("round_robin", Boolean, nullable=False, default=False),
    # The admin who got the last round-robin assignment from this rule.
    Column("last_admin_id", BigInteger, nullable=True),
    UniqueConstraint("workspace_id", "position"),
)

# The search index of `source.body` (store/search/): one row per distinct token of a
# conversation's source, tokenised by inboxd.search.tokens. Without a rowid on SQLite, the primary
# key is the table: "conversations with this token" is one index range.
MAX_TOKEN_LENGTH = 200  # longer words are indexed by their first 200 characters (btree entry limits)

conversation_tokens = Table(
    "conversation_tokens",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("token", String(MAX_TOKEN_LENGTH), primary_key=True),
    Column("conversation_id", Id, ForeignKey("conversations.id"), primary_key=True),
    # The other way round: a conversation's tokens (contains / starts with / ends with, redaction).
    Index(None, "conversation_id", "token"),
    sqlite_with_rowid=False,
)

# How many conversations of a workspace carry each token: the search planner's statistics
# (the plan for a body word depends on how common the word is).
token_stats = Table(
    "token_stats",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("token", String(MAX_TOKEN_LENGTH), primary_key=True),
    Column("documents", BigInteger, nullable=False),
    sqlite_with_rowid=False,
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
