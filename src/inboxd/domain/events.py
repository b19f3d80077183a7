"""What happened, as data: every domain operation says which events it caused, named after
Intercom's webhook topics, and the unit of work collects them per transaction (store/scope.py
``Store.events``). Nothing here delivers them; whatever does (webhooks, live updates) reads the
events of committed transactions only, so a write that rolled back caused none.

:data:`TOPICS` is the one registry: an event of any other name is a bug, caught where it is made.
"""

from __future__ import annotations

from dataclasses import dataclass

# Intercom's conversation topics that inboxd's operations can cause (`conversation.deleted`:
# `DELETE /conversations/{id}`, from 2.13), and the ticket topic of convert-to-ticket.
TOPICS = frozenset(
    {
        "conversation.user.created",
        "conversation.user.replied",
        "conversation.admin.replied",
        "conversation.admin.single.created",
        "conversation.admin.assigned",
        "conversation.admin.open.assigned",
        "conversation.admin.noted",
        "conversation.admin.closed",
        "conversation.admin.opened",
        "conversation.admin.snoozed",
        "conversation.admin.unsnoozed",
        "conversation.read",
        "conversation.priority.updated",
        "conversation.contact.attached",
        "conversation.contact.detached",
        "conversation_part.tag.created",
        "conversation_part.redacted",
        "conversation.deleted",
        "ticket.created",
    }
)


@dataclass(frozen=True)
class Event:
    """``topic`` happened to the conversation ``conversation_id`` (a ticket's conversation for
    ticket topics) at ``at``."""

    topic: str
    conversation_id: int
    at: int

    def __post_init__(self) -> None:
        if self.topic not in TOPICS:
            raise ValueError(f"unknown event topic {self.topic!r}")
