"""Messages (`POST /messages`): an admin's outbound message and the conversation it turns into,
and a contact's message, which starts its conversation at once."""

from __future__ import annotations

from typing import Any

from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import ParameterNotFound
from inboxd.domain.messages import compose, required_body
from inboxd.operations import contacts
from inboxd.operations.contacts import ContactRef
from inboxd.operations.conversations import start_by_contact
from inboxd.store.scope import Store


def send(
    store: Store,
    now: int,
    admin_id: str,
    to: ContactRef,
    message_type: str,
    subject: str | None,
    body: str | None,
    open_now: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An admin's message to a contact, and the admin. Its conversation starts when the contact
    answers it (:func:`last_conversation`), or at once when ``open_now``."""
    outbound = compose(message_type, subject, body)
    admin = store.admins.require(admin_id, field="from.id")
    if not to.names_one:
        raise ParameterNotFound("to.id is a required parameter", field="to.id")
    contact = contacts.require(store, to)
    message_id = store.messages.create(
        kind="admin_message",
        message_type=outbound.message_type,
        subject=outbound.subject,
        body=outbound.body,
        author_type="admin",
        author_id=str(admin["id"]),
        contact_id=contact["id"],
        created_at=now,
    )
    if open_now:
        open_conversation(store, store.messages.require(message_id))
    return store.messages.require(message_id), admin


def send_as_contact(store: Store, now: int, contact_id: str, body: str | None, referer: str | None) -> dict[str, Any]:
    """A contact's message (the spec's "user message created" and "lead message created"
    examples): the conversation it starts, as `POST /conversations` starts one, written from the
    page ``referer`` names; the message, with its conversation."""
    message_id = start_by_contact(store, now, contact_id, required_body(body), url=referer)
    return store.messages.require(message_id)


def open_conversation(store: Store, message: dict[str, Any]) -> int:
    """The admin message's conversation, dated when the message was sent: the message is its
    source and its recipient the participant. Nobody waits until the contact writes."""
    conversation, source = domain.start_by_admin(
        Actor("admin", message["author_id"]),
        message["message_type"],
        message["subject"],
        message["body"],
        message["created_at"],
    )
    conversation_id = store.conversations.create(conversation, source, message["id"], [message["contact_id"]])
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
