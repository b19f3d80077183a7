"""Teams: `GET /teams`, `GET /teams/{id}`."""

from __future__ import annotations

from starlette.responses import Response

from inboxd.api.http import Call, endpoint, json
from inboxd.render import teams as render


@endpoint(write=False)
def list_all(call: Call) -> Response:
    return json(render.team_list(call.store.teams.list(), call.version))


@endpoint(write=False)
def retrieve(call: Call) -> Response:
    return json(render.team(call.store.teams.require(call.path["id"], field=None), call.version))
