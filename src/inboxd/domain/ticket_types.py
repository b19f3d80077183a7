"""Ticket types: what a new one holds, including the two attributes Intercom builds into every
ticket type (`_default_title_` and `_default_description_`), which ticket conversion fills in."""

from __future__ import annotations

from typing import Any

from inboxd.domain.errors import ParameterInvalid
from inboxd.domain.limits import check_lengths

CATEGORIES = ("Customer", "Back-office", "Tracker")
DEFAULT_ICON = "\U0001f39f\ufe0f"  # the spec's default, 🎟️

# The widths of the ticket_types columns (store/tables/workspace.py).
MAX_LENGTHS = {"name": 255, "icon": 64}


def new_ticket_type(fields: dict[str, Any], now: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    check_lengths(fields, MAX_LENGTHS)
    name = (fields.get("name") or "").strip()
    if not name:
        raise ParameterInvalid("name must not be blank", field="name")
    category = fields.get("category") or "Customer"
    if category not in CATEGORIES:
        raise ParameterInvalid(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    row = {
        "name": name,
        "description": fields.get("description") or "",
        "icon": fields.get("icon") or DEFAULT_ICON,
        "category": category,
        "is_internal": bool(fields.get("is_internal") or False),
        "archived": False,
        "created_at": now,
        "updated_at": now,
    }
    attributes = [
        _default_attribute("_default_title_", "Title", 0, multiline=False, now=now),
        _default_attribute("_default_description_", "Description", 1, multiline=True, now=now),
    ]
    return row, attributes


def _default_attribute(name: str, description: str, order: int, multiline: bool, now: int) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "data_type": "string",
        "input_options": {"multiline": multiline},
        "order": order,
        "required_to_create": False,
        "required_to_create_for_contacts": False,
        "visible_on_create": True,
        "visible_to_contacts": True,
        "is_default": True,
        "archived": False,
        "created_at": now,
        "updated_at": now,
    }
