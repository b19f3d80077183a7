"""Tags on the wire (`tag`, the tags `list`)."""

from __future__ import annotations

from typing import Any


def tag(row: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tag", "id": str(row["id"]), "name": row["name"]}


def tag_list(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "list", "data": [tag(row) for row in rows]}


def applied_tag(row: dict[str, Any], applied_at: int | None, applied_by_admin_id: int | None) -> dict[str, Any]:
    """A tag as returned by a tagging operation: with when and by whom it was applied."""
    return {
        **tag(row),
        "applied_at": applied_at,
        "applied_by": {"type": "admin", "id": str(applied_by_admin_id)} if applied_by_admin_id is not None else None,
    }
