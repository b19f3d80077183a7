"""The store as one workspace sees it: every repository is bound to the
workspace_id of the request's token, so no query can forget the scope."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select

from inboxd.domain.events import Event
from inboxd.store.admins import Admins
from inboxd.store.assignment_rules import AssignmentRules
from inboxd.store.attachments import Attachments
from inboxd.store.contacts import Contacts
from inboxd.store.conversations import Conversations
from inboxd.store.messages import Messages
from inboxd.store.search import Search
from inboxd.store.tables import workspaces
from inboxd.store.tags import Tags
from inboxd.store.teams import Teams
from inboxd.store.ticket_types import TicketTypes
from inboxd.store.tickets import Tickets


class Store:
    """The repositories are made when first used: a request touches two or three of the eleven,
    and a write builds two stores (its own, and its answer's)."""

    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id
        # The events this unit of work caused, in order (domain/events.py): kept with its answer
        # and handed on only once the transaction has committed.
        self.events: list[Event] = []
        # What to do once the transaction these reads saw has committed (a rendered document
        # kept in this process's cache): store/unit_of_work.py runs it then, or drops it.
        self.committed: list[Callable[[], None]] = []

    def record(self, topic: str, conversation_id: int, at: int) -> None:
        self.events.append(Event(topic, conversation_id, at))

    @functools.cached_property
    def admins(self) -> Admins:
        return Admins(self.conn, self.workspace_id)

    @functools.cached_property
    def attachments(self) -> Attachments:
        return Attachments(self.conn, self.workspace_id)

    @functools.cached_property
    def teams(self) -> Teams:
        return Teams(self.conn, self.workspace_id)

    @functools.cached_property
    def contacts(self) -> Contacts:
        return Contacts(self.conn, self.workspace_id)

    @functools.cached_property
    def tags(self) -> Tags:
        return Tags(self.conn, self.workspace_id)

    @functools.cached_property
    def ticket_types(self) -> TicketTypes:
        return TicketTypes(self.conn, self.workspace_id)

    @functools.cached_property
    def tickets(self) -> Tickets:
        return Tickets(self.conn, self.workspace_id)

    @functools.cached_property
    def conversations(self) -> Conversations:
        return Conversations(self.conn, self.workspace_id, self.events)

    @functools.cached_property
    def messages(self) -> Messages:
        return Messages(self.conn, self.workspace_id)

    @functools.cached_property
    def search(self) -> Search:
        return Search(self.conn, self.workspace_id)

    @functools.cached_property
    def assignment_rules(self) -> AssignmentRules:
        return AssignmentRules(self.conn, self.workspace_id)

    def finish(self) -> frozenset[int] | None:
        """End a write's work (before its commit): the conversations whose version it bumped;
        None when it may have bumped any (a renamed tag)."""
        # Only repositories the write used were made: the others changed nothing.
        conversations: Conversations | None = self.__dict__.get("conversations")
        tags: Tags | None = self.__dict__.get("tags")
        if conversations is not None:
            conversations.finish()
        if tags is not None and tags.renamed:
            return None
        return frozenset(conversations.bumped) if conversations is not None else frozenset()

    def workspace(self) -> dict[str, Any]:
        row = self.conn.execute(select(workspaces).where(workspaces.c.id == self.workspace_id)).one()
        return row._asdict()
