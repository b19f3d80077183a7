"""Teams on the wire (`team`, `team.list`), drawn in the newest shape and taken back to the version
asked for (render/versions/)."""

from __future__ import annotations

from typing import Any

from inboxd.render.versions import Version, shaped


def _team(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "team",
        "id": str(row["id"]),
        "name": row["name"],
        "admin_ids": row["admin_ids"],
        "admin_priority_level": None,
        # inboxd assigns no conversations by workload: neither a limit nor a method
        "assignment_limit": None,
        "distribution_method": None,
    }


def team(row: dict[str, Any], version: Version) -> dict[str, Any]:
    return shaped("team", _team(row), version)


def team_list(rows: list[dict[str, Any]], version: Version) -> dict[str, Any]:
    return shaped("team.list", {"type": "team.list", "teams": [_team(row) for row in rows]}, version)
