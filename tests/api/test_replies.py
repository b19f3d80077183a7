"""POST /conversations/{id}/reply: admins' comments and notes, contacts' comments, on both engines."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import T0

NOW = T0 + 3600


@pytest.fixture
def ada(api):
    return api.get("/admins").json()["admins"][0]


@pytest.fixture
def bob(api):
    return api.get("/admins").json()["admins"][1]


def admin_reply(api, conversation_id, admin, body="Happy to help", message_type="comment", **fields):
    return api.post(
        f"/conversations/{conversation_id}/reply",
        json={"type": "admin", "admin_id": admin["id"], "message_type": message_type, "body": body, **fields},
    )


def contact_reply(api, conversation_id, contact_id, body="Thanks!", **fields):
    return api.post(
        f"/conversations/{conversation_id}/reply",
        json={"type": "user", "intercom_user_id": contact_id, "message_type": "comment", "body": body, **fields},
    )


def test_admin_comment_answers_the_contact(api, ada, clock):
    conversation = factories.conversation(api)
    clock.advance(90)
    response = admin_reply(api, conversation["id"], ada, body="<p>Hello!</p>")
    assert response.status_code == 200
    replied = response.json()
    [part] = replied["conversation_parts"]["conversation_parts"]
    assert part["part_type"] == "comment"
    assert part["body"] == "<p>Hello!</p>"
    assert part["author"] == {"type": "admin", "id": ada["id"], "name": ada["name"], "email": ada["email"]}
    assert part["created_at"] == NOW + 90
    assert replied["waiting_since"] is None
    assert replied["teammates"]["teammates"] == [{"type": "admin", "id": ada["id"]}]
    assert replied["updated_at"] == NOW + 90
    assert replied["statistics"]["time_to_admin_reply"] == 90
    assert replied["statistics"]["first_admin_reply_at"] == NOW + 90
    assert replied["statistics"]["median_time_to_reply"] == 90
    assert api.get(f"/conversations/{conversation['id']}").json() == replied


def test_a_note_changes_neither_waiting_nor_teammates(api, ada, clock):
    conversation = factories.conversation(api)
    clock.advance(30)
    noted = admin_reply(api, conversation["id"], ada, body="internal", message_type="note").json()
    assert noted["conversation_parts"]["conversation_parts"][0]["part_type"] == "note"
    assert noted["waiting_since"] == NOW
    assert noted["teammates"]["teammates"] == []
    assert "first_admin_reply_at" not in noted["statistics"]
    assert noted["updated_at"] == NOW + 30


def test_teammates_are_listed_once_in_the_order_they_joined(api, ada, bob):
    conversation = factories.conversation(api)
    for admin in (bob, ada, bob):
        admin_reply(api, conversation["id"], admin)
    shown = api.get(f"/conversations/{conversation['id']}").json()
    assert [t["id"] for t in shown["teammates"]["teammates"]] == [bob["id"], ada["id"]]


def test_admin_reply_with_a_created_at_in_the_past(api, ada):
    conversation = factories.conversation(api)
    replied = admin_reply(api, conversation["id"], ada, created_at=NOW - 10).json()
    assert replied["conversation_parts"]["conversation_parts"][0]["created_at"] == NOW - 10


def test_contact_comment_makes_the_contact_wait_from_the_first_unanswered_message(api, ada, clock):
    conversation = factories.conversation(api)
    contact_id = conversation["contacts"]["contacts"][0]["id"]
    admin_reply(api, conversation["id"], ada)
    clock.advance(100)
    first = contact_reply(api, conversation["id"], contact_id, body="one").json()
    assert first["waiting_since"] == NOW + 100
    clock.advance(50)
    second = contact_reply(api, conversation["id"], contact_id, body="two").json()
    assert second["waiting_since"] == NOW + 100  # still waiting since the first
    part = second["conversation_parts"]["conversation_parts"][-1]
    assert part["author"]["type"] == "user" and part["author"]["id"] == contact_id
    assert second["statistics"]["last_contact_reply_at"] == NOW + 150


@pytest.mark.parametrize("identify", ["intercom_user_id", "email", "user_id"])
def test_a_contact_is_identified_three_ways(api, identify):
    contact = factories.contact(api, external_id="ext-77")
    conversation = factories.conversation(api, contact["id"])
    key = {"intercom_user_id": contact["id"], "email": contact["email"], "user_id": "ext-77"}[identify]
    response = api.post(
        f"/conversations/{conversation['id']}/reply",
        json={"type": "user", identify: key, "message_type": "comment", "body": "hi"},
    )
    assert response.status_code == 200
    assert response.json()["conversation_parts"]["total_count"] == 1


def test_a_contact_reply_reopens_closed_and_snoozed_conversations(api, ada, clock):
    conversation = factories.conversation(api)
    contact_id = conversation["contacts"]["contacts"][0]["id"]
    path = f"/conversations/{conversation['id']}"
    api.post(f"{path}/parts", json={"message_type": "close", "type": "admin", "admin_id": ada["id"]})
    reopened = contact_reply(api, conversation["id"], contact_id).json()
    assert reopened["state"] == "open" and reopened["open"] is True
    assert reopened["statistics"]["count_reopens"] == 1
    api.post(f"{path}/parts", json={"message_type": "snoozed", "admin_id": ada["id"], "snoozed_until": NOW + 999})
    woken = contact_reply(api, conversation["id"], contact_id).json()
    assert woken["state"] == "open" and woken["snoozed_until"] is None
    assert woken["statistics"]["count_reopens"] == 1  # waking from a snooze is no reopen


def test_last_is_the_contacts_most_recently_updated_conversation(api, ada, clock):
    contact = factories.contact(api)
    older = factories.conversation(api, contact["id"], body="older")
    clock.advance(10)
    newer = factories.conversation(api, contact["id"], body="newer")
    clock.advance(10)
    admin_reply(api, older["id"], ada)  # now the older one is the most recently updated
    replied = contact_reply(api, "last", contact["id"]).json()
    assert replied["id"] == older["id"]
    assert api.get(f"/conversations/{newer['id']}").json()["conversation_parts"]["total_count"] == 0


def test_a_contact_who_is_not_a_participant_is_refused(api):
    conversation = factories.conversation(api)
    stranger = factories.contact(api)
    response = contact_reply(api, conversation["id"], stranger["id"])
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "action_forbidden"
    assert api.get(f"/conversations/{conversation['id']}").json()["conversation_parts"]["total_count"] == 0


def test_attachment_urls_on_a_reply(api, ada):
    conversation = factories.conversation(api)
    urls = ["https://files.example.test/a/report.pdf"]
    replied = admin_reply(api, conversation["id"], ada, attachment_urls=urls).json()
    [attachment] = replied["conversation_parts"]["conversation_parts"][0]["attachments"]
    assert attachment["url"] == urls[0] and attachment["content_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"message_type": "comment", "body": "x", "admin_id": "1"}, 400, "parameter_not_found", "type"),
        ({"type": "bot", "message_type": "comment", "body": "x"}, 400, "parameter_invalid", "type"),
        ({"type": "admin", "message_type": "comment", "body": "x"}, 400, "parameter_not_found", "admin_id"),
        (
            {"type": "admin", "admin_id": "ADA", "message_type": "shout", "body": "x"},
            400,
            "parameter_invalid",
            "message_type",
        ),
        ({"type": "admin", "admin_id": "ADA", "message_type": "comment"}, 400, "parameter_not_found", "body"),
        (
            {"type": "admin", "admin_id": "ADA", "message_type": "comment", "body": " "},
            400,
            "parameter_invalid",
            "body",
        ),
        (
            {"type": "admin", "admin_id": "999999", "message_type": "comment", "body": "x"},
            404,
            "admin_not_found",
            "admin_id",
        ),
        (
            {"type": "user", "message_type": "note", "body": "x", "email": "a@b.test"},
            400,
            "parameter_invalid",
            "message_type",
        ),
        ({"type": "user", "message_type": "comment", "body": "x"}, 400, "parameter_not_found", "intercom_user_id"),
        ({"type": "user", "message_type": "comment", "body": "x", "email": "nobody@x.test"}, 404, "not_found", None),
        (
            {"type": "admin", "admin_id": "ADA", "message_type": "comment", "body": "x", "attachment_urls": ["u"] * 11},
            400,
            "parameter_invalid",
            "attachment_urls",
        ),
    ],
)
def test_bad_replies_are_refused_and_change_nothing(api, ada, body, status, code, field):
    conversation = factories.conversation(api)
    if body.get("admin_id") == "ADA":
        body = {**body, "admin_id": ada["id"]}
    response = api.post(f"/conversations/{conversation['id']}/reply", json=body)
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert error["code"] == code
    assert error.get("field") == field
    assert api.get(f"/conversations/{conversation['id']}").json() == conversation


def test_reply_to_an_unknown_conversation(api, ada):
    response = admin_reply(api, "987654", ada)
    assert response.status_code == 404
    assert admin_reply(api, "last", ada).status_code == 400


def test_another_workspace_cannot_reply(api, globex):
    conversation = factories.conversation(api)
    hank = globex.get("/admins").json()["admins"][0]
    response = admin_reply(globex, conversation["id"], hank)
    assert response.status_code == 404
    ada = api.get("/admins").json()["admins"][0]
    # nor can an Acme request name a Globex admin
    assert admin_reply(api, conversation["id"], hank).json()["errors"][0]["code"] == "admin_not_found"
    assert admin_reply(api, conversation["id"], ada).status_code == 200
