"""Admins over HTTP: `GET /me`, `GET /admins`, `GET /admins/{id}`, as the workspace file in
conftest.py declares them (Acme: Ada and Bob, both in team Support)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inboxd.store.tables import admins, workspaces
from tests.conftest import T0


def error(response):
    body = response.json()
    assert body["type"] == "error.list"
    assert len(body["errors"]) == 1
    return body["errors"][0]


def by_email(api):
    response = api.get("/admins")
    assert response.status_code == 200
    return {admin["email"]: admin for admin in response.json()["admins"]}


def support_team_id(api):
    (team,) = api.get("/teams").json()["teams"]
    assert team["name"] == "Support"
    return int(team["id"])


def operator_id(engine, workspace_code):
    """The workspace's Operator bot exists (it authors automatic parts) but is no teammate."""
    with engine.connect() as conn:
        query = (
            select(admins.c.id)
            .join(workspaces, workspaces.c.id == admins.c.workspace_id)
            .where(admins.c.kind == "bot", workspaces.c.id_code == workspace_code)
        )
        return conn.execute(query).scalar_one()


def test_me_is_the_first_admin_of_the_workspace_file_with_its_app(api):
    response = api.get("/me")
    assert response.status_code == 200
    me = response.json()
    ada = by_email(api)["ada@acme.test"]
    assert me["type"] == "admin"
    assert me["id"] == ada["id"]
    assert me["name"] == "Ada Admin"
    assert me["email"] == "ada@acme.test"
    assert me["job_title"] == "Support lead"
    assert me["team_ids"] == [support_team_id(api)]
    assert me["has_inbox_seat"] is True
    assert me["away_mode_enabled"] is False and me["away_mode_reassign"] is False
    assert me["avatar"]["type"] == "avatar"
    assert me["app"]["type"] == "app"
    assert me["app"]["id_code"] == "acme"
    assert me["app"]["name"] == "Acme"
    assert me["app"]["created_at"] == T0


def test_admins_lists_the_workspace_admins_in_file_order(api):
    response = api.get("/admins")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "admin.list"
    assert [(a["name"], a["email"]) for a in body["admins"]] == [
        ("Ada Admin", "ada@acme.test"),
        ("Bob Builder", "bob@acme.test"),
    ]
    ids = [a["id"] for a in body["admins"]]
    assert all(i.isdigit() for i in ids) and len(set(ids)) == 2


def test_admin_fields_reflect_the_workspace_file(api):
    team_id = support_team_id(api)
    admins_by_email = by_email(api)
    ada, bob = admins_by_email["ada@acme.test"], admins_by_email["bob@acme.test"]
    assert ada["type"] == "admin" and bob["type"] == "admin"
    assert ada["job_title"] == "Support lead"
    assert bob["job_title"] == ""  # no job title in the file
    assert ada["team_ids"] == [team_id] and bob["team_ids"] == [team_id]
    assert ada["has_inbox_seat"] is True
    assert ada["away_mode_enabled"] is False and ada["away_mode_reassign"] is False
    assert ada["avatar"] is None


def test_operator_bot_is_not_an_admin(api, engine):
    bot_id = operator_id(engine, "acme")
    listed = api.get("/admins").json()["admins"]
    assert str(bot_id) not in {a["id"] for a in listed}
    assert all(a["name"] != "Operator" for a in listed)

    response = api.get(f"/admins/{bot_id}")
    assert response.status_code == 404
    assert error(response)["code"] == "admin_not_found"


def test_me_is_never_the_operator_bot(api, engine):
    assert api.get("/me").json()["id"] != str(operator_id(engine, "acme"))


def test_retrieve_an_admin_matches_the_list(api):
    for admin in api.get("/admins").json()["admins"]:
        response = api.get(f"/admins/{admin['id']}")
        assert response.status_code == 200
        assert response.json() == admin


@pytest.mark.parametrize("admin_id", ["abc", "0", "-1", "1.5", "999999", "99999999999999999999999", "%00"])
def test_unknown_admin_is_404_admin_not_found(api, admin_id):
    response = api.get(f"/admins/{admin_id}")
    assert response.status_code == 404
    assert error(response) == {"code": "admin_not_found", "message": "Admin not found"}


@pytest.mark.parametrize(("value", "status"), [("true", 200), ("false", 200), ("yes", 400), ("", 400)])
def test_display_avatar_must_be_a_boolean(api, value, status):
    # The spec types it as a boolean; inboxd always lists avatars but refuses a malformed value.
    response = api.get(f"/admins?display_avatar={value}")
    assert response.status_code == status
    if status == 400:
        expected = {
            "code": "parameter_invalid",
            "message": "display_avatar must be a boolean",
            "field": "display_avatar",
        }
        assert error(response) == expected
