"""Conversation statistics as a fold over its parts (DESIGN.md: derived from parts, never a
counter that can drift). ``record`` is the only way a value changes; the store persists the result
beside the conversation so that search can filter on it.

Durations are wall-clock seconds: inboxd has no office hours to subtract (docs/decisions.md).
Counts and "after first contact reply" figures follow Intercom's conversation model page.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inboxd.domain.conversations import Part

CONTACT_TYPES = frozenset({"user", "lead", "contact"})
ADMIN_TYPES = frozenset({"admin"})


@dataclass(frozen=True)
class Statistics:
    time_to_assignment: int | None = None
    time_to_admin_reply: int | None = None
    time_to_first_close: int | None = None
    time_to_last_close: int | None = None
    median_time_to_reply: int | None = None
    first_contact_reply_at: int | None = None
    first_assignment_at: int | None = None
    first_admin_reply_at: int | None = None
    first_close_at: int | None = None
    last_assignment_at: int | None = None
    last_assignment_admin_reply_at: int | None = None
    last_contact_reply_at: int | None = None
    last_admin_reply_at: int | None = None
    last_close_at: int | None = None
    last_closed_by_id: str | None = None
    count_reopens: int | None = 0
    count_assignments: int | None = 0
    count_conversation_parts: int | None = 0

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


NAMES = tuple(f.name for f in fields(Statistics))


def started_by_contact(now: int) -> Statistics:
    """The contact's opening message is the first contact reply."""
    return Statistics(first_contact_reply_at=now, last_contact_reply_at=now)


def record(stats: Statistics, part: Part) -> Statistics:
    at = part.created_at
    stats = replace(stats, count_conversation_parts=(stats.count_conversation_parts or 0) + 1)
    kind = part.part_type
    author = part.author.type
    if kind == "comment" and author in CONTACT_TYPES:
        return replace(
            stats,
            first_contact_reply_at=stats.first_contact_reply_at if stats.first_contact_reply_at is not None else at,
            last_contact_reply_at=at,
        )
    started = stats.first_contact_reply_at
    if started is None:
        # Intercom counts what happens after the first contact reply; before it, only parts count.
        return stats
    if kind == "comment" and author in ADMIN_TYPES:
        first = stats.first_admin_reply_at
        return replace(
            stats,
            first_admin_reply_at=first if first is not None else at,
            time_to_admin_reply=stats.time_to_admin_reply if first is not None else at - started,
            last_admin_reply_at=at,
            last_assignment_admin_reply_at=(
                at
                if stats.last_assignment_at is not None and stats.last_assignment_admin_reply_at is None
                else stats.last_assignment_admin_reply_at
            ),
        )
    if kind in ("assignment", "assign_and_unsnooze", "away_mode_assignment", "workflow_assignment"):
        return replace(
            stats,
            first_assignment_at=stats.first_assignment_at if stats.first_assignment_at is not None else at,
            last_assignment_at=at,
            last_assignment_admin_reply_at=None,
            count_assignments=(stats.count_assignments or 0) + 1,
            time_to_assignment=at - started if stats.first_admin_reply_at is None else stats.time_to_assignment,
        )
    if kind == "close":
        first = stats.first_close_at
        return replace(
            stats,
            first_close_at=first if first is not None else at,
            time_to_first_close=stats.time_to_first_close if first is not None else at - started,
            last_close_at=at,
            time_to_last_close=at - started,
            last_closed_by_id=part.author.id,
        )
    if kind == "open" and stats.last_close_at is not None:
        return replace(stats, count_reopens=(stats.count_reopens or 0) + 1)
    return stats
