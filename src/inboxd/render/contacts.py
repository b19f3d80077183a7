"""Contacts on the wire (`contact`, the contacts `list`), drawn in the newest shape and taken back
to the version asked for (render/versions/)."""

from __future__ import annotations

from typing import Any

from inboxd.render.pages import Page, pages_object
from inboxd.render.versions import Version, shaped

_DEVICE_FIELDS = (
    "last_replied_at",
    "last_contacted_at",
    "last_email_opened_at",
    "last_email_clicked_at",
    "language_override",
    "browser",
    "browser_version",
    "browser_language",
    "os",
    "android_app_name",
    "android_app_version",
    "android_device",
    "android_os_version",
    "android_sdk_version",
    "android_last_seen_at",
    "ios_app_name",
    "ios_app_version",
    "ios_device",
    "ios_os_version",
    "ios_sdk_version",
    "ios_last_seen_at",
)


def _sublist(contact_id: str, what: str) -> dict[str, Any]:
    return {"type": "list", "data": [], "url": f"/contacts/{contact_id}/{what}", "total_count": 0, "has_more": False}


def _contact(row: dict[str, Any], workspace_code: str, merge_history: bool) -> dict[str, Any]:
    email = row["email"] or ""
    doc: dict[str, Any] = {
        "type": "contact",
        "id": row["id"],
        "workspace_id": workspace_code,
        "external_id": row["external_id"],
        "role": row["role"],
        "email": email,
        "email_domain": email.rsplit("@", 1)[1] if "@" in email else "",
        "phone": row["phone"],
        "name": row["name"],
        "avatar": {"type": "avatar", "image_url": row["avatar"]} if row["avatar"] else None,
        "owner_id": str(row["owner_id"]) if row["owner_id"] is not None else None,  # a string from 2.16
        "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": row["unsubscribed_from_emails"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "signed_up_at": row["signed_up_at"],
        "last_seen_at": row["last_seen_at"],
    }
    # inboxd records no browsing or device data; Intercom sends these keys as null when unknown.
    doc.update({name: None for name in _DEVICE_FIELDS})
    doc.update(
        {
            "custom_attributes": row["custom_attributes"],
            "tags": _sublist(row["id"], "tags"),
            "notes": _sublist(row["id"], "notes"),
            "companies": _sublist(row["id"], "companies"),
            "location": {"type": "location", "country": None, "region": None, "city": None},
        }
    )
    # Asked for, a user's merge history; inboxd merges no contacts, so it is empty (leads have none).
    if merge_history and row["role"] == "user":
        doc["merge_history"] = []
    return doc


def contact(row: dict[str, Any], workspace_code: str, version: Version, merge_history: bool = False) -> dict[str, Any]:
    return shaped("contact", _contact(row, workspace_code, merge_history), version)


def contact_list(
    page: Page, workspace_code: str, total_count: int, version: Version, merge_history: bool = False
) -> dict[str, Any]:
    pages = pages_object(page, total_count)
    listed = {
        "type": "list",
        "data": [_contact(row, workspace_code, merge_history) for row in page.rows],
        "total_count": total_count,
        "pages": pages,
    }
    return shaped("contact_list", listed, version)
