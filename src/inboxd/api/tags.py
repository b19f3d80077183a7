"""Tags: `POST /tags` (create or rename), `GET /tags`, `GET /tags/{id}`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from inboxd.api.bodies import parse
from inboxd.api.http import Call, endpoint, json
from inboxd.api.types import IdStr, Request, StrictStr
from inboxd.domain import tags as domain
from inboxd.domain.errors import Conflict, IntercomError, NotFound, ParameterInvalid
from inboxd.domain.ids import parse_numeric_id
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
    request = parse(CreateOrUpdateTag, call.body)
    if request.companies is not None or request.users is not None:
        raise IntercomError(
            "Tagging companies or contacts through POST /tags is not supported by inboxd", code="unsupported"
        )
    name = domain.clean_name(request.name)
    tags = call.store.tags
    same_name = tags.by_name(name)
    if request.id is not None:
        tag_id = parse_numeric_id(request.id)
        if tag_id is None or tags.get(tag_id) is None:
            raise NotFound("Tag not found", code="tag_not_found", field="id")
        if same_name is not None and same_name["id"] != tag_id:
            raise Conflict(f"A tag named {same_name['name']!r} already exists with id={same_name['id']}")
        tags.rename(tag_id, name)
        return json(render.tag(tags.get(tag_id) or {}))
    if same_name is not None:
        return json(render.tag(same_name))
    return json(render.tag(tags.get(tags.create(name, call.now)) or {}))


@endpoint(write=False)
def list_all(call: Call) -> Response:
    return json(render.tag_list(call.store.tags.list()))


@endpoint(write=False)
def retrieve(call: Call) -> Response:
    tag_id = parse_numeric_id(call.path["id"])
    tag = call.store.tags.get(tag_id) if tag_id else None
    if tag is None:
        raise NotFound("Resource Not Found")
    return json(render.tag(tag))
