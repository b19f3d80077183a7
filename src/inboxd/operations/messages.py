"""Messages (`POST /messages`): an admin's outbound message and the conversation it turns into,
and a contact's message, which starts its conversation at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import ParameterNotFound
from inboxd.domain.messages import MESSAGE_TYPES, check_addressees, compose, required_body
from inboxd.operations import contacts
from inboxd.operations.contacts import ContactRef
from inboxd.operations.conversations import start_by_contact
from inboxd.store.scope import Store


@dataclass(frozen=True)
class Addressee:
    """A contact an admin's message is sent to, as the request named it."""

    role: str  # to, cc or bcc
    field: str  # where the request named it (to, to.1, cc.0): what an error about it names
    ref: ContactRef


def send(
    store: Store,
    now: int,
    admin_id: str,
    addressees: Sequence[Addressee],
    message_type: str,
    subject: str | None,
    body: str | None,
    open_now: bool = False,
    created_at: int | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An admin's message to its ``addressees``, and the admin. Its conversation starts when one of
    its `to` contacts answers it (:func:`last_conversation`), or at once when ``open_now``;
    ``created_at`` dates the message and so the conversation it becomes. An in-app message has no
    copies: its `cc` and `bcc` are not read. A contact named twice is addressed once, as first named."""
    outbound = compose(message_type, subject, body, now, created_at)
    admin = store.admins.require(admin_id, field="from.id")
    check_addressees(message_type, sum(1 for a in addressees if a.role == "to"))
    email = MESSAGE_TYPES[message_type] == "email"
    recipients: list[tuple[str, str, str | None]] = []
    for addressee in addressees:
        if addressee.role != "to" and not email:
            continue
        if not addressee.ref.names_one:
            raise ParameterNotFound(f"{addressee.field}.id is a required parameter", field=f"{addressee.field}.id")
        contact = contacts.require(store, addressee.ref)
        if all(contact["id"] != known for _, known, _ in recipients):
            recipients.append((addressee.role, contact["id"], contact["email"]))
    message_id = store.messages.create(
        kind="admin_message",
        message_type=outbound.message_type,
        subject=outbound.subject,
        body=outbound.body,
        author_type="admin",
        author_id=str(admin["id"]),
        contact_id=recipients[0][1],  # the first `to`: check_addressees leaves at least one
        created_at=outbound.created_at,
    )
    store.messages.address(message_id, recipients)
    if open_now:
        open_conversation(store, store.messages.require(message_id))
    return store.messages.require(message_id), admin


def send_as_contact(
    store: Store, now: int, contact_id: str, body: str | None, referer: str | None, created_at: int | None = None
) -> dict[str, Any]:
    """A contact's message (the spec's "user message created" and "lead message created"
    examples): the conversation it starts, as `POST /conversations` starts one (dated
    ``created_at`` when given), written from the page ``referer`` names; the message, with its
    conversation."""
    message_id = start_by_contact(store, now, contact_id, required_body(body), url=referer, created_at=created_at)
    return store.messages.require(message_id)


def open_conversation(store: Store, message: dict[str, Any]) -> int:
    """The admin message's conversation, dated when the message was sent: the message is its
    source, its `to` contacts the participants, and an email's addresses its recipients. Nobody
    waits until a contact writes."""
    recipients = store.messages.recipients(message["id"])
    conversation, source = domain.start_by_admin(
        Actor("admin", message["author_id"]),
        message["message_type"],
        message["subject"],
        message["body"],
        message["created_at"],
        tuple((role, email) for role, _, email in recipients if email),
    )
    participants = [contact_id for role, contact_id, _ in recipients if role == "to"] or [message["contact_id"]]
    conversation_id = store.conversations.create(conversation, source, message["id"], participants)
    store.messages.link(message["id"], conversation_id)
    store.record("conversation.admin.single.created", conversation_id, message["created_at"])
    return conversation_id


def last_conversation(store: Store, contact_id: str) -> int | None:
    """The conversation a contact's `POST /conversations/last/reply` goes to.

    Intercom opens an admin message's conversation when the contact answers it (createMessage:
    "there will be no conversation present until the contact responds"), and in the Messenger the
    contact answers the newest thing it was shown. So the newest admin message to the contact that
    has no conversation yet becomes one now, unless the contact's latest conversation moved after
    the message was sent (times are whole seconds: a tie goes to the message, sent to be answered).
    """
    latest = store.conversations.latest_for_contact(contact_id)
    pending = store.messages.latest_unanswered(contact_id)
    if pending is None:
        return latest
    if latest is not None and store.conversations.require_row(latest)["updated_at"] > pending["created_at"]:
        return latest
    return open_conversation(store, pending)
