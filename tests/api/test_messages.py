"""POST /messages: admins' outbound messages, and the conversation each turns into — at once with
`create_conversation_without_contact_reply`, else when the contact answers through
`POST /conversations/last/reply` — and contacts' messages, which start theirs at once; on SQLite
and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.conftest import T0

NOW = T0 + 3600


@pytest.fixture
def ada(api):
    return api.get("/admins").json()["admins"][0]


def send(api, admin, contact, body="<p>Hello from Acme</p>", message_type="inapp", **fields):
    payload = {
        "message_type": message_type,
        "body": body,
        "from": {"type": "admin", "id": admin["id"]},
        "to": {"type": contact["role"], "id": contact["id"]},
        **fields,
    }
    return api.post("/messages", json=payload)


def answer(api, contact, body="Thanks, got it"):
    return api.post(
        "/conversations/last/reply",
        json={"type": "user", "intercom_user_id": contact["id"], "message_type": "comment", "body": body},
    )


def all_conversations(api):
    return api.get("/conversations").json()["conversations"]


# -- the message ------------------------------------------------------------------------------------


def test_an_in_app_message_has_no_conversation_until_the_contact_answers(api, ada):
    contact = factories.contact(api)
    response = send(api, ada, contact, subject="ignored in-app")
    assert response.status_code == 200
    assert response.json() == {
        "type": "admin_message",
        "id": response.json()["id"],
        "created_at": NOW,
        "body": "<p>Hello from Acme</p>",
        "message_type": "inapp",
        "owner": {
            "type": "admin",
            "id": ada["id"],
            "name": ada["name"],
            "email": ada["email"],
            "away_mode_enabled": False,
            "away_mode_reassign": False,
        },
    }
    assert response.json()["id"].isdigit()
    assert all_conversations(api) == []


@pytest.mark.parametrize("message_type", ["in_app", "inapp", "conversation"])
def test_every_in_app_spelling_is_answered_as_inapp(api, ada, message_type):
    # in_app: the spec's enum; inapp: Intercom's docs and responses; conversation: the spec's example.
    response = send(api, ada, factories.contact(api), message_type=message_type)
    assert response.status_code == 200
    assert response.json()["message_type"] == "inapp"


@pytest.mark.parametrize("template", [None, "plain", "personal"])
def test_an_email_has_a_subject(api, ada, template):
    extra = {"template": template} if template else {}
    response = send(api, ada, factories.contact(api), message_type="email", subject="Your invoice", **extra)
    assert response.status_code == 200
    message = response.json()
    assert (message["message_type"], message["subject"]) == ("email", "Your invoice")
    assert "conversation_id" not in message


def test_a_lead_can_be_messaged_and_named_by_external_id(api, ada):
    lead = factories.contact(api, role="lead", external_id="lead-7")
    response = api.post(
        "/messages",
        json={
            "message_type": "inapp",
            "body": "hi",
            "from": {"type": "admin", "id": int(ada["id"])},  # the spec types from.id as an integer
            "to": {"type": "lead", "user_id": "lead-7"},
            "create_conversation_without_contact_reply": True,
        },
    )
    assert response.status_code == 200
    conversation = api.get(f"/conversations/{response.json()['conversation_id']}").json()
    assert conversation["contacts"]["contacts"][0]["id"] == lead["id"]


# -- create_conversation_without_contact_reply ---------------------------------------------------


@pytest.mark.parametrize(("message_type", "source_type"), [("inapp", "conversation"), ("email", "email")])
def test_the_conversation_can_exist_at_once(api, ada, message_type, source_type):
    contact = factories.contact(api, external_id="ext-9")
    subject = {"subject": "Hello"} if message_type == "email" else {}
    response = send(
        api, ada, contact, message_type=message_type, create_conversation_without_contact_reply=True, **subject
    )
    assert response.status_code == 200
    message = response.json()
    assert message["conversation_id"].isdigit()

    conversation = api.get(f"/conversations/{message['conversation_id']}").json()
    assert conversation["source"] == {
        "type": source_type,
        "id": message["id"],
        "delivered_as": "admin_initiated",
        "subject": "Hello" if message_type == "email" else "",
        "body": "<p>Hello from Acme</p>",
        "author": {"type": "admin", "id": ada["id"], "name": ada["name"], "email": ada["email"]},
        "attachments": [],
        "url": None,
        "redacted": False,
    }
    assert conversation["contacts"]["contacts"] == [{"type": "contact", "id": contact["id"], "external_id": "ext-9"}]
    assert conversation["created_at"] == conversation["updated_at"] == NOW
    assert conversation["state"] == "open"
    assert conversation["waiting_since"] is None  # nobody waits for an answer to their own message
    assert conversation["first_contact_reply"] is None
    assert "first_contact_reply_at" not in conversation["statistics"]
    assert conversation["conversation_parts"]["total_count"] == 0


def test_the_contact_answers_a_conversation_that_exists_already(api, ada, clock):
    contact = factories.contact(api)
    message = send(api, ada, contact, create_conversation_without_contact_reply=True).json()
    clock.advance(30)
    replied = answer(api, contact)
    assert replied.status_code == 200
    assert replied.json()["id"] == message["conversation_id"]
    assert len(all_conversations(api)) == 1


# -- the contact's answer ---------------------------------------------------------------------------


def test_the_contacts_answer_turns_the_message_into_its_conversation(api, ada, clock):
    contact = factories.contact(api)
    message = send(api, ada, contact).json()
    clock.advance(60)
    response = answer(api, contact, body="Thanks, got it")
    assert response.status_code == 200
    conversation = response.json()

    assert conversation["source"]["id"] == message["id"]
    assert conversation["source"]["delivered_as"] == "admin_initiated"
    assert conversation["source"]["author"]["id"] == ada["id"]
    assert conversation["source"]["body"] == "<p>Hello from Acme</p>"
    assert conversation["created_at"] == NOW  # when the message was sent
    assert conversation["updated_at"] == NOW + 60
    assert conversation["state"] == "open" and conversation["read"] is False
    assert conversation["waiting_since"] == NOW + 60
    assert conversation["first_contact_reply"] == {"created_at": NOW + 60, "type": "conversation", "url": None}
    assert conversation["statistics"]["first_contact_reply_at"] == NOW + 60
    assert conversation["contacts"]["contacts"][0]["id"] == contact["id"]
    [part] = conversation["conversation_parts"]["conversation_parts"]
    assert (part["part_type"], part["body"], part["author"]["id"]) == ("comment", "Thanks, got it", contact["id"])
    assert api.get(f"/conversations/{conversation['id']}").json() == conversation

    # A second answer goes to the same conversation: the message has one now.
    clock.advance(5)
    again = answer(api, contact, body="One more thing").json()
    assert again["id"] == conversation["id"]
    assert again["waiting_since"] == NOW + 60
    assert len(all_conversations(api)) == 1


def test_the_newest_unanswered_message_is_the_one_answered(api, ada, clock):
    contact = factories.contact(api)
    send(api, ada, contact, body="first")
    clock.advance(10)
    second = send(api, ada, contact, body="second").json()
    clock.advance(10)
    conversation = answer(api, contact).json()
    assert conversation["source"]["id"] == second["id"]
    assert len(all_conversations(api)) == 1


def test_a_message_newer_than_the_contacts_conversation_is_answered(api, ada, clock):
    contact = factories.contact(api)
    older = factories.conversation(api, contact["id"])
    clock.advance(10)
    message = send(api, ada, contact).json()
    clock.advance(10)
    conversation = answer(api, contact).json()
    assert conversation["source"]["id"] == message["id"]
    assert api.get(f"/conversations/{older['id']}").json()["conversation_parts"]["total_count"] == 0


def test_a_conversation_that_moved_after_the_message_is_answered_instead(api, ada, clock):
    contact = factories.contact(api)
    message = send(api, ada, contact).json()
    clock.advance(10)
    newer = factories.conversation(api, contact["id"])  # the contact wrote again since
    clock.advance(10)
    conversation = answer(api, contact).json()
    assert conversation["id"] == newer["id"]
    assert conversation["source"]["id"] != message["id"]
    assert len(all_conversations(api)) == 1


def test_another_contacts_message_is_not_theirs_to_answer(api, ada):
    addressee, other = factories.contact(api), factories.contact(api)
    send(api, ada, addressee)
    response = answer(api, other)
    assert response.status_code == 404
    assert all_conversations(api) == []


# -- errors -----------------------------------------------------------------------------------------


def _refused_and_nothing_sent(
    api: Any, payload: dict[str, Any], status: int, code: str, message: str | None, field: str | None
) -> None:
    response = api.post("/messages", json=payload)
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert error["code"] == code
    if message is not None:
        assert error["message"] == message
    if field is not None:
        assert error["field"] == field
    assert all_conversations(api) == []


@pytest.mark.parametrize(
    ("change", "status", "code", "message", "field"),
    [
        ({"body": None}, 400, "parameter_invalid", "Body is required", "body"),  # the spec's example
        ({"body": "  "}, 400, "parameter_invalid", "Body is required", "body"),
        (
            {"message_type": "email"},
            422,
            "parameter_not_found",
            "No subject supplied for email message",
            "subject",
        ),
        ({"message_type": "email", "subject": " "}, 422, "parameter_not_found", None, "subject"),
        ({"message_type": "sms"}, 400, "parameter_invalid", None, "message_type"),
        ({"message_type": None}, 400, "parameter_invalid", None, "message_type"),
        ({"template": "fancy"}, 400, "parameter_invalid", None, "template"),
        ({"from": {"type": "team", "id": "1"}}, 400, "parameter_invalid", None, "from.type"),
        ({"from": None}, 400, "parameter_invalid", None, "from"),
        ({"to": {"type": "admin", "id": "x"}}, 400, "parameter_invalid", None, "to.type"),
        ({"to": {"type": "user"}}, 400, "parameter_not_found", None, "to.id"),
        ({"create_conversation_without_contact_reply": "true"}, 400, "parameter_invalid", None, None),
        ({"from": {"type": "admin", "id": "424242"}}, 404, "admin_not_found", "Admin not found", "from.id"),
        ({"to": {"type": "user", "id": "6657ac8a6abd0166b52ae266"}}, 404, "not_found", "User Not Found", None),
        ({"to": {"type": "user", "email": "nobody@example.test"}}, 404, "not_found", "User Not Found", None),
    ],
)
def test_bad_messages_are_refused_and_send_nothing(api, ada, change, status, code, message, field):
    contact = factories.contact(api)
    payload = {
        "message_type": "inapp",
        "body": "hi",
        "from": {"type": "admin", "id": ada["id"]},
        "to": {"type": "user", "id": contact["id"]},
        "create_conversation_without_contact_reply": True,
        **change,
    }
    _refused_and_nothing_sent(api, payload, status, code, message, field)
    assert answer(api, contact).status_code == 404  # no message was stored either


@pytest.mark.parametrize("missing", ["message_type", "from", "to"])
def test_required_fields(api, ada, missing):
    contact = factories.contact(api)
    payload = {
        "message_type": "inapp",
        "body": "hi",
        "from": {"type": "admin", "id": ada["id"]},
        "to": {"type": "user", "id": contact["id"]},
    }
    del payload[missing]
    response = api.post("/messages", json=payload)
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "parameter_not_found",
        "message": f"{missing} is a required parameter",
        "field": missing,
    }


# -- isolation --------------------------------------------------------------------------------------


def test_workspaces_cannot_message_each_others_people(api, globex, ada):
    contact = factories.contact(api)
    hank = globex.get("/admins").json()["admins"][0]
    foreign_admin = send(api, hank, contact)
    assert foreign_admin.status_code == 404 and foreign_admin.json()["errors"][0]["code"] == "admin_not_found"
    foreign_contact = send(globex, hank, contact)
    assert foreign_contact.status_code == 404 and foreign_contact.json()["errors"][0]["message"] == "User Not Found"

    send(api, ada, contact)
    assert answer(globex, contact).status_code == 404  # Globex does not know the contact at all
    assert globex.get("/conversations").json()["conversations"] == []
    assert answer(api, contact).status_code == 200


# -- from a contact ---------------------------------------------------------------------------------


def from_contact(api, contact, body="heyy", **fields):
    """The spec's "user message created" / "lead message created" request: a sender, a body, a referer."""
    payload = {"from": {"type": contact["role"], "id": contact["id"]}, "body": body, **fields}
    return api.post("/messages", json=payload)


@pytest.mark.parametrize("version", ["2.7", "2.10", "2.11", "2.13", "2.16"])
@pytest.mark.parametrize("role", ["user", "lead"])
def test_a_contacts_message_starts_its_conversation_at_once(api, version, role):
    contact = factories.contact(api, role=role, **({"email": None} if role == "lead" else {}))
    at = api.at(version)
    response = from_contact(at, contact, referer="https://twitter.com/bob")
    assert response.status_code == 200, response.text
    message = response.json()
    expected = {
        "type": "user_message",
        "id": message["id"],
        "created_at": NOW,
        "body": "heyy",
        "message_type": "inapp",
        "conversation_id": message["conversation_id"],
    }
    if version == "2.11":
        expected["subject"] = ""  # 2.11 requires it (docs/compatibility.md)
    assert message == expected
    shown = at.get(f"/conversations/{message['conversation_id']}").json()
    assert shown["source"]["id"] == message["id"]
    assert shown["source"]["delivered_as"] == "customer_initiated"
    assert shown["source"]["author"]["type"] == role and shown["source"]["author"]["id"] == contact["id"]
    assert shown["source"]["url"] == "https://twitter.com/bob"
    assert shown["contacts"]["contacts"][0]["id"] == contact["id"]
    assert shown["state"] == "open" and shown["waiting_since"] == NOW
    assert shown["first_contact_reply"] == {"created_at": NOW, "type": "conversation", "url": "https://twitter.com/bob"}
    assert shown["conversation_parts"]["conversation_parts"] == []


def test_a_contacts_message_is_what_post_conversations_writes(api):
    contact = factories.contact(api)
    sent = from_contact(api, contact, body="<p>Same thing</p>").json()
    started = api.post(
        "/conversations", json={"from": {"type": "user", "id": contact["id"]}, "body": "<p>Same thing</p>"}
    ).json()
    one, other = (api.get(f"/conversations/{m['conversation_id']}").json() for m in (sent, started))
    for shown in (one, other):
        for volatile in ("id",):
            shown.pop(volatile)
        shown["source"].pop("id")
    assert one == other


def test_a_contacts_message_ignores_what_only_an_admins_message_has(api):
    contact = factories.contact(api)
    other = factories.contact(api)
    response = from_contact(
        api,
        contact,
        to={"type": "user", "id": other["id"]},
        subject="ignored",
        template="whatever",
        create_conversation_without_contact_reply=False,
    )
    assert response.status_code == 200, response.text
    assert "subject" not in response.json()
    shown = api.get(f"/conversations/{response.json()['conversation_id']}").json()
    assert [c["id"] for c in shown["contacts"]["contacts"]] == [contact["id"]]
    assert shown["source"]["subject"] == ""


@pytest.mark.parametrize(
    ("change", "status", "code", "message", "field"),
    [
        ({"body": None}, 400, "parameter_invalid", "Body is required", "body"),
        ({"body": " "}, 400, "parameter_invalid", "Body is required", "body"),
        ({"body": 5}, 400, "parameter_invalid", None, "body"),
        ({"message_type": "email"}, 400, "parameter_invalid", None, "message_type"),
        ({"referer": 7}, 400, "parameter_invalid", None, "referer"),
        ({"from": {"type": "user"}}, 400, "parameter_not_found", None, "from.id"),
        ({"from": {"type": "user", "id": "6657ac8a6abd0166b52ae266"}}, 404, "not_found", "User Not Found", None),
    ],
)
def test_bad_contact_messages_are_refused_and_start_nothing(api, change, status, code, message, field):
    contact = factories.contact(api)
    payload = {"from": {"type": "user", "id": contact["id"]}, "body": "hi", **change}
    _refused_and_nothing_sent(api, payload, status, code, message, field)


def test_a_workspace_cannot_write_as_anothers_contact(api, globex):
    contact = factories.contact(api)
    response = from_contact(globex, contact)
    assert response.status_code == 404 and response.json()["errors"][0]["message"] == "User Not Found"
    assert all_conversations(api) == [] and all_conversations(globex) == []
