"""Ticket types: what a new one holds, including the two attributes Intercom builds into every
ticket type (`_default_title_` and `_default_description_`), which ticket conversion fills in."""

from __future__ import annotations

from typing import Any

from inboxd.domain.errors import ParameterInvalid

CATEGORIES = ("Customer", "Back-office", "Tracker")
DEFAULT_ICON = "\U0001f39f\ufe0f"  # the spec's default, 🎟️

# The widths of the ticket_types columns (store/tables.py): PostgreSQL refuses longer values where
# SQLite would keep them, so both engines answer a 400 naming the field instead.
MAX_LENGTHS = {"name": 255, "icon": 64}


def _check_text(fields: dict[str, Any]) -> None:
    for field in ("name", "description", "icon"):
        value = fields.get(field)
        if not isinstance(value, str):
            continue
        limit = MAX_LENGTHS.get(field)
        if limit is not None and len(value) > limit:
            raise ParameterInvalid(f"{field} is longer than {limit} characters", field=field)


def new_ticket_type(fields: dict[str, Any], now: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    _check_text(fields)
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
