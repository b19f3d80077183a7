"""Tags: `POST /tags` (create or rename), `GET /tags`, `GET /tags/{id}`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from inboxd.api.http import Call, endpoint, json
from inboxd.api.types import IdStr, Request, StrictStr
from inboxd.domain.errors import IntercomError, NotFound, ParameterInvalid
from inboxd.operations import tags as operations
from inboxd.render import tags as render


class CreateOrUpdateTag(Request):
    name: StrictStr
    id: IdStr | None = None
    companies: list[Any] | None = None
    users: list[Any] | None = None


@endpoint(write=True)
def create_or_update(call: Call) -> Response:
    if "name" not in call.body:
        # The spec's own example answers a body without a name with exactly this code and message.
        raise ParameterInvalid("invalid tag parameters: name is required", field="name")
    request = call.parsed(CreateOrUpdateTag)
    if request.companies is not None or request.users is not None:
        raise IntercomError(
            "Tagging companies or contacts through POST /tags is not supported by inboxd", code="unsupported"
        )
    return json(render.tag(operations.create_or_rename(call.store, call.now, request.name, request.id), call.version))


@endpoint(write=False)
def list_all(call: Call) -> Response:
    return json(render.tag_list(call.store.tags.list(), call.version))


@endpoint(write=False)
def retrieve(call: Call) -> Response:
    return json(render.tag(call.store.tags.named(call.path["id"], NotFound("Resource Not Found")), call.version))
