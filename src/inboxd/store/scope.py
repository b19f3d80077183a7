"""The store as one workspace sees it (STYLE.md §5): every repository is bound to the
workspace_id of the request's token, so no query can forget the scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

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
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id
        self.admins = Admins(conn, workspace_id)
        self.attachments = Attachments(conn, workspace_id)
        self.teams = Teams(conn, workspace_id)
        self.contacts = Contacts(conn, workspace_id)
        self.tags = Tags(conn, workspace_id)
        self.ticket_types = TicketTypes(conn, workspace_id)
        self.tickets = Tickets(conn, workspace_id)
        self.conversations = Conversations(conn, workspace_id)
        self.messages = Messages(conn, workspace_id)
        self.search = Search(conn, workspace_id)
        self.assignment_rules = AssignmentRules(conn, workspace_id)

    def finish(self) -> frozenset[int] | None:
        """End a write's work (before its commit): the conversations whose version it bumped;
        None when it may have bumped any (a renamed tag)."""
        self.conversations.finish()
        if self.tags.renamed:
            return None
        return frozenset(self.conversations.bumped)

    def workspace(self) -> dict[str, Any]:
        row = self.conn.execute(select(workspaces).where(workspaces.c.id == self.workspace_id)).one()
        return row._asdict()
