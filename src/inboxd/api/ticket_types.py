"""Ticket types: `POST /ticket_types`, `GET /ticket_types`, `GET /ticket_types/{id}`."""

from __future__ import annotations

from starlette.responses import Response

from inboxd.api.bodies import parse
from inboxd.api.http import Call, endpoint, json
from inboxd.api.types import Request, StrictBool, StrictStr
from inboxd.domain import ticket_types as domain
from inboxd.domain.errors import NotFound
from inboxd.domain.ids import parse_numeric_id
from inboxd.render import ticket_types as render


class CreateTicketType(Request):
    name: StrictStr
    description: StrictStr | None = None
    category: StrictStr | None = None
    icon: StrictStr | None = None
    is_internal: StrictBool | None = None


@endpoint(write=True)
def create(call: Call) -> Response:
    request = parse(CreateTicketType, call.body)
    row, attributes = domain.new_ticket_type(request.model_dump(), call.now)
    ticket_types = call.store.ticket_types
    created = ticket_types.get(ticket_types.create(row, attributes))
    assert created is not None
    return json(render.ticket_type(created, call.workspace.id_code))


@endpoint(write=False)
def list_all(call: Call) -> Response:
    return json(render.ticket_type_list(call.store.ticket_types.list(), call.workspace.id_code))


@endpoint(write=False)
def retrieve(call: Call) -> Response:
    ticket_type_id = parse_numeric_id(call.path["id"])
    found = call.store.ticket_types.get(ticket_type_id) if ticket_type_id else None
    if found is None:
        raise NotFound("Resource Not Found")
    return json(render.ticket_type(found, call.workspace.id_code))
