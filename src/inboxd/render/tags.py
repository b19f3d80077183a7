"""Tags on the wire (`tag`, the tags `list`), drawn in the newest shape and taken back to the
version asked for (render/versions/)."""

from __future__ import annotations

from typing import Any

from inboxd.render.versions import Version, shaped


def _tag(row: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tag", "id": str(row["id"]), "name": row["name"]}


def tag(row: dict[str, Any], version: Version) -> dict[str, Any]:
    return shaped("tag", _tag(row), version)


def tag_list(rows: list[dict[str, Any]], version: Version) -> dict[str, Any]:
    return shaped("tag_list", {"type": "list", "data": [_tag(row) for row in rows]}, version)


def applied_tag(row: dict[str, Any], applied_at: int | None, applied_by_admin_id: int | None) -> dict[str, Any]:
    """A tag as returned by a tagging operation: with when and by whom it was applied."""
    return {
        **_tag(row),
        "applied_at": applied_at,
        "applied_by": {"type": "admin", "id": str(applied_by_admin_id)} if applied_by_admin_id is not None else None,
    }
