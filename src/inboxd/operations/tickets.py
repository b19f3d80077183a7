"""Converting a conversation into a ticket (`POST /conversations/{id}/convert`)."""

from __future__ import annotations

from typing import Any

from inboxd.domain import tickets as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import NotFound
from inboxd.operations.snoozes import current
from inboxd.store.scope import Store


def convert(store: Store, now: int, conversation_id: str, ticket_type_id: str, attributes: dict[str, Any]) -> int:
    """The new ticket's id; the conversation gains the Operator's conversion part."""
    number = store.conversations.parse_id(conversation_id)
    row = store.conversations.require_row(number)
    ticket_type = store.ticket_types.named(ticket_type_id, NotFound("Ticket type not found", field="ticket_type_id"))
    conversation = current(store, number, now)
    operator = Actor("bot", str(store.admins.operator_id()))
    change, new = domain.convert_to_ticket(conversation, row["ticket_id"], ticket_type, attributes, operator, now)
    ticket_id = store.tickets.create(number, new)
    store.conversations.apply(conversation, change)
    return ticket_id
