"""The rules of a conversation: pure Python, no HTTP and no SQL (STYLE.md §3).

An operation takes the current conversation, the actor and ``now`` and returns a :class:`Change`:
the new values of the conversation's state and the parts to append. The store applies both in the
request's one transaction, so state and history never disagree.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field, replace
from typing import Any

from inboxd.domain import statistics
from inboxd.domain.errors import ParameterInvalid

MAX_ATTACHMENT_URLS = 10
MAX_TITLE_LENGTH = 255
MAX_CUSTOM_ATTRIBUTE_NAME = 190


@dataclass(frozen=True)
class Actor:
    """Who did something: ``type`` is admin, bot, user, lead or contact; ``id`` is a string id."""

    type: str
    id: str


@dataclass(frozen=True)
class Part:
    part_type: str
    author: Actor
    created_at: int
    body: str | None = None
    assigned_to: Actor | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    external_id: str | None = None


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
        return self.state != "closed"


@dataclass(frozen=True)
class Source:
    type: str
    delivered_as: str
    subject: str
    body: str
    author: Actor
    url: str | None
    attachments: tuple[dict[str, Any], ...]


@dataclass
class Change:
    conversation: Conversation
    parts: list[Part] = field(default_factory=list)


def start_by_contact(
    contact: Actor, body: str, subject: str | None, attachment_urls: list[str], now: int
) -> tuple[Conversation, Source]:
    """A conversation a contact starts from the Messenger: open, unread, the contact waiting.

    Intercom records the contact's message as the conversation's *source*, not as a part, and
    treats it as the first contact reply (`first_contact_reply`, statistics).
    """
    if len(attachment_urls) > MAX_ATTACHMENT_URLS:
        raise ParameterInvalid(
            f"attachment_urls has {len(attachment_urls)} items; at most {MAX_ATTACHMENT_URLS} are allowed",
            field="attachment_urls",
        )
    source = Source(
        type="conversation",
        delivered_as="customer_initiated",
        subject=subject or "",
        body=body,
        author=contact,
        url=None,
        attachments=tuple(url_attachment(url) for url in attachment_urls),
    )
    conversation = Conversation(
        id=None,
        created_at=now,
        updated_at=now,
        state="open",
        read=False,
        priority="not_priority",
        waiting_since=now,
        snoozed_until=None,
        admin_assignee_id=None,
        team_assignee_id=None,
        title=None,
        custom_attributes={},
        stats=statistics.started_by_contact(now),
    )
    return conversation, source


def url_attachment(url: str) -> dict[str, Any]:
    """An attachment given by URL: Intercom names it after the last path segment."""
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or url
    return {"type": "upload", "name": name, "url": url, "content_type": _guess_content_type(name)}


def _guess_content_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


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
    changed = conversation
    parts: list[Part] = []
    if read is not None and read != conversation.read:
        changed = replace(changed, read=read)
    if title is not None:
        if len(title) > MAX_TITLE_LENGTH:
            raise ParameterInvalid(f"title is longer than {MAX_TITLE_LENGTH} characters", field="title")
        if title != conversation.title:
            changed = replace(changed, title=title)
            parts.append(Part("conversation_attribute_updated_by_admin", operator, now))
    if custom_attributes:
        merged = dict(changed.custom_attributes)
        for name, value in custom_attributes.items():
            validate_custom_attribute(name, value)
            if merged.get(name, _MISSING) != value:
                merged[name] = value
                parts.append(Part("conversation_attribute_updated_by_admin", operator, now))
        changed = replace(changed, custom_attributes=merged)
    if changed != conversation:
        changed = replace(changed, updated_at=max(now, conversation.updated_at))
    stats = changed.stats
    for part in parts:
        stats = statistics.record(stats, part)
    return Change(replace(changed, stats=stats), parts)


_MISSING = object()


def validate_custom_attribute(name: str, value: Any) -> None:
    """Custom attributes hold strings, numbers, booleans or null (to clear), nothing nested."""
    if not name or len(name) > MAX_CUSTOM_ATTRIBUTE_NAME:
        raise ParameterInvalid(
            f"custom attribute names must have 1 to {MAX_CUSTOM_ATTRIBUTE_NAME} characters",
            field="custom_attributes",
        )
    if value is None or isinstance(value, (str, bool, int, float)):
        if isinstance(value, float) and value != value:  # NaN cannot round-trip through JSON
            raise ParameterInvalid(f"custom_attributes.{name} is not a number", field=f"custom_attributes.{name}")
        return
    kind = "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) else type(value).__name__
    raise ParameterInvalid(
        f"custom_attributes.{name} is {kind}; a custom attribute must be a string, number, boolean or null",
        field=f"custom_attributes.{name}",
    )
