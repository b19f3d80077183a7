"""Admins' outbound messages: `POST /messages`, and the conversation a message turns into."""

from __future__ import annotations

from typing import Literal

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


class CreateMessage(Request):
    message_type: Literal["in_app", "inapp", "email", "conversation"]
    subject: StrictStr | None = None
    body: StrictStr | None = None  # None is the spec's own 400 "Body is required" (domain/messages.py)
    template: Literal["plain", "personal"] | None = None  # the email's style: accepted, not used
    from_: Sender = Field(alias="from")
    to: Recipient
    create_conversation_without_contact_reply: StrictBool = False


@endpoint(write=True)
def create(call: Call) -> Response:
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
