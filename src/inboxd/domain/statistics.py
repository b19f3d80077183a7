"""Conversation statistics as a fold over its parts (derived from parts, never a
counter that can drift). :func:`record` is the only way a figure changes; the store keeps the
result beside the conversation so that search can filter on it. Each figure is defined in
docs/statistics.md.

Durations are wall-clock seconds: inboxd has no office hours to subtract (docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from statistics import median
from typing import TYPE_CHECKING, Any

from inboxd.domain.values import evolve

if TYPE_CHECKING:
    from inboxd.domain.conversations import Part

CONTACT_TYPES = frozenset({"user", "lead", "contact"})
# An admin's message to the contact: a comment, or one offering quick reply options (2.14).
ADMIN_REPLY_PARTS = frozenset({"comment", "quick_reply"})
ASSIGNMENT_PARTS = frozenset(
    {"assignment", "default_assignment", "assign_and_unsnooze", "away_mode_assignment", "workflow_assignment"}
)


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
    # The fold's own state, never rendered: how long each admin reply took, and since when the
    # contact has been waiting for the reply being timed.
    reply_durations: tuple[int, ...] = ()
    awaiting_reply_since: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ALL}


STATE = ("reply_durations", "awaiting_reply_since")
NAMES = tuple(f.name for f in fields(Statistics) if f.name not in STATE)  # the rendered figures
ALL = NAMES + STATE


def started_by_contact(now: int) -> Statistics:
    """The contact's opening message is the first contact reply, and the contact now waits."""
    return Statistics(first_contact_reply_at=now, last_contact_reply_at=now, awaiting_reply_since=now)


def _first(current: int | None, at: int) -> int:
    return current if current is not None else at


def record(stats: Statistics, part: Part, *, reopens: bool = False) -> Statistics:
    """The statistics after ``part``; ``reopens`` says the part turned a closed conversation open."""
    at = part.created_at
    stats = evolve(stats, count_conversation_parts=(stats.count_conversation_parts or 0) + 1)
    kind, author = part.part_type, part.author.type
    if kind == "comment" and author in CONTACT_TYPES:
        stats = evolve(
            stats,
            first_contact_reply_at=_first(stats.first_contact_reply_at, at),
            last_contact_reply_at=at,
            awaiting_reply_since=_first(stats.awaiting_reply_since, at),
        )
        return _reopened(stats) if reopens else stats
    started = stats.first_contact_reply_at
    if started is None:
        # Intercom measures from the first contact reply; before it, parts are only counted.
        return stats
    if kind in ADMIN_REPLY_PARTS and author == "admin":
        durations = stats.reply_durations
        if stats.awaiting_reply_since is not None:
            durations = (*durations, max(0, at - stats.awaiting_reply_since))
        first = stats.first_admin_reply_at
        return evolve(
            stats,
            first_admin_reply_at=_first(first, at),
            time_to_admin_reply=stats.time_to_admin_reply if first is not None else max(0, at - started),
            last_admin_reply_at=at,
            last_assignment_admin_reply_at=(
                at
                if stats.last_assignment_at is not None and stats.last_assignment_admin_reply_at is None
                else stats.last_assignment_admin_reply_at
            ),
            reply_durations=durations,
            median_time_to_reply=int(median(durations)) if durations else stats.median_time_to_reply,
            awaiting_reply_since=None,
        )
    if kind in ASSIGNMENT_PARTS:
        return evolve(
            stats,
            first_assignment_at=_first(stats.first_assignment_at, at),
            last_assignment_at=at,
            last_assignment_admin_reply_at=None,
            count_assignments=(stats.count_assignments or 0) + 1,
            time_to_assignment=max(0, at - started) if stats.first_admin_reply_at is None else stats.time_to_assignment,
        )
    if kind == "close":
        first = stats.first_close_at
        return evolve(
            stats,
            first_close_at=_first(first, at),
            time_to_first_close=stats.time_to_first_close if first is not None else max(0, at - started),
            last_close_at=at,
            time_to_last_close=max(0, at - started),
            last_closed_by_id=part.author.id,
        )
    return _reopened(stats) if reopens else stats


def _reopened(stats: Statistics) -> Statistics:
    if stats.first_contact_reply_at is None:
        return stats
    return evolve(stats, count_reopens=(stats.count_reopens or 0) + 1)
