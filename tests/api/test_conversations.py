"""Conversations over HTTP: create, retrieve, list, update — on SQLite and PostgreSQL."""

from __future__ import annotations

import base64

import pytest

from tests import factories
from tests.conftest import T0

NOW = T0 + 3600  # the frozen clock's time


# -- create -----------------------------------------------------------------------------------------


def test_contact_starts_a_conversation(api):
    contact = factories.contact(api, external_id="ext-1")
    created = api.post("/conversations", json={"from": {"type": "user", "id": contact["id"]}, "body": "Hello there"})
    assert created.status_code == 200
    message = created.json()
    assert message["type"] == "user_message"
    assert message["body"] == "Hello there"
    assert message["message_type"] == "inapp"
    assert message["created_at"] == NOW
    assert message["conversation_id"].isdigit() and message["id"].isdigit()

    conversation = api.get(f"/conversations/{message['conversation_id']}").json()
    assert conversation["id"] == message["conversation_id"]
    assert conversation["source"]["id"] == message["id"]
    assert conversation["source"]["delivered_as"] == "customer_initiated"
    assert conversation["source"]["body"] == "Hello there"
    assert conversation["source"]["author"] == {
        "type": "user",
        "id": contact["id"],
        "name": contact["name"],
        "email": contact["email"],
    }
    assert conversation["contacts"]["contacts"] == [{"type": "contact", "id": contact["id"], "external_id": "ext-1"}]
    assert conversation["state"] == "open" and conversation["open"] is True
    assert conversation["read"] is False
    assert conversation["waiting_since"] == NOW
    assert conversation["first_contact_reply"] == {"created_at": NOW, "type": "conversation", "url": None}
    assert conversation["statistics"]["first_contact_reply_at"] == NOW
    assert conversation["conversation_parts"] == {
        "type": "conversation_part.list",
        "conversation_parts": [],
        "total_count": 0,
    }


@pytest.mark.parametrize("from_type", ["user", "lead", "contact"])
def test_every_from_type_is_accepted(api, from_type):
    contact = factories.contact(api, role="lead" if from_type == "lead" else "user")
    created = api.post("/conversations", json={"from": {"type": from_type, "id": contact["id"]}, "body": "Hi"})
    assert created.status_code == 200
    conversation = api.get(f"/conversations/{created.json()['conversation_id']}").json()
    assert conversation["source"]["author"]["type"] == contact["role"]


def test_unknown_contact_is_user_not_found(api):
    response = api.post(
        "/conversations", json={"from": {"type": "user", "id": "6657ac8a6abd0166b52ae266"}, "body": "x"}
    )
    assert response.status_code == 404
    assert response.json()["errors"] == [{"code": "not_found", "message": "User Not Found"}]


def test_attachment_urls_are_kept_on_the_source(api):
    urls = [f"https://example.test/files/shot{i}.png" for i in range(10)]
    conversation = factories.conversation(api, attachment_urls=urls)
    attachments = conversation["source"]["attachments"]
    assert [a["url"] for a in attachments] == urls
    assert attachments[0] == {
        "type": "upload",
        "name": "shot0.png",
        "url": urls[0],
        "content_type": "image/png",
    }


def test_more_than_ten_attachment_urls_are_refused(api):
    contact = factories.contact(api)
    response = api.post(
        "/conversations",
        json={
            "from": {"type": "user", "id": contact["id"]},
            "body": "x",
            "attachment_urls": [f"https://example.test/{i}.png" for i in range(11)],
        },
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "parameter_invalid" and error["field"] == "attachment_urls"
    assert api.get("/conversations").json()["total_count"] == 0


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"body": "x"}, "parameter_not_found", "from"),
        ({"from": {"type": "user", "id": "abc"}}, "parameter_not_found", "body"),
        ({"from": {"id": "abc"}, "body": "x"}, "parameter_not_found", "from.type"),
        ({"from": {"type": "admin", "id": "abc"}, "body": "x"}, "parameter_invalid", "from.type"),
        ({"from": {"type": "user", "id": "abc"}, "body": 5}, "parameter_invalid", "body"),
        ({"from": {"type": "user", "id": "abc"}, "body": "   "}, "parameter_invalid", "body"),
        ({"from": "abc", "body": "x"}, "parameter_invalid", "from"),
        (
            {"from": {"type": "user", "id": "abc"}, "body": "x", "attachment_urls": "nope"},
            "parameter_invalid",
            "attachment_urls",
        ),
    ],
)
def test_bad_create_requests_name_the_field(api, body, code, field):
    response = api.post("/conversations", json=body)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == code
    assert error["field"] == field
    assert field in error["message"]


# -- retrieve ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["999999", "abc", "0", "-1", "12345678901234567890"])
def test_unknown_conversation_is_not_found(api, bad_id):
    response = api.get(f"/conversations/{bad_id}")
    assert response.status_code == 404
    assert response.json()["errors"] == [{"code": "not_found", "message": "Resource Not Found"}]


def test_display_as_plaintext_strips_html(api):
    conversation = factories.conversation(api, body="<p>Hello <b>there</b> &amp; welcome</p><p>Second line</p>")
    html = api.get(f"/conversations/{conversation['id']}").json()
    plain = api.get(f"/conversations/{conversation['id']}", params={"display_as": "plaintext"}).json()
    assert html["source"]["body"] == "<p>Hello <b>there</b> &amp; welcome</p><p>Second line</p>"
    assert plain["source"]["body"] == "Hello there & welcome\nSecond line"


def test_another_workspace_cannot_see_the_conversation(api, globex):
    conversation = factories.conversation(api)
    assert globex.get(f"/conversations/{conversation['id']}").status_code == 404
    assert globex.put(f"/conversations/{conversation['id']}", json={"read": True}).status_code == 404
    assert globex.get("/conversations").json()["total_count"] == 0
    # and Globex cannot start a conversation as Acme's contact
    contact_id = conversation["contacts"]["contacts"][0]["id"]
    response = globex.post("/conversations", json={"from": {"type": "user", "id": contact_id}, "body": "x"})
    assert response.status_code == 404
    assert api.get(f"/conversations/{conversation['id']}").json()["read"] is False


# -- list -------------------------------------------------------------------------------------------


def test_list_is_newest_updated_first_without_parts(api, clock):
    ids = []
    for _ in range(3):
        ids.append(factories.conversation(api)["id"])
        clock.advance(10)
    clock.advance(10)
    api.put(f"/conversations/{ids[0]}", json={"title": "touched"})  # moves the oldest to the front
    listing = api.get("/conversations").json()
    assert listing["type"] == "conversation.list"
    assert [c["id"] for c in listing["conversations"]] == [ids[0], ids[2], ids[1]]
    assert listing["total_count"] == 3
    assert listing["pages"] == {"type": "pages", "page": 1, "per_page": 20, "total_pages": 1}
    assert all("conversation_parts" not in c for c in listing["conversations"])


def test_cursor_walk_visits_each_conversation_once_while_new_ones_arrive(api, clock):
    contact = factories.contact(api)
    created = set()
    for i in range(7):
        created.add(factories.conversation(api, contact["id"], body=f"message {i}")["id"])
        if i % 2:
            clock.advance(1)  # some share an updated_at: the id breaks the tie
    seen: list[str] = []
    pages = []
    cursor = None
    while True:
        params = {"per_page": 3, **({"starting_after": cursor} if cursor else {})}
        page = api.get("/conversations", params=params).json()
        pages.append(page["pages"])
        seen.extend(c["id"] for c in page["conversations"])
        factories.conversation(api, contact["id"], body="arrived during the walk")
        nxt = page["pages"].get("next")
        if nxt is None:
            break
        assert nxt["per_page"] == 3
        cursor = nxt["starting_after"]
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))
    assert [p["page"] for p in pages] == [1, 2, 3]
    assert pages[0]["total_pages"] == 3


def test_cursor_looks_like_intercoms(api):
    for _ in range(2):
        factories.conversation(api)
    cursor = api.get("/conversations", params={"per_page": 1}).json()["pages"]["next"]["starting_after"]
    decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert decoded.startswith(b"[")


@pytest.mark.parametrize("per_page", ["151", "0", "-5", "abc", "1.5"])
def test_bad_per_page_is_refused(api, per_page):
    response = api.get("/conversations", params={"per_page": per_page})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "parameter_invalid" and error["field"] == "per_page"


def test_per_page_150_is_allowed(api):
    factories.conversation(api)
    assert api.get("/conversations", params={"per_page": 150}).json()["pages"]["per_page"] == 150


@pytest.mark.parametrize("cursor", ["garbage", "WzEsMiwz", base64.b64encode(b'{"a":1}').decode(), "W10"])
def test_bad_cursor_is_refused(api, cursor):
    response = api.get("/conversations", params={"starting_after": cursor})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "starting_after"


def test_empty_list(api):
    listing = api.get("/conversations").json()
    assert listing["conversations"] == [] and listing["total_count"] == 0
    assert "next" not in listing["pages"]


# -- update -----------------------------------------------------------------------------------------


def test_update_marks_read_sets_title_and_custom_attributes(api, clock):
    conversation = factories.conversation(api)
    clock.advance(60)
    response = api.put(
        f"/conversations/{conversation['id']}",
        json={"read": True, "title": "Billing problem", "custom_attributes": {"plan": "pro", "seats": 5, "vip": True}},
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["read"] is True
    assert updated["title"] == "Billing problem"
    assert updated["custom_attributes"] == {"plan": "pro", "seats": 5, "vip": True}
    assert updated["updated_at"] == NOW + 60
    parts = updated["conversation_parts"]["conversation_parts"]
    assert [p["part_type"] for p in parts] == ["conversation_attribute_updated_by_admin"] * 4
    assert parts[0]["author"]["type"] == "bot" and parts[0]["author"]["name"] == "Operator"
    # what PUT returned is what GET shows
    assert api.get(f"/conversations/{conversation['id']}").json() == updated


def test_custom_attributes_merge_and_can_be_cleared(api):
    conversation = factories.conversation(api)
    path = f"/conversations/{conversation['id']}"
    api.put(path, json={"custom_attributes": {"a": "1", "b": 2.5}})
    updated = api.put(path, json={"custom_attributes": {"b": None, "c": False}}).json()
    assert updated["custom_attributes"] == {"a": "1", "b": None, "c": False}


def test_update_with_nothing_new_leaves_no_trace(api, clock):
    conversation = factories.conversation(api)
    clock.advance(60)
    updated = api.put(f"/conversations/{conversation['id']}", json={"read": False}).json()
    assert updated["updated_at"] == conversation["updated_at"]
    assert updated["conversation_parts"]["total_count"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"read": "yes"}, "read"),
        ({"read": 1}, "read"),
        ({"title": 12}, "title"),
        ({"custom_attributes": []}, "custom_attributes"),
        ({"custom_attributes": {"nested": {"x": 1}}}, "custom_attributes.nested"),
        ({"custom_attributes": {"list": [1, 2]}}, "custom_attributes.list"),
    ],
)
def test_bad_updates_are_refused_and_change_nothing(api, body, field):
    conversation = factories.conversation(api)
    response = api.put(f"/conversations/{conversation['id']}", json={"title": "should not stick", **body})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "parameter_invalid" and error["field"] == field
    assert api.get(f"/conversations/{conversation['id']}").json() == conversation


def test_update_unknown_conversation(api):
    response = api.put("/conversations/424242", json={"read": True})
    assert response.status_code == 404
