"""Teams: `GET /teams`, `GET /teams/{id}`."""

from __future__ import annotations

from starlette.responses import Response

from inboxd.api.http import Call, endpoint, json
from inboxd.domain.errors import NotFound
from inboxd.domain.ids import parse_numeric_id
from inboxd.render import teams as render


@endpoint(write=False)
def list_all(call: Call) -> Response:
    return json(render.team_list(call.store.teams.list()))


@endpoint(write=False)
def retrieve(call: Call) -> Response:
    team_id = parse_numeric_id(call.path["id"])
    team = call.store.teams.get(team_id) if team_id else None
    if team is None:
        raise NotFound("Team not found", code="team_not_found")
    return json(render.team(team))
