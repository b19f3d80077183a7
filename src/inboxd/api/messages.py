"""Admins' outbound messages: `POST /messages`, and the conversation a message turns into."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from starlette.responses import Response

from inboxd.api.bodies import parse
from inboxd.api.http import Call, endpoint, json
from inboxd.api.types import IdStr, Request, StrictBool, StrictStr
from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import NotFound, ParameterNotFound
from inboxd.domain.messages import compose
from inboxd.render import messages as render
from inboxd.store.scope import Store


class Sender(Request):
    type: Literal["admin"]
    id: IdStr


class Recipient(Request):
    # The schema names the contact by `id`; the spec's own example sends `user_id` (the external
    # id), and Intercom also takes an `email`.
    type: Literal["user", "lead"]
    id: IdStr | None = None
    user_id: IdStr | None = None
    email: StrictStr | None = None


class CreateMessage(Request):
    message_type: Literal["in_app", "inapp", "email", "conversation"]
    subject: StrictStr | None = None
    body: StrictStr | None = None  # None is the spec's own 400 "Body is required" (domain/messages.py)
    template: Literal["plain", "personal"] | None = None  # the email's style: accepted, not used
    from_: Sender = Field(alias="from")
    to: Recipient
    create_conversation_without_contact_reply: StrictBool = False


def _recipient(call: Call, to: Recipient) -> dict[str, Any]:
    contacts = call.store.contacts
    if to.id is not None:
        return contacts.require(to.id)
    if to.user_id is None and to.email is None:
        raise ParameterNotFound("to.id is a required parameter", field="to.id")
    found = contacts.find(external_id=to.user_id) if to.user_id is not None else contacts.find(email=to.email)
    if found is None:
        raise NotFound("User Not Found")
    return found


@endpoint(write=True)
def create(call: Call) -> Response:
    request = parse(CreateMessage, call.body)
    outbound = compose(request.message_type, request.subject, request.body)
    admin = call.store.admins.require(request.from_.id, field="from.id")
    contact = _recipient(call, request.to)
    message_id = call.store.messages.create(
        kind="admin_message",
        message_type=outbound.message_type,
        subject=outbound.subject,
        body=outbound.body,
        author_type="admin",
        author_id=str(admin["id"]),
        contact_id=contact["id"],
        created_at=call.now,
    )
    if request.create_conversation_without_contact_reply:
        open_conversation(call.store, call.store.messages.require(message_id))
    return json(render.admin_message(call.store.messages.require(message_id), admin))


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
