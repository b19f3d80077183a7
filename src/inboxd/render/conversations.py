"""Conversations on the wire: `conversation`, `conversation.list`, `conversation_part`, and the
`user_message` that `POST /conversations` answers with. The field order follows the spec's examples.

Drawn in the newest shape (spec/intercom-2.16.yaml), then taken back to the version asked for by
render/versions/ (each older shape's differences are entries of render/versions/changes.py). What
inboxd has no data for takes the description's empty value: null, false, an empty list.

Nullability follows the descriptions: where one types a field as a plain (non-nullable) integer
or object, an unset value is left out rather than sent as null (statistics), so strict clients and
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
from inboxd.render.versions import Version, shaped


def _body(text: str | None, plaintext: bool) -> str | None:
    return to_plaintext(text) if plaintext else text


def _statistics(figures: Statistics) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "conversation_statistics"}
    for name in statistics.NAMES:
        value = getattr(figures, name)
        if value is not None:
            out[name] = value
    # Not kept by inboxd (teams' response times, handling time): the empty values; handling_time is
    # a plain integer, so it is left out.
    out["assigned_team_first_response_time"] = []
    out["assigned_team_first_response_time_in_office_hours"] = []
    out["adjusted_handling_time"] = None
    return out


def author(person: Person) -> dict[str, Any]:
    """An author on the wire. A rule of the wire, not the domain's: the email is always a string,
    empty when the person has none or is not found (the spec's `email` is not nullable)."""
    return {"type": person.kind, "id": person.id, "name": person.name, "email": person.email or ""}


def _part_author(person: Person) -> dict[str, Any]:
    """A part's author (`conversation_part_author`): no author of inboxd's is an AI agent."""
    return {**author(person), "from_ai_agent": False, "is_ai_answer": False}


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


# A part's fields that descriptions after 2.12 add and inboxd keeps no data for (no email channel,
# part tags or event details): their empty values, around the part's `state`.
_PART_TAIL_EMPTY: dict[str, Any] = {"tags": [], "event_details": None, "app_package_code": None}


def part_metadata(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """A part's quick reply: the options an admin sent, or the one a contact chose (null: neither)."""
    if not stored:
        return None
    doc: dict[str, Any] = {}
    if "options" in stored:
        doc["quick_reply_options"] = [
            {"text": option["text"], "uuid": option["uuid"], "translations": None} for option in stored["options"]
        ]
    if "chosen" in stored:
        doc["quick_reply_uuid"] = stored["chosen"]
    return doc


def conversation_part(shown: PartShown, plaintext: bool = False, base_url: str = "") -> dict[str, Any]:
    """A part of a conversation, as the newest description has it: with the conversation's state
    once the part was written (a plain enum in the descriptions: left out if a part has none)."""
    doc = part(shown, plaintext, base_url)
    doc["author"] = _part_author(shown.author)
    doc["email_message_metadata"] = None
    doc["metadata"] = part_metadata(shown.metadata)
    if shown.state is not None:
        doc["state"] = shown.state
    doc.update(_PART_TAIL_EMPTY)
    return doc


def contacts(participants: list[Participant]) -> dict[str, Any]:
    """A conversation's (or its ticket's) `contact.list`."""
    return {
        "type": "contact.list",
        "contacts": [{"type": "contact", "id": p.id, "external_id": p.external_id} for p in participants],
    }


def conversation(
    view: ConversationShown, version: Version, plaintext: bool = False, base_url: str = ""
) -> dict[str, Any]:
    """The conversation as ``version`` shows it."""
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
            "recipients": (
                [{"type": role, "email": email, "drop_reason": None} for role, email in source.recipients]
                if source.recipients is not None
                else None
            ),
            "reply_to": None,
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
        # The newest description answers 0 for no assignee (the versions before: null).
        "admin_assignee_id": view.admin_assignee_id or 0,
        "team_assignee_id": view.team_assignee_id or 0,
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
        "company": None,
        "ai_agent_participated": view.ai_agent_participated,
        "ai_agent": view.ai_agent,
        "sales_agent_participated": False,
        "sales_agent": None,
        "channel": None,
        "external_references": [],
        "monitor_evaluations": [],
        "scorecards": [],
    }
    if view.parts is not None:
        doc["conversation_parts"] = {
            "type": "conversation_part.list",
            "conversation_parts": [conversation_part(p, plaintext, base_url) for p in view.parts],
            "total_count": view.parts_total,
        }
    return shaped("conversation", doc, version)


def conversation_list_of(items: list[Any], page: Page, total_count: int) -> dict[str, Any]:
    """A `conversation.list` of items rendered already (documents, or encoded JSON fragments)."""
    return {
        "type": "conversation.list",
        "pages": pages_object(page, total_count),
        "total_count": total_count,
        "conversations": items,
    }


def message(row: dict[str, Any], version: Version) -> dict[str, Any]:
    """A `message` (`user_message` or `admin_message`): what `POST /conversations` and
    `POST /messages` answer with; `conversation_id` once the message has a conversation."""
    return shaped("message", drawn_message(row), version)


def drawn_message(row: dict[str, Any]) -> dict[str, Any]:
    """A `message` in the newest shape."""
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


def conversation_deleted(conversation_id: int) -> dict[str, Any]:
    """What `DELETE /conversations/{id}` answers (the descriptions' `conversation_deleted`)."""
    return {"id": str(conversation_id), "object": "conversation", "deleted": True}
