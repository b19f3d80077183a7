"""Ticket types: `POST /ticket_types`, `GET /ticket_types`, `GET /ticket_types/{id}`."""

from __future__ import annotations

from starlette.responses import Response

from inboxd.api.http import Call, endpoint, json
from inboxd.api.types import Request, StrictBool, StrictStr
from inboxd.domain.errors import NotFound
from inboxd.operations import ticket_types as operations
from inboxd.render import ticket_types as render


class CreateTicketType(Request):
    name: StrictStr
    description: StrictStr | None = None
    category: StrictStr | None = None
    icon: StrictStr | None = None
    is_internal: StrictBool | None = None


@endpoint(write=True, operation="createTicketType")
def create(call: Call) -> Response:
    request = call.parsed(CreateTicketType)
    created = operations.create(call.store, call.now, request.model_dump())
    return json(render.ticket_type(created, call.workspace.id_code, call.version))


@endpoint(write=False, operation="listTicketTypes")
def list_all(call: Call) -> Response:
    return json(render.ticket_type_list(call.store.ticket_types.list(), call.workspace.id_code, call.version))


@endpoint(write=False, operation="getTicketType")
def retrieve(call: Call) -> Response:
    found = call.store.ticket_types.named(call.path["id"], NotFound("Resource Not Found"))
    return json(render.ticket_type(found, call.workspace.id_code, call.version))
