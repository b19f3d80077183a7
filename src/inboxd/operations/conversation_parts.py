"""Writing conversation parts: replies (an admin's or a contact's), the admin actions of
`POST /conversations/{id}/parts` (close, snooze, open, assign) and redaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inboxd.domain import attachments as attachment_rules
from inboxd.domain import conversation_parts as rules
from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor, Change, Conversation, QuickReply
from inboxd.domain.errors import Forbidden, NotFound, ParameterInvalid, ParameterNotFound
from inboxd.domain.ids import parse_numeric_id
from inboxd.operations import contacts
from inboxd.operations.contacts import ContactRef
from inboxd.operations.messages import last_conversation
from inboxd.operations.snoozes import current
from inboxd.store.scope import Store


def attachments(
    store: Store, now: int, urls: Sequence[str], files: Sequence[dict[str, Any]]
) -> tuple[dict[str, Any], ...]:
    """A reply's attachments: those given by URL, then uploaded files, kept in the database in the
    write's transaction."""
    saved = (store.attachments.save(new, now) for new in attachment_rules.prepare(list(files))) if files else ()
    stored = tuple({key: row[key] for key in attachment_rules.STORED_KEYS} for row in saved)
    return attachment_rules.url_attachments(list(urls)) + stored


def _admin(store: Store, admin_id: str) -> Actor:
    return Actor("admin", str(store.admins.require(admin_id)["id"]))


def reply_as_admin(
    store: Store,
    now: int,
    conversation_id: str,
    admin_id: str,
    message_type: str,
    body: str | None,
    attached: tuple[dict[str, Any], ...] = (),
    created_at: int | None = None,
    options: tuple[QuickReply, ...] = (),
) -> int:
    if conversation_id == "last":
        raise ParameterInvalid("only a contact can reply to its last conversation", field="id")
    admin = _admin(store, admin_id)
    conversation = current(store, store.conversations.parse_id(conversation_id), now)
    change = domain.reply_as_admin(conversation, admin, message_type, body, attached, now, created_at, options)
    return _applied(store, conversation, change)


def reply_as_contact(
    store: Store,
    now: int,
    conversation_id: str,
    who: ContactRef,
    body: str | None,
    attached: tuple[dict[str, Any], ...] = (),
    created_at: int | None = None,
    chosen: QuickReply | None = None,
) -> int:
    """A contact's comment; to ``"last"``, the contact's latest conversation (operations/messages.py)."""
    if not who.names_one:
        raise ParameterNotFound(
            "intercom_user_id, user_id or email is required to reply as a contact", field="intercom_user_id"
        )
    contact = contacts.require(store, who)
    if conversation_id == "last":
        latest = last_conversation(store, contact["id"])
        if latest is None:
            raise NotFound("Resource Not Found")
        number = latest
    else:
        number = store.conversations.parse_id(conversation_id)
    conversation = current(store, number, now)
    if contact["id"] not in store.conversations.contact_ids(number):
        raise Forbidden("The contact is not a participant of this conversation")
    change = domain.reply_as_contact(
        conversation, Actor(contact["role"], contact["id"]), body, attached, now, created_at, chosen
    )
    return _applied(store, conversation, change)


def close(store: Store, now: int, conversation_id: str, admin_id: str, body: str | None = None) -> int:
    conversation = current(store, store.conversations.parse_id(conversation_id), now)
    return _applied(store, conversation, domain.close(conversation, _admin(store, admin_id), body, now))


def snooze(store: Store, now: int, conversation_id: str, admin_id: str, until: int) -> int:
    conversation = current(store, store.conversations.parse_id(conversation_id), now)
    return _applied(store, conversation, domain.snooze(conversation, _admin(store, admin_id), until, now))


def open_(store: Store, now: int, conversation_id: str, admin_id: str) -> int:
    conversation = current(store, store.conversations.parse_id(conversation_id), now)
    return _applied(store, conversation, domain.open_(conversation, _admin(store, admin_id), now))


def assign(
    store: Store, now: int, conversation_id: str, admin_id: str, kind: str, assignee_id: str, body: str | None = None
) -> int:
    """Assign to an admin or a team (``kind``); an ``assignee_id`` of ``"0"`` unassigns."""
    conversation = current(store, store.conversations.parse_id(conversation_id), now)
    admin = _admin(store, admin_id)
    change = domain.assign(conversation, admin, _assignee(store, kind, assignee_id), body, now)
    return _applied(store, conversation, change)


def _assignee(store: Store, kind: str, assignee_id: str) -> Actor:
    """The admin or team to assign to; ``"0"`` unassigns (Intercom's convention)."""
    if assignee_id.strip() == "0":
        return Actor(kind, None)
    number = parse_numeric_id(assignee_id) or 0
    found = store.teams.get(number) if kind == "team" else store.admins.get(number)
    if found is None:
        raise NotFound("Assignee not found", code="assignee_not_found", field="assignee_id")
    return Actor(kind, str(found["id"]))


def _applied(store: Store, conversation: Conversation, change: Change) -> int:
    store.conversations.apply(conversation, change)
    return conversation.id or 0


def redact_part(store: Store, now: int, conversation_id: str, part_id: str | None) -> int:
    """Overwrite a part's text and files; the conversation's id."""
    number = _redacted_conversation(store, conversation_id)
    if part_id is None:
        raise ParameterNotFound("conversation_part_id is a required parameter", field="conversation_part_id")
    part = store.conversations.part(number, parse_numeric_id(part_id) or 0)
    if part is None:
        raise rules.redact_not_found()
    if rules.must_redact_part(part["body"], part["redacted"]):
        store.attachments.delete([a["token"] for a in part["attachments"] if "token" in a])
        store.conversations.redact_part(number, part["id"], now)
        store.record("conversation_part.redacted", number, now)
    return number


def redact_source(store: Store, now: int, conversation_id: str, source_id: str | None) -> int:
    """Overwrite the text of the contact's message the conversation started with."""
    number = _redacted_conversation(store, conversation_id)
    if source_id is None:
        raise ParameterNotFound("source_id is a required parameter", field="source_id")
    row = store.conversations.require_row(number)
    if parse_numeric_id(source_id) != row["source_id"]:
        raise rules.redact_not_found()
    if rules.must_redact_source(row["source_author_type"], row["source_redacted"]):
        store.conversations.redact_source(number)
        store.record("conversation_part.redacted", number, now)
    return number


def _redacted_conversation(store: Store, conversation_id: str) -> int:
    return store.conversations.existing(conversation_id, rules.redact_not_found())
