"""The rules of redaction (`POST /conversations/redact`): what may be redacted, and when redacting
changes nothing. Redacted text is overwritten, not hidden (store/conversations.py)."""

from __future__ import annotations

from inboxd.domain.conversations import CONTACT_TYPES
from inboxd.domain.errors import IntercomError, NotFound

REDACT_NOT_FOUND = "Conversation part or message not found"


def redact_not_found() -> NotFound:
    return NotFound(REDACT_NOT_FOUND, code="conversation_part_or_message_not_found")


def _not_redactable(what: str) -> IntercomError:
    return IntercomError(f"Cannot redact {what}", code="conversation_part_not_redactable")


def must_redact_part(body: str | None, redacted: bool) -> bool:
    """Whether redacting the part changes anything (a redacted part stays as it is); a part without
    text has nothing to redact and is refused."""
    if redacted:
        return False
    if not body:
        raise _not_redactable("a conversation part without a body")
    return True


def must_redact_source(author_type: str, redacted: bool) -> bool:
    """Whether redacting the conversation's source message changes anything; only a contact's
    message may be redacted."""
    if redacted:
        return False
    if author_type not in CONTACT_TYPES:
        raise _not_redactable("a source message not written by a contact")
    return True
