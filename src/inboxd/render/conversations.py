"""Conversations on the wire: `conversation`, `conversation.list`, `conversation_part`, and the
`user_message` that `POST /conversations` answers with. The field order follows the spec's examples.

Nullability follows intercom-2.10.yaml: where the spec types a field as a plain (non-nullable)
integer, an unset value is left out rather than sent as null (statistics), so strict clients and
schema validators accept the document (docs/decisions.md).
"""

from __future__ import annotations

from typing import Any

from inboxd.domain import statistics
from inboxd.domain.views import ConversationView
from inboxd.render.attachments import attachments as render_attachments
from inboxd.render.pages import Page, pages_object
from inboxd.render.plaintext import to_plaintext


def _body(text: str | None, plaintext: bool) -> str | None:
    return to_plaintext(text) if plaintext else text


def _statistics(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "conversation_statistics"}
    for name in statistics.NAMES:
        value = row[f"stat_{name}"]
        if value is not None:
            out[name] = value
    return out


def _ticket_reference(ticket: dict[str, Any] | None) -> dict[str, Any] | None:
    """A converted conversation names its ticket; the 2.10 schema does not describe the field, so
    this is the `linked_object` shape plus `ticket_id` (docs/decisions.md, Tickets)."""
    if ticket is None:
        return None
    return {"type": "ticket", "id": str(ticket["id"]), "ticket_id": str(ticket["id"]), "category": ticket["category"]}


def _linked_objects(ticket: dict[str, Any] | None) -> dict[str, Any]:
    data = [{"type": "ticket", "id": str(ticket["id"]), "category": ticket["category"]}] if ticket else []
    return {"type": "list", "data": data, "total_count": len(data), "has_more": False}


def part(row: dict[str, Any], plaintext: bool = False, base_url: str = "") -> dict[str, Any]:
    assigned = (
        {"type": row["assigned_to_type"], "id": row["assigned_to_id"]} if row["assigned_to_type"] is not None else None
    )
    return {
        "type": "conversation_part",
        "id": str(row["id"]),
        "part_type": row["part_type"],
        "body": _body(row["body"], plaintext),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "notified_at": row["notified_at"],
        "assigned_to": assigned,
        "author": row["author"],  # drawn in the wire's shape (store/views.py, _person)
        "attachments": render_attachments(row["attachments"], base_url),
        "external_id": row["external_id"],
        "redacted": row["redacted"],
    }


def conversation(view: ConversationView, plaintext: bool = False, base_url: str = "") -> dict[str, Any]:
    row = view.row
    first_contact_reply = (
        {
            "created_at": row["first_contact_reply_at"],
            "type": row["first_contact_reply_type"],
            "url": row["first_contact_reply_url"],
        }
        if row["first_contact_reply_at"] is not None
        else None
    )
    doc: dict[str, Any] = {
        "type": "conversation",
        "id": str(row["id"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "waiting_since": row["waiting_since"],
        "snoozed_until": row["snoozed_until"],
        "source": {
            "type": row["source_type"],
            "id": str(row["source_id"]),
            "delivered_as": row["source_delivered_as"],
            "subject": row["source_subject"],
            "body": _body(row["source_body"], plaintext),
            "author": view.source_author,
            "attachments": render_attachments(row["source_attachments"], base_url),
            "url": row["source_url"],
            "redacted": row["source_redacted"],
        },
        "contacts": {
            "type": "contact.list",
            "contacts": [{"type": "contact", **contact} for contact in view.contacts],
        },
        "first_contact_reply": first_contact_reply,
        "admin_assignee_id": row["admin_assignee_id"],
        "team_assignee_id": row["team_assignee_id"],
        "open": row["state"] != "closed",
        "state": row["state"],
        "read": row["read"],
        "tags": {
            "type": "tag.list",
            "tags": [
                {
                    "type": "tag",
                    "id": str(tag["tag_id"]),
                    "name": tag["name"],
                    "applied_at": tag["applied_at"],
                    "applied_by": (
                        {"type": "admin", "id": str(tag["applied_by_admin_id"])}
                        if tag["applied_by_admin_id"] is not None
                        else None
                    ),
                }
                for tag in view.tags
            ],
        },
        "priority": row["priority"],
        "sla_applied": row["sla_applied"],
        "statistics": _statistics(row),
        "conversation_rating": row["conversation_rating"],
        "teammates": {
            "type": "admin.list",
            "teammates": [{"type": "admin", "id": str(admin_id)} for admin_id in view.teammates],
        },
        "title": row["title"],
        "custom_attributes": row["custom_attributes"],
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


def customers(contacts: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer of adding or removing a participant: the conversation's contacts."""
    return {"customers": [{"type": contact["role"], "id": contact["id"]} for contact in contacts]}
