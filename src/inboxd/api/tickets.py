"""Tickets: `POST /conversations/{id}/convert` and `GET /tickets/{id}`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from inboxd.api.attachments import base_url
from inboxd.api.bodies import parse
from inboxd.api.http import Call, endpoint, json
from inboxd.api.types import IdStr, Request
from inboxd.domain import tickets as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import NotFound
from inboxd.domain.ids import parse_numeric_id
from inboxd.render import tickets as render
from inboxd.store.conversations import to_domain
from inboxd.store.views import conversation_views


class ConvertToTicket(Request):
    ticket_type_id: IdStr
    attributes: dict[str, Any] | None = None


def render_ticket(call: Call, row: dict[str, Any]) -> dict[str, Any]:
    """The ticket as `GET /tickets/{id}` shows it, with its conversation's contacts and parts."""
    conversation = call.store.conversations.require_row(row["conversation_id"])
    [view] = conversation_views(call.store, [conversation], with_parts=True)
    ticket_type = call.store.ticket_types.get(row["ticket_type_id"])
    assert ticket_type is not None  # ticket types are never deleted
    return render.ticket(row, ticket_type, view, call.workspace.id_code, base_url(call.request))


def _ticket_type(call: Call, value: str) -> dict[str, Any]:
    number = parse_numeric_id(value)
    found = call.store.ticket_types.get(number) if number is not None else None
    if found is None:
        raise NotFound("Ticket type not found", field="ticket_type_id")
    return found


@endpoint(write=True)
def convert(call: Call) -> Response:
    request = parse(ConvertToTicket, call.body)
    conversations = call.store.conversations
    row = conversations.require_row(conversations.parse_id(call.path["id"]))
    ticket_type = _ticket_type(call, request.ticket_type_id)
    conversation = to_domain(row)
    operator = Actor("bot", str(call.store.admins.operator_id()))
    change, new = domain.convert_to_ticket(
        conversation, row["ticket_id"], ticket_type, request.attributes or {}, operator, call.now
    )
    ticket_id = call.store.tickets.create(row["id"], new)
    conversations.apply(conversation, change)
    return json(render_ticket(call, call.store.tickets.require(ticket_id)))


@endpoint(write=False)
def retrieve(call: Call) -> Response:
    return json(render_ticket(call, call.store.tickets.require(call.path["id"])))
