"""A support conversation played from start to end over HTTP, on both engines, asserting the whole
conversation object after every step (statistics included) as a client would see it."""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.conftest import T0

START = T0 + 3600  # the frozen clock's time when the test begins


class Expected:
    """The conversation a client should see, kept up to date step by step."""

    def __init__(self, shown: dict[str, Any], contact: dict[str, Any]) -> None:
        self.doc: dict[str, Any] = {
            "type": "conversation",
            "id": shown["id"],
            "created_at": START,
            "updated_at": START,
            "waiting_since": START,
            "snoozed_until": None,
            "source": {
                "type": "conversation",
                "id": shown["source"]["id"],
                "delivered_as": "customer_initiated",
                "subject": "",
                "body": "<p>My invoice is wrong</p>",
                "author": {"type": "user", "id": contact["id"], "name": contact["name"], "email": contact["email"]},
                "attachments": [],
                "url": None,
                "redacted": False,
            },
            "contacts": {
                "type": "contact.list",
                "contacts": [{"type": "contact", "id": contact["id"], "external_id": None}],
            },
            "first_contact_reply": {"created_at": START, "type": "conversation", "url": None},
            "admin_assignee_id": None,
            "team_assignee_id": None,
            "open": True,
            "state": "open",
            "read": False,
            "tags": {"type": "tag.list", "tags": []},
            "priority": "not_priority",
            "sla_applied": None,
            "statistics": {
                "type": "conversation_statistics",
                "first_contact_reply_at": START,
                "last_contact_reply_at": START,
                "count_reopens": 0,
                "count_assignments": 0,
                "count_conversation_parts": 0,
            },
            "conversation_rating": None,
            "teammates": {"type": "admin.list", "teammates": []},
            "title": None,
            "custom_attributes": {},
            "topics": {},
            "ticket": None,
            "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [], "total_count": 0},
        }

    def part(self, actual: dict[str, Any], part_type: str, author: dict[str, Any], at: int, **fields: Any) -> None:
        parts = self.doc["conversation_parts"]
        parts["conversation_parts"].append(
            {
                "type": "conversation_part",
                "id": actual["conversation_parts"]["conversation_parts"][len(parts["conversation_parts"])]["id"],
                "part_type": part_type,
                "body": fields.get("body"),
                "created_at": at,
                "updated_at": at,
                "notified_at": at,
                "assigned_to": fields.get("assigned_to"),
                "author": author,
                "attachments": [],
                "external_id": None,
                "redacted": False,
            }
        )
        parts["total_count"] += 1
        self.doc["statistics"]["count_conversation_parts"] += 1
        self.doc["updated_at"] = max(self.doc["updated_at"], at)

    def set(self, **values: Any) -> None:
        self.doc.update(values)

    def stats(self, **values: Any) -> None:
        self.doc["statistics"].update(values)


def person(admin: dict[str, Any]) -> dict[str, Any]:
    return {"type": "admin", "id": admin["id"], "name": admin["name"], "email": admin["email"]}


def test_a_support_conversation_from_question_to_reopened(api, clock):
    ada, bob = api.get("/admins").json()["admins"]
    team = api.get("/teams").json()["teams"][0]
    contact = factories.contact(api)
    conversation_id = api.post(
        "/conversations", json={"from": {"type": "user", "id": contact["id"]}, "body": "<p>My invoice is wrong</p>"}
    ).json()["conversation_id"]
    path = f"/conversations/{conversation_id}"
    shown = api.get(path).json()
    expected = Expected(shown, contact)
    assert shown == expected.doc

    # 2 minutes later Ada assigns it to the Support team and to Bob
    clock.advance(120)
    now = START + 120
    shown = api.post(
        f"{path}/parts",
        json={"message_type": "assignment", "type": "team", "admin_id": ada["id"], "assignee_id": team["id"]},
    ).json()
    expected.part(shown, "assignment", person(ada), now, assigned_to={"type": "team", "id": team["id"]})
    shown = api.post(
        f"{path}/parts",
        json={"message_type": "assignment", "type": "admin", "admin_id": ada["id"], "assignee_id": bob["id"]},
    ).json()
    expected.part(shown, "assignment", person(ada), now, assigned_to={"type": "admin", "id": bob["id"]})
    expected.set(admin_assignee_id=int(bob["id"]), team_assignee_id=int(team["id"]))
    expected.stats(first_assignment_at=now, last_assignment_at=now, count_assignments=2, time_to_assignment=120)
    assert shown == expected.doc

    # Bob leaves a note for himself, then answers 10 minutes after the question arrived
    clock.advance(300)
    shown = api.post(
        f"{path}/reply", json={"type": "admin", "admin_id": bob["id"], "message_type": "note", "body": "check billing"}
    ).json()
    expected.part(shown, "note", person(bob), START + 420, body="check billing")
    assert shown == expected.doc
    clock.advance(180)
    now = START + 600
    shown = api.post(
        f"{path}/reply",
        json={"type": "admin", "admin_id": bob["id"], "message_type": "comment", "body": "<p>Fixed it</p>"},
    ).json()
    expected.part(shown, "comment", person(bob), now, body="<p>Fixed it</p>")
    expected.set(
        waiting_since=None, teammates={"type": "admin.list", "teammates": [{"type": "admin", "id": bob["id"]}]}
    )
    expected.stats(
        first_admin_reply_at=now,
        time_to_admin_reply=600,
        last_admin_reply_at=now,
        last_assignment_admin_reply_at=now,
        median_time_to_reply=600,
    )
    assert shown == expected.doc

    # He snoozes it for an hour; the hour passes with nobody looking
    shown = api.post(
        f"{path}/parts", json={"message_type": "snoozed", "admin_id": bob["id"], "snoozed_until": now + 3600}
    ).json()
    expected.part(shown, "snoozed", person(bob), now)
    expected.set(state="snoozed", snoozed_until=now + 3600)
    assert shown == expected.doc
    clock.advance(7200)
    shown = api.get(path).json()
    operator = shown["conversation_parts"]["conversation_parts"][-1]["author"]
    assert operator["type"] == "bot" and operator["name"] == "Operator"
    expected.part(shown, "timer_unsnooze", operator, now + 3600)
    expected.set(state="open", snoozed_until=None)
    assert shown == expected.doc

    # The contact confirms; Bob closes
    now = START + 600 + 7200
    shown = api.post(
        f"{path}/reply",
        json={"type": "user", "intercom_user_id": contact["id"], "message_type": "comment", "body": "Thanks!"},
    ).json()
    author = {"type": "user", "id": contact["id"], "name": contact["name"], "email": contact["email"]}
    expected.part(shown, "comment", author, now, body="Thanks!")
    expected.set(waiting_since=now)
    expected.stats(last_contact_reply_at=now)
    assert shown == expected.doc
    clock.advance(60)
    shown = api.post(f"{path}/parts", json={"message_type": "close", "type": "admin", "admin_id": bob["id"]}).json()
    expected.part(shown, "close", person(bob), now + 60)
    expected.set(state="closed", open=False)
    close_after = now + 60 - START
    expected.stats(
        first_close_at=now + 60,
        last_close_at=now + 60,
        time_to_first_close=close_after,
        time_to_last_close=close_after,
        last_closed_by_id=bob["id"],
    )
    assert shown == expected.doc

    # A day later the contact writes again: the conversation opens, and it is a reopen
    clock.advance(86400)
    now = now + 60 + 86400
    shown = api.post(
        f"{path}/reply",
        json={"type": "user", "intercom_user_id": contact["id"], "message_type": "comment", "body": "Wrong again"},
    ).json()
    expected.part(shown, "comment", author, now, body="Wrong again")
    expected.set(state="open", open=True)
    expected.stats(last_contact_reply_at=now, count_reopens=1)
    assert shown == expected.doc

    # Ada tags it and marks it read; lists and search-free reads agree with the last write
    tag = api.post("/tags", json={"name": "Billing"}).json()
    api.post(f"{path}/tags", json={"id": tag["id"], "admin_id": ada["id"]})
    shown = api.put(path, json={"read": True}).json()
    expected.set(read=True)
    expected.doc["tags"]["tags"].append(
        {
            "type": "tag",
            "id": tag["id"],
            "name": "Billing",
            "applied_at": now,
            "applied_by": {"type": "admin", "id": ada["id"]},
        }
    )
    assert shown == expected.doc
    listed = api.get("/conversations").json()["conversations"][0]
    assert listed == {k: v for k, v in expected.doc.items() if k != "conversation_parts"}

    # Finally Ada turns it into a ticket: the conversation names its ticket and links to it
    clock.advance(30)
    bug = factories.ticket_type(api, name="Billing bug")
    ticket = api.post(
        f"{path}/convert",
        json={"ticket_type_id": bug["id"], "attributes": {"_default_title_": "Invoice total wrong"}},
    ).json()
    assert ticket["type"] == "ticket" and ticket["ticket_attributes"]["_default_title_"] == "Invoice total wrong"
    shown = api.get(path).json()
    converted = shown["conversation_parts"]["conversation_parts"][-1]
    expected.part(shown, converted["part_type"], operator, now + 30)
    reference = {"type": "ticket", "id": ticket["id"], "category": "Customer"}
    expected.set(ticket={**reference, "ticket_id": ticket["ticket_id"]})
    expected.set(linked_objects={"type": "list", "data": [reference], "total_count": 1, "has_more": False})
    assert shown == expected.doc
    assert api.get(f"/tickets/{ticket['id']}").json() == ticket | {"updated_at": shown["updated_at"]}
