"""`POST /messages`: an admin's outbound message (and the conversation it turns into), or a
contact's message, which starts a conversation (the spec's "user message created" example)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from starlette.responses import Response

from inboxd.api.http import Call, endpoint, json
from inboxd.api.types import IdStr, Request, StrictBool, StrictStr
from inboxd.operations import messages as operations
from inboxd.operations.contacts import ContactRef
from inboxd.render import messages as render


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


# Who may send a contact's message: the kinds of contact POST /conversations takes (the 2.11
# description lists them; the other descriptions' examples send user and lead).
CONTACT_SENDERS = frozenset({"user", "lead", "contact"})


class ContactSender(Request):
    type: Literal["user", "lead", "contact"]
    id: IdStr


class ContactMessage(Request):
    """A contact's message: its sender, body and the page it was written on (`referer`). `to`,
    `subject` and `template` are an admin's message's and are not read."""

    from_: ContactSender = Field(alias="from")
    body: StrictStr | None = None  # None is the spec's 400 "Body is required", as for an admin
    message_type: Literal["in_app", "inapp", "conversation"] | None = None  # a contact writes in-app
    referer: StrictStr | None = None


class CreateMessage(Request):
    message_type: Literal["in_app", "inapp", "email", "conversation"]
    subject: StrictStr | None = None
    body: StrictStr | None = None  # None is the spec's own 400 "Body is required" (domain/messages.py)
    template: Literal["plain", "personal"] | None = None  # the email's style: accepted, not used
    from_: Sender = Field(alias="from")
    to: Recipient
    create_conversation_without_contact_reply: StrictBool = False


def _from_a_contact(body: dict[str, Any]) -> bool:
    sender = body.get("from")
    return isinstance(sender, dict) and sender.get("type") in CONTACT_SENDERS


@endpoint(write=True)
def create(call: Call) -> Response:
    if _from_a_contact(call.body):
        written = call.parsed(ContactMessage)
        message = operations.send_as_contact(call.store, call.now, written.from_.id, written.body, written.referer)
        return json(render.user_message(message, call.version))
    request = call.parsed(CreateMessage)
    to = ContactRef(request.to.id, request.to.user_id, request.to.email)
    message, admin = operations.send(
        call.store,
        call.now,
        request.from_.id,
        to,
        request.message_type,
        request.subject,
        request.body,
        open_now=request.create_conversation_without_contact_reply,
    )
    return json(render.admin_message(message, admin, call.version))
