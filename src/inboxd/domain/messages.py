"""Messages (`POST /messages`): what a valid one is. Pure: no HTTP, no SQL.

An admin's message is not a conversation. Intercom opens the conversation when the contact
answers, or at once when the admin asks for it (`create_conversation_without_contact_reply`);
either way the admin's message becomes the conversation's `source`
(domain.conversations.start_by_admin). A contact's message (`from` a user or lead, the spec's
"user message created" example) starts a conversation at once, as `POST /conversations` does
(domain.conversations.start_by_contact).
"""

from __future__ import annotations

from dataclasses import dataclass

from inboxd.domain.errors import IntercomError, ParameterInvalid, UnprocessableEntity
from inboxd.domain.html import sanitise_required
from inboxd.domain.limits import check_timestamp

# The spec's request enum says `in_app`; Intercom's documentation, SDKs and every response say
# `inapp`, and the spec's own request example sends `conversation`. All three are an in-app message,
# answered as `inapp` (the `message` schema's enum).
MESSAGE_TYPES = {"in_app": "inapp", "inapp": "inapp", "conversation": "inapp", "email": "email"}
# Message types a description lists that inboxd has no channel for (2.16's WhatsApp templates):
# refused, so that nothing is stored that no one could ever receive (docs/decisions.md).
UNSERVED_MESSAGE_TYPES = {"whatsapp": "WhatsApp"}
ROLES = ("to", "cc", "bcc")


def check_served(message_type: object) -> None:
    """Refuse a message type inboxd has no channel for, before anything else of the message is read
    (a WhatsApp message names its recipient by phone number, which no contact here has)."""
    if isinstance(message_type, str) and message_type in UNSERVED_MESSAGE_TYPES:
        channel = UNSERVED_MESSAGE_TYPES[message_type]
        raise IntercomError(
            f"{channel} messages are not supported by inboxd: it has no {channel} channel",
            code="unsupported",
            field="message_type",
        )


def check_addressees(message_type: str, to: int) -> None:
    """How many contacts a message may go to (``to``: how many its `to` names). An email goes to
    one or more, and may copy others (cc, bcc); an in-app message is shown to one contact, in its
    Messenger."""
    if to == 0:
        raise ParameterInvalid("to must name at least one contact", field="to")
    if MESSAGE_TYPES[message_type] != "email" and to > 1:
        raise ParameterInvalid("An in-app message goes to one contact: to names several", field="to")


@dataclass(frozen=True)
class Outbound:
    message_type: str  # inapp or email
    subject: str
    body: str
    created_at: int  # when it was sent: now, or the time given (2.11+, an import)


def required_body(body: str | None) -> str:
    """A message's body, which every message needs. The spec's example: a missing or null body is
    `parameter_invalid` "Body is required"."""
    if body is None or not body.strip():
        raise ParameterInvalid("Body is required", field="body")
    return body


def compose(
    message_type: str, subject: str | None, body: str | None, now: int, created_at: int | None = None
) -> Outbound:
    """The message an admin sends; an email needs a subject, and an in-app message has none (the
    `message` schema: "subject … Only present if message_type: email"). ``created_at`` dates it, as
    it dates a conversation `POST /conversations` starts (a message brought over from elsewhere)."""
    body = required_body(body)
    check_timestamp(created_at, "created_at")
    at = created_at if created_at is not None else now
    kind = MESSAGE_TYPES[message_type]
    body = sanitise_required(body)
    if kind == "email":
        if subject is None or not subject.strip():
            # The spec answers this one 422 with code `parameter_not_found` (createMessage examples).
            raise UnprocessableEntity(
                "No subject supplied for email message", code="parameter_not_found", field="subject"
            )
        return Outbound(kind, subject, body, at)
    return Outbound(kind, "", body, at)
