"""The rules of a conversation: pure Python, no HTTP and no SQL.

An operation takes the current conversation, the actor and ``now`` and returns a :class:`Change`:
the conversation's new state, the parts to append and the teammates to add. The store applies all
of it in the request's one transaction, so state and history never disagree.

State moves only through :data:`TRANSITIONS` (state × action → new state); an action missing from
the table for a state leaves the state as it is.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from inboxd.domain import statistics
from inboxd.domain.attachments import url_attachments
from inboxd.domain.custom_attributes import validate_custom_attribute
from inboxd.domain.errors import ParameterInvalid, ParameterNotFound
from inboxd.domain.html import sanitise, sanitise_required
from inboxd.domain.limits import check_timestamp
from inboxd.domain.values import evolve

MAX_TITLE_LENGTH = 255
# A conversation's priority: the newest description's levels (the versions before 2.16 read them as
# a flag, render/versions/changes.py). Nothing inboxd does sets one but the seed's history.
PRIORITY_LEVELS = ("none", "low", "medium", "high", "urgent")
CONTACT_TYPES = statistics.CONTACT_TYPES


@dataclass(frozen=True)
class Actor:
    """Who did something: ``type`` is admin, bot, team, user, lead or contact; ``id`` a string id."""

    type: str
    id: str | None


@dataclass(frozen=True)
class Part:
    part_type: str
    author: Actor
    created_at: int
    body: str | None = None
    assigned_to: Actor | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    external_id: str | None = None
    # The conversation's state once the part is written (Intercom's part `state`, from 2.13):
    # :func:`advance` sets it, so every part records the state its change left.
    state: str | None = None
    # The ticket's state a part set, and the one before (`ticket_part.ticket_state` and
    # `previous_ticket_state`): only a part that sets a ticket's state has them.
    ticket_state: str | None = None
    previous_ticket_state: str | None = None
    metadata: dict[str, Any] | None = None  # quick replies: the options sent, or the one chosen


@dataclass(frozen=True)
class Conversation:
    """The mutable state of a conversation, as the domain sees it."""

    id: int | None
    created_at: int
    updated_at: int
    state: str
    read: bool
    priority: str
    waiting_since: int | None
    snoozed_until: int | None
    admin_assignee_id: int | None
    team_assignee_id: int | None
    title: str | None
    custom_attributes: dict[str, Any]
    stats: statistics.Statistics

    @property
    def open(self) -> bool:
        return is_open(self.state)


def is_open(state: str) -> bool:
    """Open is every state but closed: a snoozed conversation is open too (Intercom's `open`)."""
    return state != "closed"


@dataclass(frozen=True, slots=True)
class FirstContactReply:
    """The contact's first message of a conversation (Intercom's `first_contact_reply`): when it
    was written, what it was written in, and the URL it was written at."""

    created_at: int
    type: str
    url: str | None


@dataclass(frozen=True)
class Source:
    type: str
    delivered_as: str
    subject: str
    body: str
    author: Actor
    url: str | None
    attachments: tuple[dict[str, Any], ...]
    # An email's addresses, as (role, email): to, cc or bcc. None for a source that is no email.
    recipients: tuple[tuple[str, str], ...] | None = None


@dataclass
class Change:
    """What an operation does to a conversation: its new state, the parts to append, the teammates
    who join, and the topics of the events it caused (domain/events.py)."""

    conversation: Conversation
    parts: list[Part] = field(default_factory=list)
    add_teammates: list[int] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def caused(self, *topics: str) -> Change:
        self.events.extend(topics)
        return self


def first_contact_reply(
    before: Conversation | None, after: Conversation, source: Source | None = None
) -> FirstContactReply | None:
    """The first contact reply that going from ``before`` to ``after`` records, if it records one
    (None: there is none yet, or there was one already). It is the moment the statistics first hold
    a contact reply (domain/statistics.py): a conversation a contact starts has it at once, its
    source (``before`` None, ``source`` given), with the source's URL; a conversation an admin
    starts has it when the contact first writes, in the conversation, at no URL of its own."""
    at = after.stats.first_contact_reply_at
    if at is None or (before is not None and before.stats.first_contact_reply_at is not None):
        return None
    return FirstContactReply(created_at=at, type="conversation", url=source.url if source is not None else None)


# state × action → new state. Closing a closed conversation or opening an open one is no
# transition at all: no part is written and nothing moves.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "close"): "closed",
    ("snoozed", "close"): "closed",
    ("open", "snooze"): "snoozed",
    ("snoozed", "snooze"): "snoozed",
    ("closed", "snooze"): "snoozed",
    ("closed", "open"): "open",
    ("snoozed", "open"): "open",
    # A contact writing into a closed or snoozed conversation brings it back (Intercom's inbox).
    ("closed", "contact_reply"): "open",
    ("snoozed", "contact_reply"): "open",
    # The snooze timer firing.
    ("snoozed", "timer"): "open",
}


def _transition(conversation: Conversation, action: str) -> str | None:
    return TRANSITIONS.get((conversation.state, action))


def advance(conversation: Conversation, parts: list[Part], now: int, **values: Any) -> Change:
    """The conversation with ``values`` set, ``parts`` folded into its statistics and ``updated_at``
    moved to the latest of its parts (never backwards). Each part records the state the change
    leaves the conversation in."""
    changed = evolve(conversation, **values)
    new_state = values.get("state", conversation.state)
    parts = [evolve(part, state=new_state) for part in parts]
    stats = changed.stats
    for part in parts:
        reopens = conversation.state == "closed" and new_state == "open"
        stats = statistics.record(stats, part, reopens=reopens)
    latest = max([conversation.updated_at, now, *(p.created_at for p in parts)])
    return Change(evolve(changed, stats=stats, updated_at=latest), parts)


def _leave_state(new_state: str) -> dict[str, Any]:
    return {"state": new_state, "snoozed_until": None} if new_state != "snoozed" else {"state": new_state}


# -- starting -----------------------------------------------------------------------------------


def _new(now: int, stats: statistics.Statistics, waiting_since: int | None, state: str = "open") -> Conversation:
    return Conversation(
        id=None,
        created_at=now,
        updated_at=now,
        state=state,
        read=False,
        priority="none",
        waiting_since=waiting_since,
        snoozed_until=None,
        admin_assignee_id=None,
        team_assignee_id=None,
        title=None,
        custom_attributes={},
        stats=stats,
    )


def start_by_contact(
    contact: Actor,
    body: str,
    subject: str | None,
    attachment_urls: list[str],
    now: int,
    url: str | None = None,
    created_at: int | None = None,
) -> tuple[Conversation, Source]:
    """A conversation a contact starts from the Messenger: open, unread, the contact waiting.

    Intercom records the contact's message as the conversation's *source*, not as a part, and
    treats it as the first contact reply (`first_contact_reply`, statistics). ``url`` is the page
    the contact wrote from (`POST /messages`' `referer`), the source's and first reply's `url`.
    ``created_at`` dates it (a conversation brought over from elsewhere); by default it starts
    ``now``.
    """
    check_timestamp(created_at, "created_at")
    at = created_at if created_at is not None else now
    source = Source(
        type="conversation",
        delivered_as="customer_initiated",
        subject=subject or "",
        body=sanitise_required(body),
        author=contact,
        url=url,
        attachments=url_attachments(attachment_urls),
    )
    return _new(at, statistics.started_by_contact(at), waiting_since=at), source


def start_by_admin(
    admin: Actor,
    message_type: str,
    subject: str,
    body: str,
    now: int,
    recipients: tuple[tuple[str, str], ...] = (),
) -> tuple[Conversation, Source]:
    """The conversation of an admin's outbound message (`POST /messages`): nobody waits yet, and
    there is no first contact reply until the contact answers. An email keeps the addresses it went
    to (``recipients``: role, email)."""
    email = message_type == "email"
    source = Source(
        type="email" if email else "conversation",
        delivered_as="admin_initiated",
        subject=subject,
        body=body,
        author=admin,
        url=None,
        attachments=(),
        recipients=recipients if email else None,
    )
    return _new(now, statistics.Statistics(), waiting_since=None), source


# -- replies ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuickReply:
    """One quick reply option: the text of its button and its id (a UUID the sender chooses)."""

    text: str
    uuid: str


MAX_QUICK_REPLY_OPTIONS = 10  # the reply's other lists (attachments) stop at ten too


def _options(options: tuple[QuickReply, ...]) -> dict[str, Any]:
    if not options:
        raise ParameterNotFound("reply_options is required for a quick_reply", field="reply_options")
    if len(options) > MAX_QUICK_REPLY_OPTIONS:
        raise ParameterInvalid(
            f"reply_options has too many items; at most {MAX_QUICK_REPLY_OPTIONS} are allowed", field="reply_options"
        )
    if len({option.uuid for option in options}) != len(options):
        raise ParameterInvalid("reply_options must not repeat a uuid", field="reply_options")
    return {"options": [{"text": option.text, "uuid": option.uuid} for option in options]}


def reply_as_admin(
    conversation: Conversation,
    admin: Actor,
    message_type: str,
    body: str | None,
    attachments: tuple[dict[str, Any], ...],
    now: int,
    created_at: int | None = None,
    options: tuple[QuickReply, ...] = (),
) -> Change:
    """An admin's comment answers the contact: nobody is waiting any more and the admin joins the
    teammates. A note is internal: it changes neither. A quick reply is a comment whose message is
    its ``options`` (buttons the contact answers with), its text optional."""
    check_timestamp(created_at, "created_at")
    at = created_at if created_at is not None else now
    if message_type == "quick_reply":
        text = sanitise(body) if body is not None else None
        part = Part(message_type, admin, at, body=text, attachments=attachments, metadata=_options(options))
    else:
        if body is None:
            raise ParameterNotFound("body is a required parameter", field="body")
        part = Part(message_type, admin, at, body=sanitise_required(body), attachments=attachments)
    if message_type == "note":
        return advance(conversation, [part], now).caused("conversation.admin.noted")
    change = advance(conversation, [part], now, waiting_since=None).caused("conversation.admin.replied")
    if admin.id is not None:
        change.add_teammates.append(int(admin.id))
    return change


def reply_as_contact(
    conversation: Conversation,
    contact: Actor,
    body: str | None,
    attachments: tuple[dict[str, Any], ...],
    now: int,
    created_at: int | None = None,
    chosen: QuickReply | None = None,
) -> Change:
    """A contact's comment: the contact waits (from the first unanswered message on) and a closed
    or snoozed conversation opens again. ``chosen``: the quick reply option it answers with (its
    text is the comment's when there is no body); ``created_at`` dates the comment."""
    check_timestamp(created_at, "created_at")
    at = created_at if created_at is not None else now
    if body is None and chosen is None:
        raise ParameterNotFound("body is a required parameter", field="body")
    if body is None and chosen is not None:
        body = f"<p>{html.escape(chosen.text)}</p>"  # the option's text, as the Messenger sends a message
    text = sanitise_required(body or "")
    metadata = {"chosen": chosen.uuid} if chosen is not None else None
    part = Part("comment", contact, at, body=text, attachments=attachments, metadata=metadata)
    values: dict[str, Any] = {"waiting_since": conversation.waiting_since if conversation.waiting_since else now}
    new_state = _transition(conversation, "contact_reply")
    if new_state is not None:
        values.update(_leave_state(new_state))
    return advance(conversation, [part], now, **values).caused("conversation.user.replied")


# -- managing -----------------------------------------------------------------------------------


def close(conversation: Conversation, admin: Actor, body: str | None, now: int) -> Change:
    new_state = _transition(conversation, "close")
    if new_state is None:
        return Change(conversation)
    part = Part("close", admin, now, body=sanitise(body) if body is not None else None)
    return advance(conversation, [part], now, **_leave_state(new_state)).caused("conversation.admin.closed")


def snooze(conversation: Conversation, admin: Actor, until: int, now: int) -> Change:
    check_timestamp(until, "snoozed_until")
    if until <= now:
        raise ParameterInvalid("snoozed_until must be in the future", field="snoozed_until")
    new_state = _transition(conversation, "snooze")
    assert new_state is not None  # every state may be snoozed
    change = advance(conversation, [Part("snoozed", admin, now)], now, state=new_state, snoozed_until=until)
    return change.caused("conversation.admin.snoozed")


def open_(conversation: Conversation, admin: Actor, now: int) -> Change:
    new_state = _transition(conversation, "open")
    if new_state is None:
        return Change(conversation)
    return advance(conversation, [Part("open", admin, now)], now, **_leave_state(new_state)).caused(
        "conversation.admin.opened"
    )


def assign(
    conversation: Conversation,
    admin: Actor,
    assignee: Actor,
    body: str | None,
    now: int,
    part_type: str = "assignment",
) -> Change:
    """Assign to an admin or a team; an ``assignee.id`` of None unassigns that kind of assignee.
    Assigning an open conversation is also Intercom's ``conversation.admin.open.assigned``.
    ``part_type`` is what records it: an admin's `assignment`, or the `default_assignment` that
    Intercom's assignment rules write (domain/assignment_rules.py)."""
    number = int(assignee.id) if assignee.id is not None else None
    values = {"admin_assignee_id": number} if assignee.type == "admin" else {"team_assignee_id": number}
    # Intercom names the empty assignee "nobody_admin".
    assigned_to = assignee if assignee.id is not None else Actor("nobody_admin", None)
    part = Part(part_type, admin, now, body=sanitise(body) if body is not None else None, assigned_to=assigned_to)
    change = advance(conversation, [part], now, **values).caused("conversation.admin.assigned")
    return change.caused("conversation.admin.open.assigned") if conversation.state == "open" else change


def snooze_due(conversation: Conversation, now: int) -> bool:
    """Whether the conversation's snooze has run out by ``now`` (and :func:`wake` would open it)."""
    return snooze_ran_out(conversation.state, conversation.snoozed_until, now)


def snooze_ran_out(state: str, snoozed_until: int | None, now: int) -> bool:
    """:func:`snooze_due` of a conversation known by its state and ``snoozed_until`` alone."""
    return state == "snoozed" and snoozed_until is not None and snoozed_until <= now


def wake(conversation: Conversation, operator: Actor) -> Change:
    """The snooze timer fires: the conversation is open again as of ``snoozed_until``, recorded by
    a `timer_unsnooze` part at that moment, however late anyone looks."""
    if conversation.snoozed_until is None or _transition(conversation, "timer") is None:
        return Change(conversation)
    at = conversation.snoozed_until
    part = Part("timer_unsnooze", operator, at)
    return advance(conversation, [part], at, state="open", snoozed_until=None).caused("conversation.admin.unsnoozed")


def as_of(conversation: Conversation, now: int, operator: Actor) -> Conversation:
    """The conversation as a reader sees it at ``now``: a snooze that has run out reads as open,
    exactly as :func:`wake` will record it. Reads never write; the sweep (operations/snoozes.py)
    writes the wake, and its `timer_unsnooze` part, within a second."""
    if not snooze_due(conversation, now):
        return conversation
    return wake(conversation, operator).conversation


# -- participants -------------------------------------------------------------------------------


def attach_contact(conversation: Conversation, admin: Actor, contact: Actor, now: int) -> Change:
    change = advance(conversation, [Part("participant_added", admin, now, assigned_to=None)], now)
    return change.caused("conversation.contact.attached")


def detach_contact(conversation: Conversation, admin: Actor, contact: Actor, now: int) -> Change:
    return advance(conversation, [Part("participant_removed", admin, now)], now).caused("conversation.contact.detached")


# -- attributes ---------------------------------------------------------------------------------


def update_attributes(
    conversation: Conversation,
    operator: Actor,
    now: int,
    *,
    read: bool | None = None,
    title: str | None = None,
    custom_attributes: dict[str, Any] | None = None,
) -> Change:
    """``PUT /conversations/{id}``: mark read, set the title, set custom attributes.

    Each attribute that really changes leaves a ``conversation_attribute_updated_by_admin`` part
    authored by the Operator bot, as the spec's example response shows; marking read leaves none.
    """
    values: dict[str, Any] = {}
    parts: list[Part] = []
    if read is not None and read != conversation.read:
        values["read"] = read
    if title is not None:
        if len(title) > MAX_TITLE_LENGTH:
            raise ParameterInvalid(f"title is longer than {MAX_TITLE_LENGTH} characters", field="title")
        if title != conversation.title:
            values["title"] = title
            parts.append(Part("conversation_attribute_updated_by_admin", operator, now))
    if custom_attributes:
        merged = dict(conversation.custom_attributes)
        for name, value in custom_attributes.items():
            validate_custom_attribute(name, value)
            if merged.get(name, _MISSING) != value:
                merged[name] = value
                parts.append(Part("conversation_attribute_updated_by_admin", operator, now))
        if merged != conversation.custom_attributes:
            values["custom_attributes"] = merged
    if not values:
        return Change(conversation)
    change = advance(conversation, parts, now, **values)
    return change.caused("conversation.read") if values.get("read") is True else change


_MISSING = object()
