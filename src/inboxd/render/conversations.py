"""Conversations on the wire: `conversation`, `conversation.list`, `conversation_part`, and the
`user_message` that `POST /conversations` answers with. The field order follows the spec's examples.

Nullability follows intercom-2.10.yaml: where the spec types a field as a plain (non-nullable)
integer, an unset value is left out rather than sent as null (statistics), so strict clients and
schema validators accept the document (docs/decisions.md).
"""

from __future__ import annotations

from typing import Any

from inboxd.domain import statistics
from inboxd.domain.conversations import Actor
from inboxd.domain.statistics import Statistics
from inboxd.domain.views import ConversationShown, Participant, PartShown, Person, TicketLink
from inboxd.render.attachments import attachments as render_attachments
from inboxd.render.pages import Page, pages_object
from inboxd.render.plaintext import to_plaintext


def _body(text: str | None, plaintext: bool) -> str | None:
    return to_plaintext(text) if plaintext else text


def _statistics(figures: Statistics) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "conversation_statistics"}
    for name in statistics.NAMES:
        value = getattr(figures, name)
        if value is not None:
            out[name] = value
    return out


def author(person: Person) -> dict[str, Any]:
    """An author on the wire. A rule of the wire, not the domain's: the email is always a string,
    empty when the person has none or is not found (the spec's `email` is not nullable)."""
    return {"type": person.kind, "id": person.id, "name": person.name, "email": person.email or ""}


def _ticket_reference(ticket: TicketLink | None) -> dict[str, Any] | None:
    """A converted conversation names its ticket; the 2.10 schema does not describe the field, so
    this is the `linked_object` shape plus `ticket_id` (docs/decisions.md, Tickets)."""
    if ticket is None:
        return None
    return {"type": "ticket", "id": str(ticket.id), "ticket_id": str(ticket.id), "category": ticket.category}


def _linked_objects(ticket: TicketLink | None) -> dict[str, Any]:
    data = [{"type": "ticket", "id": str(ticket.id), "category": ticket.category}] if ticket else []
    return {"type": "list", "data": data, "total_count": len(data), "has_more": False}


def part(shown: PartShown, plaintext: bool = False, base_url: str = "") -> dict[str, Any]:
    assigned = shown.assigned_to
    return {
        "type": "conversation_part",
        "id": str(shown.id),
        "part_type": shown.part_type,
        "body": _body(shown.body, plaintext),
        "created_at": shown.created_at,
        "updated_at": shown.updated_at,
        "notified_at": shown.notified_at,
        "assigned_to": {"type": assigned.type, "id": assigned.id} if assigned is not None else None,
        "author": author(shown.author),
        "attachments": render_attachments(shown.attachments, base_url),
        "external_id": shown.external_id,
        "redacted": shown.redacted,
    }


def contacts(participants: list[Participant]) -> dict[str, Any]:
    """A conversation's (or its ticket's) `contact.list`."""
    return {
        "type": "contact.list",
        "contacts": [{"type": "contact", "id": p.id, "external_id": p.external_id} for p in participants],
    }


def conversation(view: ConversationShown, plaintext: bool = False, base_url: str = "") -> dict[str, Any]:
    first = view.first_contact_reply
    source = view.source
    doc: dict[str, Any] = {
        "type": "conversation",
        "id": str(view.id),
        "created_at": view.created_at,
        "updated_at": view.updated_at,
        "waiting_since": view.waiting_since,
        "snoozed_until": view.snoozed_until,
        "source": {
            "type": source.type,
            "id": str(source.id),
            "delivered_as": source.delivered_as,
            "subject": source.subject,
            "body": _body(source.body, plaintext),
            "author": author(source.author),
            "attachments": render_attachments(source.attachments, base_url),
            "url": source.url,
            "redacted": source.redacted,
        },
        "contacts": contacts(view.contacts),
        "first_contact_reply": (
            {"created_at": first.created_at, "type": first.type, "url": first.url} if first is not None else None
        ),
        "admin_assignee_id": view.admin_assignee_id,
        "team_assignee_id": view.team_assignee_id,
        "open": view.open,
        "state": view.state,
        "read": view.read,
        "tags": {
            "type": "tag.list",
            "tags": [
                {
                    "type": "tag",
                    "id": str(tag.id),
                    "name": tag.name,
                    "applied_at": tag.applied_at,
                    "applied_by": (
                        {"type": "admin", "id": str(tag.applied_by_admin_id)}
                        if tag.applied_by_admin_id is not None
                        else None
                    ),
                }
                for tag in view.tags
            ],
        },
        "priority": view.priority,
        "sla_applied": view.sla_applied,
        "statistics": _statistics(view.statistics),
        "conversation_rating": view.conversation_rating,
        "teammates": {
            "type": "admin.list",
            "teammates": [{"type": "admin", "id": str(admin_id)} for admin_id in view.teammates],
        },
        "title": view.title,
        "custom_attributes": view.custom_attributes,
        "topics": {},
        "ticket": _ticket_reference(view.ticket),
        "linked_objects": _linked_objects(view.ticket),
    }
    if view.parts is not None:
        doc["conversation_parts"] = {
            "type": "conversation_part.list",
            "conversation_parts": [part(p, plaintext, base_url) for p in view.parts],
            "total_count": view.parts_total,
        }
    return doc


def conversation_list_of(items: list[Any], page: Page, total_count: int) -> dict[str, Any]:
    """A `conversation.list` of items rendered already (documents, or encoded JSON fragments)."""
    return {
        "type": "conversation.list",
        "pages": pages_object(page, total_count),
        "total_count": total_count,
        "conversations": items,
    }


def message(row: dict[str, Any]) -> dict[str, Any]:
    """A `message` (`user_message` or `admin_message`): what `POST /conversations` and
    `POST /messages` answer with; `conversation_id` once the message has a conversation."""
    doc: dict[str, Any] = {
        "type": row["kind"],
        "id": str(row["id"]),
        "created_at": row["created_at"],
        "body": row["body"],
        "message_type": row["message_type"],
    }
    if row["subject"]:
        doc["subject"] = row["subject"]
    if row["conversation_id"] is not None:
        doc["conversation_id"] = str(row["conversation_id"])
    return doc


def customers(people: list[Actor]) -> dict[str, Any]:
    """The answer of adding or removing a participant: the conversation's contacts, each as the
    kind of contact it is (user, lead)."""
    return {"customers": [{"type": person.type, "id": person.id} for person in people]}
