"""The schema, one definition for SQLite and PostgreSQL.

Every table of a workspace's data carries ``workspace_id`` and every index that serves a request starts with it, so a
query scoped to one workspace never reads another's rows; every primary and unique key includes it, and
the foreign keys between those tables name it, so that the schema can be distributed by workspace
(Citus: docs/deployment.md, tests/store/test_workspace_keys.py). The tables outside that rule: workspaces
and the tokens (read before the workspace is known), the rate-limit counters (per token) and
``id_floors``. A numbered table's key is (id, workspace_id): the id first, so a lookup by id alone
is still one probe of it. Timestamps are
Unix seconds, as Intercom sends them. Ids that Intercom shows as numeric strings are integer
primary keys here; contact ids are 24 hex characters.

One module per part of the schema (all on one MetaData, :mod:`.common`): :mod:`.workspace`,
:mod:`.conversation`, :mod:`.search`, :mod:`.ids` (SQLite's deleted ids, the one table of
no workspace). Import the tables from here.
"""

from __future__ import annotations

from inboxd.store.tables.common import Id, metadata
from inboxd.store.tables.conversation import (
    CREATED_DAY,
    DAY_SECONDS,
    STATISTICS_COLUMNS,
    STATISTICS_STATE_COLUMNS,
    attachments,
    conversation_contacts,
    conversation_days,
    conversation_parts,
    conversation_tags,
    conversation_teammates,
    conversations,
    tickets,
)
from inboxd.store.tables.ids import id_floors
from inboxd.store.tables.search import MAX_TOKEN_LENGTH, conversation_tokens, token_stats
from inboxd.store.tables.workspace import (
    access_tokens,
    admins,
    assignment_rules,
    contacts,
    message_recipients,
    messages,
    rate_limits,
    revoked_tokens,
    tags,
    team_members,
    teams,
    ticket_type_attributes,
    ticket_types,
    workspaces,
)

__all__ = [
    "CREATED_DAY",
    "DAY_SECONDS",
    "MAX_TOKEN_LENGTH",
    "STATISTICS_COLUMNS",
    "STATISTICS_STATE_COLUMNS",
    "Id",
    "access_tokens",
    "admins",
    "assignment_rules",
    "attachments",
    "contacts",
    "conversation_contacts",
    "conversation_days",
    "conversation_parts",
    "conversation_tags",
    "conversation_teammates",
    "conversation_tokens",
    "conversations",
    "id_floors",
    "message_recipients",
    "messages",
    "metadata",
    "rate_limits",
    "revoked_tokens",
    "tags",
    "team_members",
    "teams",
    "ticket_type_attributes",
    "ticket_types",
    "tickets",
    "token_stats",
    "workspaces",
]
