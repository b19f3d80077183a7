"""Messages on the wire: the spec's `message`, `admin_message` with its owner or `user_message`."""

from __future__ import annotations

from typing import Any

from inboxd.render.conversations import drawn_message, message
from inboxd.render.versions import Version, shaped


def admin_message(row: dict[str, Any], owner: dict[str, Any], version: Version) -> dict[str, Any]:
    """`POST /messages`' answer: the `message` shape plus the sending admin as `owner`, which the
    spec's "admin message created" example shows (the schema allows more properties)."""
    doc = drawn_message(row)
    doc["owner"] = {
        "type": "admin",
        "id": str(owner["id"]),
        "name": owner["name"],
        "email": owner["email"],
        "away_mode_enabled": owner["away_mode_enabled"],
        "away_mode_reassign": owner["away_mode_reassign"],
    }
    return shaped("message", doc, version)


def user_message(row: dict[str, Any], version: Version) -> dict[str, Any]:
    """A contact's message, as `POST /conversations` answers it: with its conversation's id (the
    spec's "user message created" example)."""
    return message(row, version)
