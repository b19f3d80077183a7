"""The search index of a conversation's source body and the planner's statistics of it
(store/search/, docs/search.md)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Table,
)

from inboxd.store.tables.common import Id, metadata

# The search index of `source.body` (store/search/): one row per distinct token of a
# conversation's source, tokenised by inboxd.search.tokens. Without a rowid on SQLite, the primary
# key is the table: "conversations with this token" is one index range.
MAX_TOKEN_LENGTH = 200  # longer words are indexed by their first 200 characters (btree entry limits)

conversation_tokens = Table(
    "conversation_tokens",
    metadata,
    Column("workspace_id", Id, ForeignKey("workspaces.id"), primary_key=True),
    Column("token", String(MAX_TOKEN_LENGTH), primary_key=True),
    Column("conversation_id", Id, primary_key=True),
    # The other way round: a conversation's tokens (contains / starts with / ends with, redaction).
    Index(None, "conversation_id", "token"),
    ForeignKeyConstraint(["conversation_id", "workspace_id"], ["conversations.id", "conversations.workspace_id"]),
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
