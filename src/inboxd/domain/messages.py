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

from inboxd.domain.errors import ParameterInvalid, UnprocessableEntity
from inboxd.domain.html import sanitise_required

# The spec's request enum says `in_app`; Intercom's documentation, SDKs and every response say
# `inapp`, and the spec's own request example sends `conversation`. All three are an in-app message,
# answered as `inapp` (the `message` schema's enum).
MESSAGE_TYPES = {"in_app": "inapp", "inapp": "inapp", "conversation": "inapp", "email": "email"}


@dataclass(frozen=True)
class Outbound:
    message_type: str  # inapp or email
    subject: str
    body: str


def required_body(body: str | None) -> str:
    """A message's body, which every message needs. The spec's example: a missing or null body is
    `parameter_invalid` "Body is required"."""
    if body is None or not body.strip():
        raise ParameterInvalid("Body is required", field="body")
    return body


def compose(message_type: str, subject: str | None, body: str | None) -> Outbound:
    """The message an admin sends; an email needs a subject, and an in-app message has none (the
    `message` schema: "subject … Only present if message_type: email")."""
    body = required_body(body)
    kind = MESSAGE_TYPES[message_type]
    body = sanitise_required(body)
    if kind == "email":
        if subject is None or not subject.strip():
            # The spec answers this one 422 with code `parameter_not_found` (createMessage examples).
            raise UnprocessableEntity(
                "No subject supplied for email message", code="parameter_not_found", field="subject"
            )
        return Outbound(kind, subject, body)
    return Outbound(kind, "", body)
