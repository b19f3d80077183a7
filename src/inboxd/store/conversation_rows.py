"""Conversations between their rows and the domain's values: what store/conversations.py reads
into a :class:`~inboxd.domain.conversations.Conversation` and writes back from one, and the read
models (domain/views.py) of what one shows, built from the rows of store/conversation_statements.py
(SHOWN, RELATED, RECENT_PARTS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from inboxd.domain import statistics
from inboxd.domain.conversations import Actor, Conversation, FirstContactReply, Part
from inboxd.domain.views import (
    ConversationShown,
    Participant,
    PartShown,
    Person,
    SourceShown,
    TagApplied,
    TicketLink,
)

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


def _statistics(row: dict[str, Any]) -> statistics.Statistics:
    figures = {name: row[f"stat_{name}"] for name in statistics.ALL}
    figures["reply_durations"] = tuple(figures["reply_durations"] or ())
    return statistics.Statistics(**figures)


def to_domain(row: dict[str, Any]) -> Conversation:
    return Conversation(id=row["id"], stats=_statistics(row), **{name: row[name] for name in STATE_COLUMNS})


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
        "state": part.state,
        "ticket_state": part.ticket_state,
        "previous_ticket_state": part.previous_ticket_state,
        "metadata": part.metadata,
    }


# -- what a conversation shows ----------------------------------------------------------------------

# People met while building one page's read models, by the kind and id their part recorded: each
# is one value, however many parts name them.
People = dict[tuple[str, str], Person]


def _person(people: People, kind: str, ident: str, known_as: str | None, name: str | None, email: str | None) -> Person:
    found = people.get((kind, ident))
    if found is None:
        found = people[(kind, ident)] = Person(kind, ident, known_as, name, email)
    return found


@dataclass(slots=True)
class Related:
    """What a conversation is linked to, each in the order it joined."""

    contacts: list[Participant] = field(default_factory=list)
    teammates: list[int] = field(default_factory=list)
    tags: list[TagApplied] = field(default_factory=list)


def related(rows: Sequence[Sequence[Any]], ids: Sequence[int]) -> dict[int, Related]:
    """RELATED's rows, by conversation (every one of ``ids``, related to nothing or not)."""
    out = {i: Related() for i in ids}
    for (
        kind,
        conversation_id,
        contact_id,
        external_id,
        admin_id,
        tag_id,
        tag_name,
        applied_at,
        applied_by,
        _,
        _,
    ) in rows:
        found = out[conversation_id]
        if kind == 0:
            found.contacts.append(Participant(contact_id, external_id))
        elif kind == 1:
            found.teammates.append(admin_id)
        else:
            found.tags.append(TagApplied(tag_id, tag_name, applied_at, applied_by))
    return out


def parts_shown(rows: Sequence[Sequence[Any]], people: People) -> list[PartShown]:
    """RECENT_PARTS's rows (newest first) as the parts shown, oldest first."""
    parts = []
    for (
        part_id,
        part_type,
        body,
        created_at,
        updated_at,
        notified_at,
        assigned_to_type,
        assigned_to_id,
        author_type,
        author_id,
        known_as,
        name,
        email,
        attachments,
        external_id,
        redacted,
        state,
        ticket_state,
        previous_ticket_state,
        metadata,
    ) in reversed(rows):
        parts.append(
            PartShown(
                part_id,
                part_type,
                body,
                created_at,
                updated_at,
                notified_at,
                Actor(assigned_to_type, assigned_to_id) if assigned_to_type is not None else None,
                _person(people, author_type, author_id, known_as, name, email),
                attachments,
                external_id,
                redacted,
                state,
                ticket_state,
                previous_ticket_state,
                metadata,
            )
        )
    return parts


def shown(
    row: dict[str, Any], related: Related, people: People, parts: list[PartShown] | None = None, parts_total: int = 0
) -> ConversationShown:
    """The conversation a SHOWN row, its related rows and its parts make."""
    first_at = row["first_contact_reply_at"]
    ticket_id = row["ticket_shown_id"]
    return ConversationShown(
        id=row["id"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        waiting_since=row["waiting_since"],
        snoozed_until=row["snoozed_until"],
        source=SourceShown(
            type=row["source_type"],
            id=row["source_id"],
            delivered_as=row["source_delivered_as"],
            subject=row["source_subject"],
            body=row["source_body"],
            author=_person(
                people,
                row["source_author_type"],
                row["source_author_id"],
                row["author_known_as"],
                row["author_name"],
                row["author_email"],
            ),
            attachments=row["source_attachments"],
            url=row["source_url"],
            redacted=row["source_redacted"],
            recipients=(
                [(r["role"], r["email"]) for r in row["source_recipients"]]
                if row["source_recipients"] is not None
                else None
            ),
        ),
        contacts=related.contacts,
        first_contact_reply=(
            FirstContactReply(first_at, row["first_contact_reply_type"], row["first_contact_reply_url"])
            if first_at is not None
            else None
        ),
        admin_assignee_id=row["admin_assignee_id"],
        team_assignee_id=row["team_assignee_id"],
        state=row["state"],
        read=row["read"],
        tags=related.tags,
        priority=row["priority"],
        sla_applied=row["sla_applied"],
        statistics=_statistics(row),
        conversation_rating=row["conversation_rating"],
        ai_agent_participated=bool(row["ai_agent_participated"]),
        ai_agent=row["ai_agent"],
        teammates=related.teammates,
        title=row["title"],
        custom_attributes=row["custom_attributes"],
        ticket=(
            TicketLink(ticket_id, row["ticket_shown_category"], row["ticket_shown_state"])
            if ticket_id is not None
            else None
        ),
        parts=parts,
        parts_total=parts_total,
    )
