"""`POST /messages`: an admin's outbound message (and the conversation it turns into), or a
contact's message, which starts a conversation (the spec's "user message created" example)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from starlette.responses import Response

from inboxd.api.bodies import parse
from inboxd.api.http import Call, endpoint, json
from inboxd.api.types import IdStr, Int64, Request, StrictBool, StrictStr
from inboxd.domain.errors import ParameterInvalid
from inboxd.domain.messages import ROLES, check_served
from inboxd.operations import messages as operations
from inboxd.operations.contacts import ContactRef
from inboxd.operations.messages import Addressee
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

    kind = "create_message_request"
    from_: ContactSender = Field(alias="from")
    body: StrictStr | None = None  # None is the spec's 400 "Body is required", as for an admin
    message_type: Literal["in_app", "inapp", "conversation"] | None = None  # a contact writes in-app
    referer: StrictStr | None = None
    created_at: Int64 | None = None  # 2.11+


class CreateMessage(Request):
    kind = "create_message_request"
    # whatsapp (2.16) is listed so that a bad type's error lists what the version has; it is refused
    # before the body is parsed (domain/messages.py check_served).
    message_type: Literal["in_app", "inapp", "email", "conversation", "whatsapp"]
    subject: StrictStr | None = None
    body: StrictStr | None = None  # None is the spec's own 400 "Body is required" (domain/messages.py)
    template: Literal["plain", "personal"] | None = None  # the email's style: accepted, not used
    from_: Sender = Field(alias="from")
    # 2.14+: each one recipient or a list of them (:func:`_addressees` reads them, so that an error
    # names the field as sent: to.type, to.1.id).
    to: Any
    cc: Any = None
    bcc: Any = None
    create_conversation_without_contact_reply: StrictBool = False
    created_at: Int64 | None = None  # 2.11+


def _from_a_contact(body: dict[str, Any]) -> bool:
    sender = body.get("from")
    return isinstance(sender, dict) and sender.get("type") in CONTACT_SENDERS


def _addressees(request: CreateMessage) -> list[Addressee]:
    """Every contact the message names, `to` first, then `cc` and `bcc`, each as given."""
    found = []
    for role in ROLES:
        given = getattr(request, role)
        if given is None and role != "to":
            continue
        if isinstance(given, dict):
            named = [(role, given)]
        elif isinstance(given, list):
            named = [(f"{role}.{index}", item) for index, item in enumerate(given)]
        else:
            raise ParameterInvalid(f"{role} must be an object or an array of objects", field=role)
        for field, item in named:
            if not isinstance(item, dict):
                raise ParameterInvalid(f"{field} must be an object", field=field)
            recipient = parse(Recipient, item, prefix=f"{field}.")
            found.append(Addressee(role, field, ContactRef(recipient.id, recipient.user_id, recipient.email)))
    return found


@endpoint(write=True)
def create(call: Call) -> Response:
    if _from_a_contact(call.body):
        written = call.parsed(ContactMessage)
        message = operations.send_as_contact(
            call.store, call.now, written.from_.id, written.body, written.referer, written.created_at
        )
        return json(render.user_message(message, call.version))
    sent = call.sent("create_message_request")
    check_served(sent.get("message_type"))
    request = parse(CreateMessage, sent)
    message, admin = operations.send(
        call.store,
        call.now,
        request.from_.id,
        _addressees(request),
        request.message_type,
        request.subject,
        request.body,
        open_now=request.create_conversation_without_contact_reply,
        created_at=request.created_at,
    )
    return json(render.admin_message(message, admin, call.version))
