"""What render/ draws conversations from: domain/views.py's read models, built from rows that
never leave the store, in a fixed number of statements per page: the conversations with their
sources' authors and tickets (SHOWN), what they relate to (RELATED), and, when shown, each one's
recent parts with their authors (RECENT_PARTS; store/conversation_statements.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inboxd.domain.errors import NotFound
from inboxd.domain.views import ConversationShown
from inboxd.store.conversation_rows import People, shown
from inboxd.store.scope import Store


@dataclass(frozen=True, slots=True)
class Read:
    """A conversation's row, read to be shown: its ``version`` says whether a rendered document of
    it is still good (api/conversations.py ``retrieve``) before anything more is read. What else it
    holds is the store's: :func:`conversation_views` makes it a :class:`ConversationShown`."""

    id: int
    version: int
    _row: dict[str, Any]


def read(store: Store, conversation_ids: Sequence[int]) -> list[Read]:
    """The conversations of the workspace among ``conversation_ids``, in that order, in one
    statement; an id of none is left out."""
    return [Read(row["id"], row["version"], row) for row in store.conversations.shown_rows(conversation_ids)]


def read_one(store: Store, conversation_id: int) -> Read:
    """The conversation, or Intercom's 404."""
    found = read(store, [conversation_id])
    if not found:
        raise NotFound("Resource Not Found")
    return found[0]


def conversation_views(
    store: Store, conversations: Sequence[Read], with_parts: bool = False
) -> list[ConversationShown]:
    """The read models of conversations read by :func:`read`, with their parts when
    ``with_parts`` (GET /conversations/{id}), without them for a list page."""
    related = store.conversations.related([c.id for c in conversations])
    people: People = {}
    views = []
    for conversation in conversations:
        if with_parts:
            parts, total = store.conversations.recent_parts(conversation.id, people)
            views.append(shown(conversation._row, related[conversation.id], people, parts, total))
        else:
            views.append(shown(conversation._row, related[conversation.id], people))
    return views


def conversation_view(store: Store, conversation_id: int) -> ConversationShown:
    """One conversation with its parts, as GET /conversations/{id} and a ticket show it."""
    [view] = conversation_views(store, [read_one(store, conversation_id)], with_parts=True)
    return view
