"""The state each part leaves its conversation in (2.13+ `conversation_part.state`), recorded by every
write that makes a part, and the ticket state a ticket part set (`ticket_part.ticket_state`,
`previous_ticket_state`), on both engines and in the shapes before and after."""

from __future__ import annotations

from sqlalchemy import select

from inboxd.operations import snoozes
from inboxd.store.tables import conversation_parts
from inboxd.store.transactions import transaction
from tests import factories
from tests.conftest import T0

NOW = T0 + 3600


def _parts(document):
    return document["conversation_parts"]["conversation_parts"]


def test_every_part_records_the_state_it_left(api, engine, clock):
    ada = api.get("/me").json()
    contact = factories.contact(api)
    conversation = factories.conversation(api, contact_id=contact["id"])
    path = f"/conversations/{conversation['id']}"

    def admin(**body):
        kind = "reply" if body.get("message_type") in ("comment", "note") else "parts"
        response = api.post(f"{path}/{kind}", json={"type": "admin", "admin_id": ada["id"], **body})
        assert response.status_code == 200, response.text

    admin(message_type="comment", body="On it")
    admin(message_type="note", body="internal")
    admin(message_type="assignment", assignee_id=ada["id"])
    admin(message_type="close")
    reply = {"type": "user", "intercom_user_id": contact["id"], "message_type": "comment", "body": "Still broken"}
    assert api.post(f"{path}/reply", json=reply).status_code == 200
    admin(message_type="snoozed", snoozed_until=NOW + 60)
    clock.advance(120)
    snoozes.sweep(engine, clock.now())  # the sweeper's timer_unsnooze
    admin(message_type="close")
    admin(message_type="open")
    title = api.put(path, json={"title": "Broken"})
    assert title.status_code == 200

    expected = [
        ("comment", "open"),
        ("note", "open"),
        ("assignment", "open"),
        ("close", "closed"),
        ("comment", "open"),
        ("snoozed", "snoozed"),
        ("timer_unsnooze", "open"),
        ("close", "closed"),
        ("open", "open"),
        ("conversation_attribute_updated_by_admin", "open"),
    ]
    for version in ("2.13", "2.14", "2.16"):
        shown = api.at(version).get(path).json()
        assert [(p["part_type"], p["state"]) for p in _parts(shown)] == expected, version
    for version in ("2.10", "2.12"):
        assert all("state" not in p for p in _parts(api.at(version).get(path).json())), version
    with transaction(engine, write=False) as conn:
        stored = conn.execute(
            select(conversation_parts.c.state)
            .where(conversation_parts.c.conversation_id == int(conversation["id"]))
            .order_by(conversation_parts.c.id)
        ).scalars()
        assert list(stored) == [state for _, state in expected]


def test_a_write_answers_with_the_state_of_its_part_and_redaction_keeps_it(api):
    ada = api.get("/me").json()
    conversation = factories.conversation(api)
    closed = api.at("2.13").post(
        f"/conversations/{conversation['id']}/parts",
        json={"message_type": "close", "type": "admin", "admin_id": ada["id"], "body": "Card 4111"},
    )
    [part] = _parts(closed.json())
    assert (part["part_type"], part["state"]) == ("close", "closed")
    redacted = api.at("2.16").post(
        "/conversations/redact",
        json={"type": "conversation_part", "conversation_id": conversation["id"], "conversation_part_id": part["id"]},
    )
    [after] = _parts(redacted.json())
    assert after["redacted"] is True and after["state"] == "closed"


def test_only_the_part_that_set_the_ticket_state_names_it(api):
    ada = api.get("/me").json()
    conversation = factories.conversation(api)
    api.post(
        f"/conversations/{conversation['id']}/reply",
        json={"type": "admin", "admin_id": ada["id"], "message_type": "comment", "body": "Filing it"},
    )
    ticket_type = factories.ticket_type(api, category="Customer")
    converted = api.post(f"/conversations/{conversation['id']}/convert", json={"ticket_type_id": ticket_type["id"]})
    assert converted.status_code == 200, converted.text
    ticket_id = converted.json()["id"]
    for version in ("2.10", "2.12", "2.13", "2.16"):
        parts = api.at(version).get(f"/tickets/{ticket_id}").json()["ticket_parts"]["ticket_parts"]
        comment, conversion = parts
        assert "ticket_state" not in comment and "previous_ticket_state" not in comment, version
        assert conversion["part_type"] == "ticket_state_updated_by_admin"
        assert (conversion["ticket_state"], conversion["previous_ticket_state"]) == ("submitted", "submitted")
    # The conversation's part of the conversion keeps the conversation's own state.
    shown = api.at("2.13").get(f"/conversations/{conversation['id']}").json()
    assert [p["state"] for p in _parts(shown)] == ["open", "open"]
