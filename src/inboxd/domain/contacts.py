"""Contacts: users and leads. What a new contact looks like and when it clashes with another."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from inboxd.domain import ids
from inboxd.domain.custom_attributes import validate_custom_attribute
from inboxd.domain.errors import Conflict, ParameterInvalid
from inboxd.domain.limits import check_lengths, check_timestamp

ROLES = ("user", "lead")

# The widths of the contacts columns (store/tables/workspace.py).
MAX_LENGTHS = {"external_id": 255, "email": 255, "phone": 64, "name": 255}


def new_contact(fields: dict[str, Any], now: int) -> dict[str, Any]:
    """A contact row from `POST /contacts` fields (already type-checked by the API layer)."""
    check_lengths(fields, MAX_LENGTHS)
    check_timestamp(fields.get("signed_up_at"), "signed_up_at")
    check_timestamp(fields.get("last_seen_at"), "last_seen_at")
    role = fields.get("role") or "user"
    if role not in ROLES:
        raise ParameterInvalid(f"role must be one of {', '.join(ROLES)}", field="role")
    email = fields.get("email")
    if email is not None:
        email = email.strip().lower()
        if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
            raise ParameterInvalid("email is not a valid email address", field="email")
    # An empty external_id identifies nobody: stored as "", a second one would break the
    # uniqueness of external ids instead of being a contact without one.
    external_id = fields.get("external_id") or None
    if not (email or external_id or fields.get("role")):
        raise ParameterInvalid("Contacts need an email, an external_id or a role", field="email")
    avatar = fields.get("avatar") or None
    if avatar is not None and not is_http_url(avatar):
        # Rendered as `avatar.image_url`, which the spec types `format: uri`.
        raise ParameterInvalid("avatar must be an http(s) URL", field="avatar")
    custom_attributes = fields.get("custom_attributes") or {}
    for name, value in custom_attributes.items():
        validate_custom_attribute(name, value)
    return {
        "id": ids.new_contact_id(now),
        "role": role,
        "email": email or None,
        "external_id": external_id,
        "phone": fields.get("phone"),
        "name": fields.get("name"),
        "avatar": avatar,
        "owner_id": fields.get("owner_id"),
        "unsubscribed_from_emails": bool(fields.get("unsubscribed_from_emails") or False),
        "signed_up_at": fields.get("signed_up_at"),
        "last_seen_at": fields.get("last_seen_at"),
        "custom_attributes": custom_attributes,
        "created_at": now,
        "updated_at": now,
    }


_URL_FORBIDDEN = frozenset(' "<>\\^`{|}')


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host, in the characters RFC 3986 allows (no spaces, no raw
    non-ASCII): what a client can put in an `<img src>` as given."""
    if not value.isascii() or any(ch in _URL_FORBIDDEN or not ch.isprintable() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def check_unique(
    new: dict[str, Any], same_external_id: dict[str, Any] | None, same_email: dict[str, Any] | None
) -> None:
    """Intercom refuses a second contact with the same external_id, or a second user with the same
    email (leads may share an email: they are anonymous until identified)."""
    clash = same_external_id or (
        same_email if new["role"] == "user" and same_email and same_email["role"] == "user" else None
    )
    if clash is not None:
        raise Conflict(f"A contact matching those details already exists with id={clash['id']}")
