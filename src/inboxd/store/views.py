"""What render/ draws conversations from: domain/views.py's read models, built from rows that
never leave the store, in a fixed number of statements per page: the conversations with their
sources' authors and tickets (SHOWN), what they relate to (RELATED), and, when shown, each one's
recent parts with their authors (RECENT_PARTS; store/conversation_statements.py).

A conversation is shown as it is at the moment of the read: one whose snooze has run out reads as
open (domain/conversations.py ``as_of``) though the sweep (operations/snoozes.py) has not recorded
the wake yet; reads never write. No document of its version shows that, so :meth:`Read.as_stored`
tells the caches (api/conversations.py) not to serve or keep one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import NotFound
from inboxd.domain.views import ConversationShown
from inboxd.store.conversation_rows import STATE_COLUMNS, People, parts_shown, shown, to_domain
from inboxd.store.scope import Store


@dataclass(frozen=True, slots=True)
class Read:
    """A conversation's row, read to be shown: its ``version`` says whether a rendered document of
    it is still good (api/conversations.py ``retrieve``) before anything more is read. What else it
    holds is the store's: :func:`conversation_views` makes it a :class:`ConversationShown`."""

    id: int
    version: int
    _row: dict[str, Any]

    def as_stored(self, now: int) -> bool:
        """Whether the conversation at ``now`` is what its version recorded, so that a document
        of that version shows it: False once its snooze has run out, until the wake is written."""
        return not domain.snooze_ran_out(self._row["state"], self._row["snoozed_until"], now)


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
    store: Store, conversations: Sequence[Read], now: int, with_parts: bool = False
) -> list[ConversationShown]:
    """The read models of conversations read by :func:`read`, as they are at ``now``, with their
    parts when ``with_parts`` (GET /conversations/{id}), without them for a list page."""
    related = store.conversations.related([c.id for c in conversations])
    people: People = {}
    views = []
    for conversation in conversations:
        if with_parts:
            parts, total = store.conversations.recent_parts(conversation.id, people)
            view = shown(conversation._row, related[conversation.id], people, parts, total)
        else:
            view = shown(conversation._row, related[conversation.id], people)
        views.append(_as_of(store, view, conversation, now))
    return views


def read_in_full(store: Store, conversation_id: int, now: int) -> tuple[Read, ConversationShown]:
    """The conversation (its :class:`Read`, whose version says whether a rendered document of it
    is still good) and its read model with its parts as it is at ``now``, as GET shows it, in one
    statement on PostgreSQL (store/conversations.py ``shown_in_full``); or Intercom's 404."""
    found = store.conversations.shown_in_full(conversation_id)
    if found is None:
        raise NotFound("Resource Not Found")
    row, related, parts, total = found
    conversation = Read(row["id"], row["version"], row)
    people: People = {}
    view = shown(row, related, people, parts_shown(parts, people), total)
    return conversation, _as_of(store, view, conversation, now)


def _as_of(store: Store, view: ConversationShown, conversation: Read, now: int) -> ConversationShown:
    return view if conversation.as_stored(now) else _woken(store, view, conversation, now)


def _woken(store: Store, view: ConversationShown, conversation: Read, now: int) -> ConversationShown:
    """The view of a conversation whose snooze has run out, as the wake will record it. Its
    `timer_unsnooze` part is not among the parts until the sweep writes it (it has no id before)."""
    seen = domain.as_of(to_domain(conversation._row), now, Actor("bot", str(store.admins.operator_id())))
    # Every column of a conversation's state, as the wake leaves it: the same list the store writes.
    return view._replace(statistics=seen.stats, **{name: getattr(seen, name) for name in STATE_COLUMNS})


def conversation_view(store: Store, conversation_id: int, now: int) -> ConversationShown:
    """One conversation with its parts as it is at ``now``, as GET /conversations/{id} and a
    ticket show it."""
    return read_in_full(store, conversation_id, now)[1]
