"""Attachments on the wire (`part_attachment`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def attachments(stored: list[dict[str, Any]], base_url: str) -> list[dict[str, Any]]:
    """A part's attachments: files stored by inboxd get a URL of this server; attachments given
    by URL are shown as they were given."""
    if not stored:
        return []  # most parts: no comprehension to run
    return [part_attachment(a, base_url) if "token" in a else a for a in stored]


def part_attachment(row: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A stored file as a part shows it. ``base_url`` (scheme://host[:port]) comes from the request
    being answered, so the URL is built at render time and never stored."""
    out: dict[str, Any] = {
        "type": "upload",
        "name": row["name"],
        "url": f"{base_url}/attachments/{quote(row['token'], safe='')}/{quote(row['name'], safe='')}",
        "content_type": row["content_type"],
        "filesize": row["filesize"],
    }
    # The spec's width and height describe images; for other files they are left out, not null.
    if row.get("width") is not None and row.get("height") is not None:
        out["width"] = row["width"]
        out["height"] = row["height"]
    return out
