"""Ids that look like Intercom's: numeric strings come from integer primary keys;
contact ids are 24 lowercase hex characters shaped like a MongoDB ObjectId (4 bytes of creation
time, then randomness), which is what Intercom's contact ids are."""

from __future__ import annotations

import re
import secrets

_CONTACT_ID = re.compile(r"^[0-9a-f]{24}$")


def new_contact_id(now: int) -> str:
    return f"{now & 0xFFFFFFFF:08x}{secrets.token_hex(8)}"


def is_contact_id(value: str) -> bool:
    return bool(_CONTACT_ID.match(value))


def parse_numeric_id(value: str | int | None) -> int | None:
    """The integer behind a numeric-string id, or None when it cannot be one of ours."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    text = value.strip()
    if not text.isdigit() or not text.isascii() or len(text) > 18:
        return None
    number = int(text)
    return number if number > 0 else None
