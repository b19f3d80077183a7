"""Contacts over HTTP: `POST /contacts`, `GET /contacts/{id}`, `GET /contacts` (cursor pages)."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import T0

NOW = T0 + 3600  # the frozen clock's time
CONTACT_ID = re.compile(r"^[0-9a-f]{24}$")


def error(response):
    body = response.json()
    assert body["type"] == "error.list"
    assert len(body["errors"]) == 1
    return body["errors"][0]


def total(api):
    return api.get("/contacts").json()["total_count"]


def walk(api, per_page, between_pages=lambda page: None):
    """Every page of `GET /contacts`, following `pages.next.starting_after` to the end."""
    pages, cursor = [], None
    while True:
        query = f"/contacts?per_page={per_page}" + (f"&starting_after={cursor}" if cursor else "")
        response = api.get(query)
        assert response.status_code == 200
        pages.append(response.json())
        between_pages(len(pages))
        following = pages[-1]["pages"].get("next")
        if following is None:
            return pages
        assert following["per_page"] == per_page
        cursor = following["starting_after"]
        assert len(pages) < 100, "the walk does not end"


# -- create -----------------------------------------------------------------------------------------


def test_create_a_user(api):
    response = api.post(
        "/contacts",
        json={"role": "user", "email": "jane@example.test", "external_id": "u-1", "name": "Jane Doe", "phone": "+3531"},
    )
    assert response.status_code == 200
    contact = response.json()
    assert contact["type"] == "contact"
    assert CONTACT_ID.match(contact["id"])
    assert contact["workspace_id"] == "acme"
    assert contact["role"] == "user"
    assert contact["email"] == "jane@example.test"
    assert contact["email_domain"] == "example.test"
    assert contact["external_id"] == "u-1"
    assert contact["name"] == "Jane Doe"
    assert contact["phone"] == "+3531"
    assert contact["created_at"] == NOW and contact["updated_at"] == NOW
    assert contact["custom_attributes"] == {}


def test_create_a_lead(api):
    contact = factories.contact(api, role="lead", email="visitor@example.test")
    assert contact["role"] == "lead"
    assert api.get(f"/contacts/{contact['id']}").json()["role"] == "lead"


@pytest.mark.parametrize("body", [{"email": "who@example.test"}, {"external_id": "only-ext"}])
def test_role_defaults_to_user(api, body):
    response = api.post("/contacts", json=body)
    assert response.status_code == 200
    assert response.json()["role"] == "user"


def test_created_contact_is_retrievable_as_created(api):
    created = factories.contact(api, external_id="ext-42", custom_attributes={"plan": "pro", "seats": 5, "paid": True})
    response = api.get(f"/contacts/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert response.json()["custom_attributes"] == {"plan": "pro", "seats": 5, "paid": True}


def test_contact_ids_are_24_lowercase_hex_and_distinct(api):
    ids = [factories.contact(api)["id"] for _ in range(5)]
    assert all(CONTACT_ID.match(i) for i in ids)
    assert len(set(ids)) == 5


def test_email_is_stored_lowercase(api):
    contact = factories.contact(api, email="  Mixed.Case@Example.TEST ")
    assert contact["email"] == "mixed.case@example.test"


# -- conflicts --------------------------------------------------------------------------------------


def test_duplicate_external_id_is_409(api):
    first = factories.contact(api, external_id="dup-ext")
    response = api.post("/contacts", json={"role": "lead", "external_id": "dup-ext", "email": "other@example.test"})
    assert response.status_code == 409
    assert error(response)["code"] == "conflict"
    # Clients read the existing contact's id from the message, as they do with Intercom's.
    assert first["id"] in error(response)["message"]
    assert total(api) == 1


def test_duplicate_user_email_is_409_whatever_the_case(api):
    first = factories.contact(api, email="same@example.test")
    response = api.post("/contacts", json={"role": "user", "email": "SAME@example.test"})
    assert response.status_code == 409
    assert error(response)["code"] == "conflict"
    assert first["id"] in error(response)["message"]
    assert total(api) == 1


def test_leads_may_share_an_email_with_users_and_each_other(api):
    factories.contact(api, role="user", email="shared@example.test")
    factories.contact(api, role="lead", email="shared@example.test")
    factories.contact(api, role="lead", email="shared@example.test")
    assert total(api) == 3


def test_empty_external_id_is_no_external_id(api):
    # Regression: "" was stored, and the second contact without one hit the unique index (500).
    first = factories.contact(api, external_id="")
    second = factories.contact(api, external_id="")
    assert first["external_id"] is None and second["external_id"] is None
    assert first["id"] != second["id"]


# -- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": 5}, "email"),
        ({"role": "admin"}, "role"),
        ({"role": 1}, "role"),
        ({"role": "user", "name": 5}, "name"),
        ({"role": "user", "external_id": ["x"]}, "external_id"),
        ({"role": "user", "signed_up_at": "yesterday"}, "signed_up_at"),
        ({"role": "user", "unsubscribed_from_emails": "yes"}, "unsubscribed_from_emails"),
        ({"role": "user", "custom_attributes": "plan=pro"}, "custom_attributes"),
        ({"role": "user", "custom_attributes": {"plan": {"tier": "pro"}}}, "custom_attributes.plan"),
        ({"role": "user", "custom_attributes": {"plans": ["pro"]}}, "custom_attributes.plans"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(api, body, field):
    response = api.post("/contacts", json=body)
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_invalid"
    assert error(response)["field"] == field
    assert total(api) == 0


@pytest.mark.parametrize("body", [{}, {"name": "Nobody"}, {"email": "", "external_id": ""}])
def test_a_contact_needs_an_email_an_external_id_or_a_role(api, body):
    response = api.post("/contacts", json=body)
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_invalid"
    assert total(api) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "n" * 256),
        ("external_id", "e" * 256),
        ("email", "e" * 250 + "@example.test"),
        ("phone", "1" * 65),
        ("email", "nul\x00@example.test"),
        ("name", "Nul\x00Name"),
        ("signed_up_at", 2**63),
        ("owner_id", 2**64 - 1),
        ("last_seen_at", -(2**63) - 1),
    ],
)
def test_values_the_database_cannot_hold_are_400(api, field, value):
    # Regression: PostgreSQL refused these with a 500 (SQLite silently kept them).
    response = api.post("/contacts", json={"role": "user", field: value})
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_invalid"
    assert error(response)["field"] == field
    assert total(api) == 0


def test_longest_accepted_values_round_trip(api):
    fields = {"name": "n" * 255, "external_id": "e" * 255, "phone": "1" * 64, "signed_up_at": 32_503_679_999}
    created = factories.contact(api, **fields)
    shown = api.get(f"/contacts/{created['id']}").json()
    assert {k: shown[k] for k in fields} == fields


# -- retrieve ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("contact_id", ["0123456789abcdef01234567", "nope", "1", "%00", "x" * 40])
def test_unknown_contact_is_404_user_not_found(api, contact_id):
    factories.contact(api)
    response = api.get(f"/contacts/{contact_id}")
    assert response.status_code == 404
    assert error(response) == {"code": "not_found", "message": "User Not Found"}


# -- list -------------------------------------------------------------------------------------------


def test_empty_list(api):
    response = api.get("/contacts")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "list"
    assert body["data"] == [] and body["total_count"] == 0
    assert body["pages"]["page"] == 1 and "next" not in body["pages"]


def test_per_page_defaults_to_20(api):
    created = {factories.contact(api)["id"] for _ in range(21)}
    first = api.get("/contacts").json()
    assert len(first["data"]) == 20
    assert first["total_count"] == 21
    assert first["pages"]["per_page"] == 20 and first["pages"]["total_pages"] == 2
    cursor = first["pages"]["next"]["starting_after"]
    second = api.get(f"/contacts?starting_after={cursor}").json()
    assert len(second["data"]) == 1
    assert second["pages"]["page"] == 2 and "next" not in second["pages"]
    assert {c["id"] for c in first["data"] + second["data"]} == created


def test_per_page_150_is_allowed(api):
    factories.contact(api)
    response = api.get("/contacts?per_page=150")
    assert response.status_code == 200
    assert response.json()["pages"]["per_page"] == 150


@pytest.mark.parametrize("value", ["151", "1000", "0", "-1", "abc", "2.5", ""])
def test_bad_per_page_is_400(api, value):
    response = api.get(f"/contacts?per_page={value}")
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_invalid"
    assert error(response)["field"] == "per_page"


def test_walking_the_cursor_visits_every_contact_once(api):
    created = [factories.contact(api)["id"] for _ in range(7)]
    pages = walk(api, per_page=3)
    seen = [c["id"] for page in pages for c in page["data"]]
    assert sorted(seen) == sorted(created)
    assert [len(page["data"]) for page in pages] == [3, 3, 1]
    assert [page["pages"]["page"] for page in pages] == [1, 2, 3]
    assert all(page["total_count"] == 7 and page["pages"]["total_pages"] == 3 for page in pages)


@pytest.mark.parametrize("seconds_between", [0, 1])
def test_contacts_created_during_a_walk_do_not_disturb_it(api, clock, seconds_between):
    created = []
    for _ in range(8):
        created.append(factories.contact(api)["id"])
        clock.advance(seconds_between)

    def create_more(page_number):
        if page_number <= 2:
            factories.contact(api)
            clock.advance(seconds_between)

    pages = walk(api, per_page=3, between_pages=create_more)
    seen = [c["id"] for page in pages for c in page["data"]]
    assert len(seen) == len(set(seen)), "a contact was listed twice"
    assert set(created) <= set(seen), "a contact was skipped"
    assert "next" not in pages[-1]["pages"]


@pytest.mark.parametrize("cursor", ["garbage", "WzFd", "bm90IGpzb24", "%00", "W3RydWUsImEiLDFd"])
def test_a_cursor_this_server_did_not_return_is_400(api, cursor):
    factories.contact(api)
    response = api.get(f"/contacts?starting_after={cursor}")
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_invalid"
    assert error(response)["field"] == "starting_after"


@pytest.mark.parametrize(
    "avatar", ["admin_assignee_id", "/me.png", "ftp://x.test/a.png", "https://x.test/a b.png", "http://["]
)
def test_an_avatar_that_is_not_an_http_url_is_400(api, avatar):
    # Rendered as `avatar.image_url`, `format: uri` in the spec (found by fuzzing).
    response = api.post("/contacts", json={"email": "pic@example.test", "avatar": avatar})
    assert response.status_code == 400
    assert error(response)["field"] == "avatar"


def test_an_avatar_url_is_kept(api):
    response = api.post("/contacts", json={"email": "pic@example.test", "avatar": "https://cdn.test/j%C3%A9.png?s=64"})
    assert response.status_code == 200, response.text
    assert response.json()["avatar"] == {"type": "avatar", "image_url": "https://cdn.test/j%C3%A9.png?s=64"}
