"""Tags over HTTP: `POST /tags` (create, find by name, rename), `GET /tags`, `GET /tags/{id}`."""

from __future__ import annotations

import pytest


def error(response):
    body = response.json()
    assert body["type"] == "error.list"
    assert len(body["errors"]) == 1
    return body["errors"][0]


def tag(api, name):
    response = api.post("/tags", json={"name": name})
    assert response.status_code == 200, response.text
    return response.json()


def names(api):
    response = api.get("/tags")
    assert response.status_code == 200
    assert response.json()["type"] == "list"
    return [t["name"] for t in response.json()["data"]]


# -- create -----------------------------------------------------------------------------------------


def test_create_a_tag(api):
    created = tag(api, "VIP")
    assert created["type"] == "tag"
    assert created["name"] == "VIP"
    assert created["id"].isdigit()
    assert api.get(f"/tags/{created['id']}").json() == created


def test_same_name_in_another_case_is_the_same_tag(api):
    first = tag(api, "Big Spender")
    again = tag(api, "big SPENDER")
    assert again == first  # same id, and the name as first written
    assert names(api) == ["Big Spender"]


def test_names_are_trimmed_and_inner_spaces_collapsed(api):
    created = tag(api, "  Needs   follow-up ")
    assert created["name"] == "Needs follow-up"
    assert tag(api, "needs follow-up")["id"] == created["id"]


def test_different_names_are_different_tags(api):
    a, b = tag(api, "Alpha"), tag(api, "Beta")
    assert a["id"] != b["id"]
    assert names(api) == ["Alpha", "Beta"]


# -- rename -----------------------------------------------------------------------------------------


def test_rename_by_id(api):
    created = tag(api, "Old name")
    response = api.post("/tags", json={"id": created["id"], "name": "New name"})
    assert response.status_code == 200
    assert response.json() == {"type": "tag", "id": created["id"], "name": "New name"}
    assert api.get(f"/tags/{created['id']}").json()["name"] == "New name"
    assert names(api) == ["New name"]
    # The old name is free again: it now makes a new tag.
    assert tag(api, "Old name")["id"] != created["id"]


def test_rename_accepts_a_numeric_id(api):
    created = tag(api, "Numeric")
    response = api.post("/tags", json={"id": int(created["id"]), "name": "Renamed"})
    assert response.status_code == 200
    assert response.json()["id"] == created["id"] and response.json()["name"] == "Renamed"


def test_rename_may_change_only_the_case(api):
    created = tag(api, "vip")
    response = api.post("/tags", json={"id": created["id"], "name": "VIP"})
    assert response.status_code == 200
    assert response.json() == {"type": "tag", "id": created["id"], "name": "VIP"}


def test_rename_onto_another_tags_name_is_409(api):
    keep = tag(api, "Keep")
    other = tag(api, "Other")
    response = api.post("/tags", json={"id": other["id"], "name": "KEEP"})
    assert response.status_code == 409
    assert error(response)["code"] == "conflict"
    assert api.get(f"/tags/{other['id']}").json()["name"] == "Other"
    assert api.get(f"/tags/{keep['id']}").json()["name"] == "Keep"


@pytest.mark.parametrize("tag_id", ["999999", "abc", "0", 999999])
def test_rename_of_an_unknown_tag_is_404_and_creates_nothing(api, tag_id):
    tag(api, "Existing")
    response = api.post("/tags", json={"id": tag_id, "name": "Ghost"})
    assert response.status_code == 404
    assert error(response)["code"] == "tag_not_found"
    assert names(api) == ["Existing"]


# -- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"id": "1"}, {"nmae": "typo"}])
def test_missing_name_is_400(api, body):
    response = api.post("/tags", json=body)
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_invalid"
    assert error(response)["field"] == "name"
    assert names(api) == []


@pytest.mark.parametrize("name", ["", "   ", "\t\n", None, 5, ["VIP"], "x" * 256, "bad\x00name"])
def test_invalid_name_is_400(api, name):
    response = api.post("/tags", json={"name": name})
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_invalid"
    assert error(response)["field"] == "name"
    assert names(api) == []


def test_blank_rename_is_400_and_keeps_the_name(api):
    created = tag(api, "Stays")
    response = api.post("/tags", json={"id": created["id"], "name": "  "})
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_invalid"
    assert api.get(f"/tags/{created['id']}").json()["name"] == "Stays"


def test_longest_name_is_accepted(api):
    assert tag(api, "x" * 255)["name"] == "x" * 255


def test_name_whose_case_folding_is_too_long_is_400(api):
    # Regression: "ß" folds to "ss", so 128 of them overflowed the folded-name column on
    # PostgreSQL (a 500). Uniqueness needs the folded name, so the folded length is the limit.
    response = api.post("/tags", json={"name": "ß" * 128})
    assert response.status_code == 400
    assert error(response)["field"] == "name"
    assert tag(api, "ß" * 127)["name"] == "ß" * 127


# -- list and retrieve ------------------------------------------------------------------------------


def test_list_is_empty_at_first(api):
    response = api.get("/tags")
    assert response.status_code == 200
    assert response.json() == {"type": "list", "data": []}


def test_list_shows_every_tag_once(api):
    created = [tag(api, name) for name in ["One", "Two", "Three"]]
    tag(api, "two")  # found, not created
    listed = api.get("/tags").json()["data"]
    assert sorted(listed, key=lambda t: int(t["id"])) == sorted(created, key=lambda t: int(t["id"]))


@pytest.mark.parametrize("tag_id", ["999999", "abc", "0", "%00"])
def test_unknown_tag_is_404(api, tag_id):
    tag(api, "Real")
    response = api.get(f"/tags/{tag_id}")
    assert response.status_code == 404
    assert error(response) == {"code": "not_found", "message": "Resource Not Found"}
