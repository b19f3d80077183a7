"""Every write operation the API has, with the events it causes (domain/events.py), as the unit of
work hands them on once the write has committed; and none for a write that fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inboxd.domain.events import TOPICS, Event
from tests import factories
from tests.conftest import T0, Api

NOW = T0 + 3600


@pytest.fixture
def heard(api: Api) -> list[Event]:
    events: list[Event] = []
    api.client.app.state.on_events = events.extend  # type: ignore[attr-defined]
    return events


class World:
    """A conversation, its contact, an admin and a tag, made before the operation under test."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.admin = api.get("/me").json()["id"]
        self.team = api.get("/teams").json()["teams"][0]["id"]
        self.contact = factories.contact(api)
        self.conversation = factories.conversation(api, self.contact["id"])["id"]
        self.tag = api.post("/tags", json={"name": "vip"}).json()["id"]
        self.ticket_type = factories.ticket_type(api, category="Customer")["id"]

    def parts(self, **body: Any) -> Any:
        return self.api.post(f"/conversations/{self.conversation}/parts", json={"admin_id": self.admin, **body})

    def message(self, open_now: bool) -> Any:
        return self.api.post(
            "/messages",
            json={
                "message_type": "inapp",
                "body": "Hello",
                "from": {"type": "admin", "id": self.admin},
                "to": {"type": "user", "id": self.contact["id"]},
                "create_conversation_without_contact_reply": open_now,
            },
        )

    def reply(self, **body: Any) -> Any:
        return self.api.post(f"/conversations/{self.conversation}/reply", json=body)


def _snoozed(w: World) -> Any:
    return w.parts(message_type="snoozed", snoozed_until=NOW + 60)


# operation → (what it needs done first, the operation, the topics its committed write caused)
OPERATIONS: dict[str, tuple[Callable[[World], Any] | None, Callable[[World], Any], list[str]]] = {
    "start a conversation (contact)": (
        None,
        lambda w: w.api.post("/conversations", json={"from": {"type": "user", "id": w.contact["id"]}, "body": "hi"}),
        ["conversation.user.created"],
    ),
    "a contact's message": (
        None,
        lambda w: w.api.post("/messages", json={"from": {"type": "user", "id": w.contact["id"]}, "body": "hi"}),
        ["conversation.user.created"],
    ),
    "admin message opening a conversation": (
        None,
        lambda w: w.message(open_now=True),
        ["conversation.admin.single.created"],
    ),
    "admin message, not yet a conversation": (None, lambda w: w.message(open_now=False), []),
    "contact reply": (
        None,
        lambda w: w.reply(type="user", intercom_user_id=w.contact["id"], message_type="comment", body="more"),
        ["conversation.user.replied"],
    ),
    "admin reply": (
        None,
        lambda w: w.reply(type="admin", admin_id=w.admin, message_type="comment", body="on it"),
        ["conversation.admin.replied"],
    ),
    "admin note": (
        None,
        lambda w: w.reply(type="admin", admin_id=w.admin, message_type="note", body="internal"),
        ["conversation.admin.noted"],
    ),
    "close": (None, lambda w: w.parts(message_type="close", type="admin"), ["conversation.admin.closed"]),
    "close a closed conversation": (
        lambda w: w.parts(message_type="close", type="admin"),
        lambda w: w.parts(message_type="close", type="admin"),
        [],
    ),
    "open a closed conversation": (
        lambda w: w.parts(message_type="close", type="admin"),
        lambda w: w.parts(message_type="open"),
        ["conversation.admin.opened"],
    ),
    "snooze": (None, _snoozed, ["conversation.admin.snoozed"]),
    "assign an open conversation": (
        None,
        lambda w: w.parts(message_type="assignment", type="team", assignee_id=w.team),
        ["conversation.admin.assigned", "conversation.admin.open.assigned"],
    ),
    "assign a closed conversation": (
        lambda w: w.parts(message_type="close", type="admin"),
        lambda w: w.parts(message_type="assignment", type="admin", assignee_id=w.admin),
        ["conversation.admin.assigned"],
    ),
    "mark read": (
        None,
        lambda w: w.api.put(f"/conversations/{w.conversation}", json={"read": True}),
        ["conversation.read"],
    ),
    "set a title": (None, lambda w: w.api.put(f"/conversations/{w.conversation}", json={"title": "Refund"}), []),
    "tag": (
        None,
        lambda w: w.api.post(f"/conversations/{w.conversation}/tags", json={"id": w.tag, "admin_id": w.admin}),
        ["conversation_part.tag.created"],
    ),
    "untag": (
        lambda w: w.api.post(f"/conversations/{w.conversation}/tags", json={"id": w.tag, "admin_id": w.admin}),
        lambda w: w.api.delete(f"/conversations/{w.conversation}/tags/{w.tag}", json={"admin_id": w.admin}),
        [],
    ),
    "attach a contact": (
        None,
        lambda w: w.api.post(
            f"/conversations/{w.conversation}/customers",
            json={"admin_id": w.admin, "customer": {"email": "new@example.test"}},
        ),
        ["conversation.contact.attached"],
    ),
    "detach a contact": (
        lambda w: w.api.post(
            f"/conversations/{w.conversation}/customers",
            json={"admin_id": w.admin, "customer": {"email": "second@example.test"}},
        ),
        lambda w: w.api.delete(
            f"/conversations/{w.conversation}/customers/{w.contact['id']}", json={"admin_id": w.admin}
        ),
        ["conversation.contact.detached"],
    ),
    "redact the source": (
        None,
        lambda w: w.api.post(
            "/conversations/redact",
            json={
                "type": "source",
                "conversation_id": w.conversation,
                "source_id": w.api.get(f"/conversations/{w.conversation}").json()["source"]["id"],
            },
        ),
        ["conversation_part.redacted"],
    ),
    "run assignment rules (none match)": (
        None,
        lambda w: w.api.post(f"/conversations/{w.conversation}/run_assignment_rules"),
        [],
    ),
    "convert to a ticket": (
        None,
        lambda w: w.api.post(f"/conversations/{w.conversation}/convert", json={"ticket_type_id": w.ticket_type}),
        ["ticket.created"],
    ),
    "delete (2.13 on)": (
        None,
        lambda w: w.api.at("2.13").delete(f"/conversations/{w.conversation}"),
        ["conversation.deleted"],
    ),
    "delete in 2.12 (the 405 of before)": (
        None,
        lambda w: w.api.at("2.12").delete(f"/conversations/{w.conversation}", validate=False),
        [],
    ),
    "a write that fails": (
        None,
        lambda w: w.parts(message_type="snoozed", snoozed_until=NOW - 1),
        [],
    ),
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_each_operation_causes_its_events(api, heard, name):
    before, operation, topics = OPERATIONS[name]
    world = World(api)
    if before is not None:
        assert before(world).status_code == 200
    heard.clear()
    response = operation(world)
    expected = {"a write that fails": 400, "delete in 2.12 (the 405 of before)": 405}.get(name, 200)
    assert response.status_code == expected, response.text
    assert [event.topic for event in heard] == topics
    assert all(event.at == NOW for event in heard)


def test_a_snooze_running_out_is_unsnoozed_by_the_sweep(api, heard, clock):
    world = World(api)
    assert _snoozed(world).status_code == 200
    heard.clear()
    clock.advance(3600)  # the sweep runs before advance returns
    assert [(e.topic, e.conversation_id, e.at) for e in heard] == [
        ("conversation.admin.unsnoozed", int(world.conversation), NOW + 60)
    ]


def test_every_topic_an_operation_causes_is_registered():
    caused = {topic for _, _, topics in OPERATIONS.values() for topic in topics}
    assert caused <= TOPICS
    with pytest.raises(ValueError, match="unknown event topic"):
        Event("conversation.admin.waved", 1, 0)
