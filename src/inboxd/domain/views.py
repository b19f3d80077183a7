"""Read models: what a conversation shows, resolved by the store from its rows (store/views.py) and
drawn by render/ (render/conversations.py, render/tickets.py).

Plain values named by their role, no rows and no wire names: how each is spelled on the wire (its
`type`, an unknown email as "", ids as strings) is render's to decide. Immutable: one
:class:`Person` stands for an author in every part they wrote, and nothing downstream may change
it. Named tuples rather than frozen dataclasses: a page builds one per part and per conversation,
and a frozen dataclass costs several times a tuple to make (docs/decisions.md, Performance).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from inboxd.domain.conversations import Actor, FirstContactReply, is_open
from inboxd.domain.statistics import Statistics


class Person(NamedTuple):
    """Someone a conversation shows as an author: the kind and id the part (or source) recorded,
    and what is known of them now; ``known_as``, ``name`` and ``email`` are None when nobody of
    that kind has that id (a deleted contact, a team)."""

    recorded_as: str  # admin, bot, team, user, lead, contact
    id: str
    known_as: str | None  # the admin's kind (admin, bot) or the contact's role (user, lead)
    name: str | None
    email: str | None

    @property
    def kind(self) -> str:
        """A rule of the domain: a person shows as what they are now (a lead who signed up is a
        user in every part they wrote); someone not found, as the kind the part recorded."""
        return self.known_as if self.known_as is not None else self.recorded_as


class Participant(NamedTuple):
    """A contact taking part in the conversation."""

    id: str
    external_id: str | None  # None too when the contact is not found


class TagApplied(NamedTuple):
    id: int
    name: str
    applied_at: int
    applied_by_admin_id: int | None


class TicketLink(NamedTuple):
    """The ticket a conversation was converted to."""

    id: int
    category: str
    state: str


class PartShown(NamedTuple):
    id: int
    part_type: str
    body: str | None
    created_at: int
    updated_at: int
    notified_at: int
    assigned_to: Actor | None
    author: Person
    attachments: list[dict[str, Any]]  # as stored (render/attachments.py draws them)
    external_id: str | None
    redacted: bool
    state: str | None  # the conversation's, once the part was written (None: not recorded)
    ticket_state: str | None  # set by this part, with the state before it (None: it set none)
    previous_ticket_state: str | None
    metadata: dict[str, Any] | None  # quick replies (domain/conversations.py Part)


class SourceShown(NamedTuple):
    """The message the conversation started with."""

    type: str
    id: int
    delivered_as: str
    subject: str
    body: str
    author: Person
    attachments: list[dict[str, Any]]
    url: str | None
    redacted: bool
    # An email's addresses (role: to, cc or bcc; email), in the order sent; None for any other source.
    recipients: list[tuple[str, str]] | None = None


class ConversationShown(NamedTuple):
    """A conversation as GET shows it, at ``version`` (what a rendered document is kept under).
    Contacts, teammates and tags are in the order they joined. ``parts`` is None where parts are
    not shown (a list page), else the most recent ones, oldest first, of ``parts_total``."""

    id: int
    version: int
    created_at: int
    updated_at: int
    waiting_since: int | None
    snoozed_until: int | None
    source: SourceShown
    contacts: list[Participant]
    first_contact_reply: FirstContactReply | None
    admin_assignee_id: int | None
    team_assignee_id: int | None
    state: str
    read: bool
    tags: list[TagApplied]
    priority: str
    sla_applied: Any
    statistics: Statistics
    conversation_rating: Any
    ai_agent_participated: bool
    ai_agent: Any
    teammates: list[int]
    title: str | None
    custom_attributes: dict[str, Any]
    ticket: TicketLink | None
    parts: list[PartShown] | None
    parts_total: int

    @property
    def open(self) -> bool:
        return is_open(self.state)
