"""Ticket types over HTTP: `POST /ticket_types`, `GET /ticket_types`, `GET /ticket_types/{id}`."""

from __future__ import annotations

import pytest

from tests.conftest import T0

NOW = T0 + 3600  # the frozen clock's time
DEFAULT_ICON = "\U0001f39f\ufe0f"  # 🎟️, the spec's default


def error(response):
    body = response.json()
    assert body["type"] == "error.list"
    assert len(body["errors"]) == 1
    return body["errors"][0]


def ticket_type(api, **fields):
    response = api.post("/ticket_types", json={"name": "Bug", **fields})
    assert response.status_code == 200, response.text
    return response.json()


def count(api):
    return len(api.get("/ticket_types").json()["ticket_types"])


# -- create -----------------------------------------------------------------------------------------


def test_create_with_defaults(api):
    created = ticket_type(api, name="Bug")
    assert created["type"] == "ticket_type"
    assert created["id"].isdigit()
    assert created["name"] == "Bug"
    assert created["description"] == ""
    assert created["icon"] == DEFAULT_ICON
    assert created["category"] == "Customer"
    assert created["is_internal"] is False
    assert created["archived"] is False
    assert created["workspace_id"] == "acme"
    assert created["created_at"] == NOW and created["updated_at"] == NOW


def test_every_ticket_type_has_the_two_default_attributes(api):
    created = ticket_type(api)
    attributes = created["ticket_type_attributes"]
    assert attributes["type"] == "list"
    by_name = {a["name"]: a for a in attributes["ticket_type_attributes"]}
    assert set(by_name) == {"_default_title_", "_default_description_"}
    for attribute in by_name.values():
        assert attribute["type"] == "ticket_type_attribute"
        assert attribute["default"] is True
        assert attribute["data_type"] == "string"
        assert attribute["ticket_type_id"] == int(created["id"])
        assert attribute["workspace_id"] == "acme"
        assert attribute["archived"] is False
    assert by_name["_default_title_"]["input_options"] == {"multiline": False}
    assert by_name["_default_description_"]["input_options"] == {"multiline": True}
    assert by_name["_default_title_"]["order"] < by_name["_default_description_"]["order"]


def test_attributes_belong_to_their_own_ticket_type(api):
    first, second = ticket_type(api, name="Bug"), ticket_type(api, name="Question")
    first_ids = {a["id"] for a in first["ticket_type_attributes"]["ticket_type_attributes"]}
    second_ids = {a["id"] for a in second["ticket_type_attributes"]["ticket_type_attributes"]}
    assert len(first_ids) == 2 and len(second_ids) == 2 and not first_ids & second_ids
    assert {a["ticket_type_id"] for a in second["ticket_type_attributes"]["ticket_type_attributes"]} == {
        int(second["id"])
    }


def test_create_with_every_field(api):
    created = ticket_type(
        api, name="Bug report", description="Something broke", category="Tracker", icon="\U0001f41e", is_internal=True
    )
    assert created["name"] == "Bug report"
    assert created["description"] == "Something broke"
    assert created["category"] == "Tracker"
    assert created["icon"] == "\U0001f41e"
    assert created["is_internal"] is True
    assert api.get(f"/ticket_types/{created['id']}").json() == created


@pytest.mark.parametrize("category", ["Customer", "Back-office", "Tracker"])
def test_each_category_is_accepted(api, category):
    assert ticket_type(api, category=category)["category"] == category


def test_name_is_trimmed(api):
    assert ticket_type(api, name="  Refund  ")["name"] == "Refund"


# -- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"description": "no name", "category": "Customer"}])
def test_missing_name_is_400_parameter_not_found(api, body):
    response = api.post("/ticket_types", json=body)
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_not_found"
    assert error(response)["field"] == "name"
    assert count(api) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": None}, "name"),
        ({"name": 7}, "name"),
        ({"category": "Bug"}, "category"),
        ({"category": "customer"}, "category"),
        ({"category": 1}, "category"),
        ({"is_internal": "yes"}, "is_internal"),
        ({"icon": 5}, "icon"),
        ({"description": False}, "description"),
        ({"name": "n" * 256}, "name"),
        ({"icon": "i" * 65}, "icon"),
        ({"name": "Bug\x00"}, "name"),
        ({"description": "a\x00b"}, "description"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(api, fields, field):
    # The long and NUL values are regressions: PostgreSQL refused them with a 500.
    response = api.post("/ticket_types", json={"name": "Bug", **fields})
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_invalid"
    assert error(response)["field"] == field
    assert count(api) == 0


def test_longest_name_and_icon_are_accepted(api):
    created = ticket_type(api, name="n" * 255, icon="i" * 64)
    assert created["name"] == "n" * 255 and created["icon"] == "i" * 64


# -- list and retrieve ------------------------------------------------------------------------------


def test_list_is_empty_at_first(api):
    response = api.get("/ticket_types")
    assert response.status_code == 200
    assert response.json() == {"type": "ticket_type.list", "ticket_types": []}


def test_list_shows_every_ticket_type_as_retrieved(api):
    created = [ticket_type(api, name=name) for name in ["Bug", "Question", "Refund"]]
    response = api.get("/ticket_types")
    assert response.status_code == 200
    assert response.json()["ticket_types"] == created
    for item in created:
        assert api.get(f"/ticket_types/{item['id']}").json() == item


@pytest.mark.parametrize("ticket_type_id", ["999999", "abc", "0", "%00"])
def test_unknown_ticket_type_is_404(api, ticket_type_id):
    ticket_type(api)
    response = api.get(f"/ticket_types/{ticket_type_id}")
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"
