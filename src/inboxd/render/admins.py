"""Admins on the wire (`admin`, `admin.list`, and `GET /me`'s admin with its app), drawn in the
newest shape and taken back to the version asked for (render/versions/)."""

from __future__ import annotations

from typing import Any

from inboxd.render.versions import Version, shaped


def _admin(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "admin",
        "id": str(row["id"]),
        "name": row["name"],
        "email": row["email"],
        "job_title": row["job_title"] or "",
        "away_mode_enabled": row["away_mode_enabled"],
        "away_mode_reassign": row["away_mode_reassign"],
        "away_status_reason_id": None,  # inboxd keeps no away reasons
        "has_inbox_seat": row["has_inbox_seat"],
        "team_ids": row["team_ids"],
        "avatar": row["avatar"],
        "role": None,  # nor roles
    }


def admin(row: dict[str, Any], version: Version) -> dict[str, Any]:
    return shaped("admin", _admin(row), version)


def admin_list(rows: list[dict[str, Any]], version: Version) -> dict[str, Any]:
    return shaped("admin.list", {"type": "admin.list", "admins": [_admin(row) for row in rows]}, version)


def me(row: dict[str, Any], workspace: dict[str, Any]) -> dict[str, Any]:
    """`GET /me`: the admin behind the token, with its app (the workspace)."""
    return {
        "type": "admin",
        "id": str(row["id"]),
        "email": row["email"],
        "name": row["name"],
        "email_verified": True,
        "app": {
            "type": "app",
            "id_code": workspace["id_code"],
            "name": workspace["name"],
            "created_at": workspace["created_at"],
            "identity_verification": False,
            "region": "US",
            "timezone": "Etc/UTC",
        },
        "avatar": {"type": "avatar", "image_url": row["avatar"]},
        "has_inbox_seat": row["has_inbox_seat"],
        "job_title": row["job_title"] or "",
        "away_mode_enabled": row["away_mode_enabled"],
        "away_mode_reassign": row["away_mode_reassign"],
        "team_ids": row["team_ids"],
    }
