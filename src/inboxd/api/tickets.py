"""Tickets: `POST /conversations/{id}/convert` and `GET /tickets/{id}`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from inboxd.api.attachments import base_url
from inboxd.api.http import Call, endpoint, json
from inboxd.api.types import IdStr, Request
from inboxd.operations import tickets
from inboxd.render import tickets as render
from inboxd.store.views import conversation_view


class ConvertToTicket(Request):
    ticket_type_id: IdStr
    attributes: dict[str, Any] | None = None


def render_ticket(call: Call, row: dict[str, Any]) -> dict[str, Any]:
    """The ticket as `GET /tickets/{id}` shows it, with its conversation's contacts and parts."""
    view = conversation_view(call.store, row["conversation_id"], call.now)
    ticket_type = call.store.ticket_types.get(row["ticket_type_id"])
    assert ticket_type is not None  # ticket types are never deleted
    return render.ticket(row, ticket_type, view, call.workspace.id_code, call.version, base_url(call.request))


@endpoint(write=True, operation="convertConversationToTicket")
def convert(call: Call) -> Response:
    request = call.parsed(ConvertToTicket)
    ticket_id = tickets.convert(call.store, call.now, call.path["id"], request.ticket_type_id, request.attributes or {})
    return json(render_ticket(call, call.store.tickets.require(ticket_id)))


@endpoint(write=False, operation="getTicket")
def retrieve(call: Call) -> Response:
    return json(render_ticket(call, call.store.tickets.require(call.path["id"])))
