"""Tickets of one workspace. A ticket is made from a conversation and points back at it; the
conversation's ``ticket_id`` points at the ticket."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from inboxd.domain import tickets as rules
from inboxd.domain.errors import NotFound
from inboxd.domain.ids import parse_numeric_id
from inboxd.domain.tickets import NewTicket
from inboxd.store.engine import inserted_id
from inboxd.store.tables import conversations, tickets

# conversations.ticket_id while the conversion that claimed it is still running (never committed).
_CLAIMED = 0


class Tickets:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id

    def create(self, conversation_id: int, new: NewTicket) -> int:
        """Store the ticket and link the conversation to it.

        The conversation is claimed first with a conditional update: of two conversions racing on
        PostgreSQL, the second waits for the first's row lock, then finds ``ticket_id`` set and
        answers the same 400 as a conversion of a converted conversation, not a unique-key error.
        """
        this_conversation = (
            conversations.c.workspace_id == self.workspace_id,
            conversations.c.id == conversation_id,
        )
        claimed = self.conn.execute(
            update(conversations)
            .where(*this_conversation, conversations.c.ticket_id.is_(None))
            .values(ticket_id=_CLAIMED)
        )
        if claimed.rowcount != 1:
            raise rules.already_converted()
        ticket_id = inserted_id(
            self.conn.execute(
                insert(tickets).values(
                    workspace_id=self.workspace_id,
                    conversation_id=conversation_id,
                    ticket_type_id=new.ticket_type_id,
                    ticket_state=new.ticket_state,
                    attributes=new.attributes,
                    is_shared=new.is_shared,
                    created_at=new.created_at,
                    updated_at=new.created_at,
                )
            )
        )
        self.conn.execute(update(conversations).where(*this_conversation).values(ticket_id=ticket_id))
        return ticket_id

    def get(self, ticket_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(tickets).where(tickets.c.workspace_id == self.workspace_id, tickets.c.id == ticket_id)
        ).first()
        return row._asdict() if row else None

    def require(self, ticket_id: str | int) -> dict[str, Any]:
        """The ticket a path names; anything that is not one of this workspace's tickets is the
        spec's 404 `ticket_not_found`."""
        number = parse_numeric_id(ticket_id)
        found = self.get(number) if number is not None else None
        if found is None:
            raise NotFound("Ticket not found", code="ticket_not_found")
        return found
