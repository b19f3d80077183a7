"""Teams on the wire (`team`, `team.list`)."""

from __future__ import annotations

from typing import Any


def team(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "team",
        "id": str(row["id"]),
        "name": row["name"],
        "admin_ids": row["admin_ids"],
        "admin_priority_level": None,
    }


def team_list(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "team.list", "teams": [team(row) for row in rows]}
