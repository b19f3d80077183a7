"""A conversation and what hangs off it: its parts, contacts, teammates and tags, the day index
of its creation, its rendered document, its ticket, and attachments."""

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
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)

from inboxd.store.tables.common import Id, metadata

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
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("title", Text, nullable=True),
    Column("state", String(16), nullable=False),
    Column("read", Boolean, nullable=False, default=False),
    Column("priority", String(16), nullable=False, default="none"),
    Column("waiting_since", BigInteger, nullable=True),
    Column("snoozed_until", BigInteger, nullable=True),
    Column("admin_assignee_id", BigInteger, nullable=True),
    Column("team_assignee_id", BigInteger, nullable=True),
    # The source message (messages.id): what `source.id` and `POST /conversations` answer with.
    Column("source_id", Id, nullable=False),
    Column("source_type", String(32), nullable=False),
    Column("source_delivered_as", String(32), nullable=False),
    Column("source_subject", Text, nullable=False, default=""),
    Column("source_body", Text, nullable=False, default=""),
    Column("source_author_type", String(16), nullable=False),
    Column("source_author_id", String(32), nullable=False),
    Column("source_url", Text, nullable=True),
    Column("source_attachments", JSON, nullable=False, default=list),
    Column("source_redacted", Boolean, nullable=False, default=False),
    # An email's addresses (role, email), from its message's recipients; null for any other source.
    Column("source_recipients", JSON, nullable=True),
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
    ForeignKeyConstraint(["source_id", "workspace_id"], ["messages.id", "messages.workspace_id"]),
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
# `inboxd seed`'s bulk writer), and by the one that deletes one (its count goes down, its bounds
# stay: still bounds; a day left with none has no row). A conversation never changes created_at.
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
    Column("conversation_id", Id, nullable=False),
    Column("contact_id", String(24), nullable=False),
    # Order in which contacts joined; the first one is the conversation's initiator.
    Column("position", Integer, nullable=False),
    # Covering: a value's conversations come from the index alone (search).
    Index(None, "workspace_id", "contact_id", "conversation_id"),
    PrimaryKeyConstraint("conversation_id", "contact_id", "workspace_id"),
    ForeignKeyConstraint(["conversation_id", "workspace_id"], ["conversations.id", "conversations.workspace_id"]),
    ForeignKeyConstraint(["contact_id", "workspace_id"], ["contacts.id", "contacts.workspace_id"]),
)

conversation_teammates = Table(
    "conversation_teammates",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("conversation_id", Id, nullable=False),
    Column("admin_id", Id, nullable=False),
    Column("position", Integer, nullable=False),
    # Covering: a value's conversations come from the index alone (search).
    Index(None, "workspace_id", "admin_id", "conversation_id"),
    PrimaryKeyConstraint("conversation_id", "admin_id", "workspace_id"),
    ForeignKeyConstraint(["conversation_id", "workspace_id"], ["conversations.id", "conversations.workspace_id"]),
    ForeignKeyConstraint(["admin_id", "workspace_id"], ["admins.id", "admins.workspace_id"]),
)

conversation_tags = Table(
    "conversation_tags",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), nullable=False),
    Column("conversation_id", Id, nullable=False),
    Column("tag_id", Id, nullable=False),
    Column("applied_at", BigInteger, nullable=False),
    Column("applied_by_admin_id", BigInteger, nullable=True),
    # Covering: a value's conversations come from the index alone (search).
    Index(None, "workspace_id", "tag_id", "conversation_id"),
    PrimaryKeyConstraint("conversation_id", "tag_id", "workspace_id"),
    ForeignKeyConstraint(["conversation_id", "workspace_id"], ["conversations.id", "conversations.workspace_id"]),
    ForeignKeyConstraint(["tag_id", "workspace_id"], ["tags.id", "tags.workspace_id"]),
)

conversation_parts = Table(
    "conversation_parts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("conversation_id", Id, nullable=False),
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
    # The conversation's state once the part was written (migration 0008 filled it in for the parts
    # before it); and, on a part that set a ticket's state, that state and the one before.
    Column("state", String(16), nullable=True),
    Column("ticket_state", String(32), nullable=True),
    Column("previous_ticket_state", String(32), nullable=True),
    # What a part carries beyond its text: the quick reply options an admin sent, or the one a
    # contact chose (render draws it as the part's `metadata`).
    Column("metadata", JSON, nullable=True),
    Index(None, "conversation_id", "id"),
    Index(None, "workspace_id", "id"),
    ForeignKeyConstraint(["conversation_id", "workspace_id"], ["conversations.id", "conversations.workspace_id"]),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("conversation_id", Id, nullable=False),
    Column("ticket_type_id", Id, nullable=False),
    Column("ticket_state", String(32), nullable=False),
    Column("attributes", JSON, nullable=False, default=dict),
    Column("is_shared", Boolean, nullable=False, default=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("conversation_id", "workspace_id"),
    Index(None, "workspace_id", "id"),
    ForeignKeyConstraint(["conversation_id", "workspace_id"], ["conversations.id", "conversations.workspace_id"]),
    ForeignKeyConstraint(["ticket_type_id", "workspace_id"], ["ticket_types.id", "ticket_types.workspace_id"]),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    # The unguessable part of the attachment's URL, which is served without a token like
    # Intercom's signed attachment URLs.
    Column("token", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("filesize", BigInteger, nullable=False),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # The token first: a file is found by its URL's token alone (store/attachments.py).
    UniqueConstraint("token", "workspace_id"),
)
