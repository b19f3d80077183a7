"""Conversations between their rows and the domain's values: what store/conversations.py reads
into a :class:`~inboxd.domain.conversations.Conversation` and writes back from one."""

from __future__ import annotations

from typing import Any

from inboxd.domain import statistics
from inboxd.domain.conversations import Conversation, Part

STATE_COLUMNS = (
    "created_at",
    "updated_at",
    "state",
    "read",
    "priority",
    "waiting_since",
    "snoozed_until",
    "admin_assignee_id",
    "team_assignee_id",
    "title",
    "custom_attributes",
)


def to_domain(row: dict[str, Any]) -> Conversation:
    figures = {name: row[f"stat_{name}"] for name in statistics.ALL}
    figures["reply_durations"] = tuple(figures["reply_durations"] or ())
    stats = statistics.Statistics(**figures)
    return Conversation(id=row["id"], stats=stats, **{name: row[name] for name in STATE_COLUMNS})


def state_values(conversation: Conversation) -> dict[str, Any]:
    values = {name: getattr(conversation, name) for name in STATE_COLUMNS}
    for name, value in conversation.stats.as_dict().items():
        values[f"stat_{name}"] = list(value) if name == "reply_durations" else value
    return values


def part_values(conversation_id: int, part: Part) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "part_type": part.part_type,
        "body": part.body,
        "created_at": part.created_at,
        "updated_at": part.created_at,
        "notified_at": part.created_at,
        "author_type": part.author.type,
        "author_id": part.author.id,
        "assigned_to_type": part.assigned_to.type if part.assigned_to else None,
        "assigned_to_id": part.assigned_to.id if part.assigned_to else None,
        "attachments": list(part.attachments),
        "external_id": part.external_id,
        "redacted": False,
    }
