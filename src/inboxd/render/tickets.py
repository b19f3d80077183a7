"""Tickets on the wire (`ticket`, `ticket_part`), in the order of the spec's examples, drawn in the
newest shape and taken back to the version asked for (render/versions/).

A ticket is drawn from its row, its ticket type and the view of the conversation it was made from:
contacts, assignees, state and parts are the conversation's, as in Intercom, where the ticket and
its conversation are one thread.
"""

from __future__ import annotations

from typing import Any

from inboxd.domain.views import ConversationShown, PartShown
from inboxd.render.conversations import contacts as render_contacts
from inboxd.render.conversations import part as conversation_part
from inboxd.render.ticket_types import drawn as render_ticket_type
from inboxd.render.ticket_types import ticket_state
from inboxd.render.versions import Version, shaped

# `ticket_part_author.type` allows admin, bot, team and user: a lead (or any contact) is a user there.
_AUTHOR_TYPES = frozenset({"admin", "bot", "team", "user"})


def ticket_part(shown: PartShown, base_url: str = "") -> dict[str, Any]:
    """A conversation part as a ticket shows it: the same fields, less `notified_at`, and on a part
    that set the ticket's state that state and the one before it, as Intercom's examples show them
    (both plain enums: the other parts leave them out)."""
    part = conversation_part(shown, base_url=base_url)
    doc: dict[str, Any] = {}
    for name, value in part.items():
        if name == "notified_at":
            continue
        doc[name] = value
        if name == "body" and shown.ticket_state is not None:
            doc["ticket_state"] = shown.ticket_state
            doc["previous_ticket_state"] = shown.previous_ticket_state or shown.ticket_state
    doc["type"] = "ticket_part"
    if doc["author"]["type"] not in _AUTHOR_TYPES:
        doc["author"]["type"] = "user"  # drawn for this part alone (render/conversations.py, author)
    doc["updated_attribute_data"] = None  # ticket attributes are set once, at the conversion
    return doc


def ticket(
    row: dict[str, Any],
    ticket_type: dict[str, Any],
    conversation: ConversationShown,
    workspace_code: str,
    version: Version,
    base_url: str = "",
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "ticket",
        "id": str(row["id"]),
        "ticket_id": str(row["id"]),
        "ticket_attributes": row["attributes"],
        "ticket_state": ticket_state(row["ticket_state"]),
        "previous_ticket_state_id": None,  # a ticket's state has not changed since its conversion
        "ticket_type": render_ticket_type(ticket_type, workspace_code),
        "contacts": render_contacts(conversation.contacts),
        # The newest description types these as integers, 0 for nobody (strings before 2.16).
        "admin_assignee_id": conversation.admin_assignee_id or 0,
        "team_assignee_id": conversation.team_assignee_id or 0,
        # The conversation's times: the spec's example ticket is as old as its conversation's first
        # part, and it moves with every part (docs/decisions.md, Tickets).
        "created_at": conversation.created_at,
        "updated_at": max(conversation.updated_at, row["updated_at"]),
        "ticket_parts": {
            "type": "ticket_part.list",
            "ticket_parts": [ticket_part(p, base_url) for p in conversation.parts or []],
            "total_count": conversation.parts_total,
        },
        "open": conversation.open,
    }
    # A non-nullable integer in the spec: left out while the conversation is not snoozed.
    if conversation.snoozed_until is not None:
        doc["snoozed_until"] = conversation.snoozed_until
    doc["linked_objects"] = {"type": "list", "data": [], "total_count": 0, "has_more": False}
    doc["category"] = ticket_type["category"]
    doc["is_shared"] = row["is_shared"]
    return shaped("ticket", doc, version)
