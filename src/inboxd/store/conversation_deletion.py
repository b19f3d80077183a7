"""A conversation deleted for good (`DELETE /conversations/{id}`): everything it owns goes in the
caller's write transaction, each table by one statement on its conversation's keys, none read
into Python but the conversation's own parts' attachment lists (the stored files to delete).

What it owns: its parts, its contacts, teammates and tags (the links, not the contacts, admins and
tags), its source message, its ticket (a ticket converted from it is that conversation:
docs/decisions.md), the files its source and parts carry, its search-index
entries; and what counts it: the workspace's conversation count, its creation day's count and the
index's statistics. A snooze goes with the row, so no sweep can wake it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, select, update

from inboxd.store.attachments import Attachments
from inboxd.store.id_floors import keep_taken
from inboxd.store.search_index import SearchIndex, created_day
from inboxd.store.tables import (
    conversation_contacts,
    conversation_days,
    conversation_parts,
    conversation_tags,
    conversation_teammates,
    conversations,
    message_recipients,
    messages,
    tickets,
    workspaces,
)

# The links and rows keyed by the conversation, deleted before it (they name it in foreign keys).
_OWNED = (
    conversation_tags,
    conversation_contacts,
    conversation_teammates,
    conversation_parts,
    tickets,
)


def delete_conversation(conn: Connection, workspace_id: int, row: dict[str, Any]) -> None:
    """Delete the conversation whose row (read locked by the caller) is ``row``."""
    conversation_id = int(row["id"])
    Attachments(conn, workspace_id).delete(_stored_files(conn, workspace_id, row))
    SearchIndex(conn, workspace_id).remove(conversation_id)
    for table in _OWNED:
        conn.execute(
            delete(table).where(table.c.workspace_id == workspace_id, table.c.conversation_id == conversation_id)
        )
    conn.execute(
        delete(conversations).where(conversations.c.workspace_id == workspace_id, conversations.c.id == conversation_id)
    )
    conn.execute(
        delete(message_recipients).where(
            message_recipients.c.workspace_id == workspace_id, message_recipients.c.message_id == row["source_id"]
        )
    )
    conn.execute(delete(messages).where(messages.c.workspace_id == workspace_id, messages.c.id == row["source_id"]))
    conn.execute(
        update(workspaces)
        .where(workspaces.c.id == workspace_id)
        .values(conversation_count=workspaces.c.conversation_count - 1)
    )
    _uncount_created(conn, workspace_id, created_day(int(row["created_at"])))
    keep_taken(conn, conversations, conversation_id)


def _stored_files(conn: Connection, workspace_id: int, row: dict[str, Any]) -> list[str]:
    """The tokens of the stored files the conversation's source and parts carry (a file given by
    URL is not stored: it has none)."""
    found = [a["token"] for a in row["source_attachments"] or () if "token" in a]
    for attachments in conn.execute(
        select(conversation_parts.c.attachments).where(
            conversation_parts.c.workspace_id == workspace_id,
            conversation_parts.c.conversation_id == row["id"],
        )
    ).scalars():
        found += [a["token"] for a in attachments or () if "token" in a]
    return found


def _uncount_created(conn: Connection, workspace_id: int, day: int) -> None:
    """One conversation fewer on its creation day; a day left with none has no row (search reads
    the rows as the days that have conversations). The day's id bounds stay: still bounds."""
    d = conversation_days.c
    this_day = and_(d.workspace_id == workspace_id, d.day == day)
    conn.execute(update(conversation_days).where(this_day).values(conversations=d.conversations - 1))
    conn.execute(delete(conversation_days).where(this_day, d.conversations <= 0))
