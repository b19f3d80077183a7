"""Workspace isolation: a token sees its own workspace and nothing of another (every
query is scoped by workspace_id). Acme and Globex are the two workspaces of conftest.py."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import ACME_TOKEN, Api


def error(response):
    body = response.json()
    assert body["type"] == "error.list"
    return body["errors"][0]


@pytest.fixture(params=["acme-creates", "globex-creates"])
def owner_and_stranger(request, api, globex):
    return (api, globex) if request.param == "acme-creates" else (globex, api)


# -- admins and teams -------------------------------------------------------------------------------


def test_me_is_the_tokens_own_admin(api, globex):
    acme_me, globex_me = api.get("/me").json(), globex.get("/me").json()
    assert (acme_me["email"], acme_me["app"]["id_code"]) == ("ada@acme.test", "acme")
    assert (globex_me["email"], globex_me["app"]["id_code"]) == ("hank@globex.test", "globex")
    assert globex_me["app"]["name"] == "Globex"


def test_admins_are_the_workspaces_own(api, globex):
    assert [a["email"] for a in api.get("/admins").json()["admins"]] == ["ada@acme.test", "bob@acme.test"]
    assert [a["email"] for a in globex.get("/admins").json()["admins"]] == ["hank@globex.test"]


def test_another_workspaces_admin_is_404(api, globex):
    hank = globex.get("/me").json()
    response = api.get(f"/admins/{hank['id']}")
    assert response.status_code == 404
    assert error(response)["code"] == "admin_not_found"
    for ada_or_bob in api.get("/admins").json()["admins"]:
        assert globex.get(f"/admins/{ada_or_bob['id']}").status_code == 404


def test_teams_are_the_workspaces_own(api, globex):
    (support,) = api.get("/teams").json()["teams"]
    (villains,) = globex.get("/teams").json()["teams"]
    assert (support["name"], villains["name"]) == ("Support", "Villains")
    assert villains["admin_ids"] == [int(globex.get("/me").json()["id"])]
    assert api.get(f"/teams/{villains['id']}").status_code == 404
    assert globex.get(f"/teams/{support['id']}").status_code == 404
    assert error(api.get(f"/teams/{villains['id']}"))["code"] == "team_not_found"


# -- contacts ---------------------------------------------------------------------------------------


def test_contacts_are_invisible_to_another_workspace(owner_and_stranger):
    owner, stranger = owner_and_stranger
    contact = factories.contact(owner)
    response = stranger.get(f"/contacts/{contact['id']}")
    assert response.status_code == 404
    assert error(response)["message"] == "User Not Found"
    listed = stranger.get("/contacts").json()
    assert listed["total_count"] == 0 and listed["data"] == []
    assert owner.get(f"/contacts/{contact['id']}").status_code == 200
    assert owner.get("/contacts").json()["total_count"] == 1


def test_the_same_email_and_external_id_may_exist_in_each_workspace(api, globex):
    mine = factories.contact(api, email="twin@example.test", external_id="twin")
    theirs = factories.contact(globex, email="twin@example.test", external_id="twin")
    assert mine["id"] != theirs["id"]
    assert (mine["workspace_id"], theirs["workspace_id"]) == ("acme", "globex")


def test_a_contact_list_cursor_does_not_reach_into_another_workspace(api, globex):
    for _ in range(3):
        factories.contact(api)
    factories.contact(globex)
    first = api.get("/contacts?per_page=1").json()
    cursor = first["pages"]["next"]["starting_after"]
    seen = globex.get(f"/contacts?per_page=150&starting_after={cursor}").json()["data"]
    assert all(c["workspace_id"] == "globex" for c in seen)


# -- tags -------------------------------------------------------------------------------------------


def test_tags_are_invisible_to_another_workspace(owner_and_stranger):
    owner, stranger = owner_and_stranger
    tag = owner.post("/tags", json={"name": "Secret"}).json()
    assert stranger.get(f"/tags/{tag['id']}").status_code == 404
    assert stranger.get("/tags").json()["data"] == []
    assert owner.get("/tags").json()["data"] == [tag]


def test_the_same_tag_name_is_a_different_tag_in_each_workspace(api, globex):
    mine = api.post("/tags", json={"name": "VIP"}).json()
    theirs = globex.post("/tags", json={"name": "vip"}).json()
    assert mine["id"] != theirs["id"]
    assert theirs["name"] == "vip"


def test_another_workspaces_tag_cannot_be_renamed(api, globex):
    tag = api.post("/tags", json={"name": "Mine"}).json()
    response = globex.post("/tags", json={"id": tag["id"], "name": "Stolen"})
    assert response.status_code == 404
    assert error(response)["code"] == "tag_not_found"
    assert api.get(f"/tags/{tag['id']}").json()["name"] == "Mine"
    assert globex.get("/tags").json()["data"] == []


# -- ticket types -----------------------------------------------------------------------------------


def test_ticket_types_are_invisible_to_another_workspace(owner_and_stranger):
    owner, stranger = owner_and_stranger
    created = owner.post("/ticket_types", json={"name": "Bug"}).json()
    assert stranger.get(f"/ticket_types/{created['id']}").status_code == 404
    assert stranger.get("/ticket_types").json()["ticket_types"] == []
    assert owner.get("/ticket_types").json()["ticket_types"] == [created]


# -- tokens -----------------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/me"),
    ("GET", "/admins"),
    ("GET", "/admins/1"),
    ("GET", "/teams"),
    ("GET", "/teams/1"),
    ("GET", "/contacts"),
    ("POST", "/contacts"),
    ("GET", "/contacts/0123456789abcdef01234567"),
    ("GET", "/tags"),
    ("POST", "/tags"),
    ("GET", "/tags/1"),
    ("GET", "/ticket_types"),
    ("POST", "/ticket_types"),
    ("GET", "/ticket_types/1"),
]


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_every_route_needs_a_valid_token(client, token):
    caller = Api(client, token)
    body = {"role": "user", "email": "sneaky@example.test", "name": "Sneaky"}
    for method, path in ROUTES:
        response = caller.request(method, path, json=body if method == "POST" else None)
        assert response.status_code == 401, f"{method} {path}"
        assert error(response)["code"] == "unauthorized"
    assert Api(client, ACME_TOKEN).get("/contacts").json()["total_count"] == 0
    assert Api(client, ACME_TOKEN).get("/tags").json()["data"] == []
    assert Api(client, ACME_TOKEN).get("/ticket_types").json()["ticket_types"] == []
