"""Admins' outbound messages on the wire: the spec's `message` with `type: admin_message`."""

from __future__ import annotations

from typing import Any

from inboxd.render.conversations import drawn_message
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
