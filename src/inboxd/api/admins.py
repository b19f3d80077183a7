"""Admins: `GET /me`, `GET /admins`, `GET /admins/{id}`."""

from __future__ import annotations

from starlette.responses import Response

from inboxd.api.http import Call, endpoint, json
from inboxd.domain.errors import NotFound
from inboxd.render import admins as render


@endpoint(write=False)
def me(call: Call) -> Response:
    admin = call.store.admins.me()
    if admin is None:
        raise NotFound("Admin not found", code="admin_not_found")
    return json(render.me(admin, call.store.workspace()))


@endpoint(write=False)
def list_all(call: Call) -> Response:
    # Avatars are always listed, whatever `display_avatar` says; a value not a boolean is refused.
    call.flag("display_avatar")
    return json(render.admin_list(call.store.admins.list(), call.version))


@endpoint(write=False)
def retrieve(call: Call) -> Response:
    return json(render.admin(call.store.admins.require_shown(call.path["id"]), call.version))
