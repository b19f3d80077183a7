"""Teams over HTTP: `GET /teams`, `GET /teams/{id}`, as the workspace file in conftest.py declares
them (Acme: one team, Support, with Ada and Bob)."""

from __future__ import annotations

import pytest


def error(response):
    body = response.json()
    assert body["type"] == "error.list"
    assert len(body["errors"]) == 1
    return body["errors"][0]


def admin_ids(api):
    return {a["email"]: int(a["id"]) for a in api.get("/admins").json()["admins"]}


def test_teams_lists_the_workspace_teams_with_their_members(api):
    response = api.get("/teams")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "team.list"
    (team,) = body["teams"]
    ids = admin_ids(api)
    assert team["type"] == "team"
    assert team["name"] == "Support"
    assert team["id"].isdigit()
    assert sorted(team["admin_ids"]) == sorted([ids["ada@acme.test"], ids["bob@acme.test"]])


def test_team_members_and_admin_team_ids_agree(api):
    (team,) = api.get("/teams").json()["teams"]
    for admin in api.get("/admins").json()["admins"]:
        assert (int(admin["id"]) in team["admin_ids"]) == (int(team["id"]) in admin["team_ids"])


def test_retrieve_a_team_matches_the_list(api):
    (team,) = api.get("/teams").json()["teams"]
    response = api.get(f"/teams/{team['id']}")
    assert response.status_code == 200
    assert response.json() == team


@pytest.mark.parametrize("team_id", ["abc", "0", "999999", "99999999999999999999999", "%00"])
def test_unknown_team_is_404_team_not_found(api, team_id):
    response = api.get(f"/teams/{team_id}")
    assert response.status_code == 404
    assert error(response) == {"code": "team_not_found", "message": "Team not found"}
