"""Ticket types on the wire (`ticket_type`, `ticket_type.list`), drawn in the newest shape and taken
back to the version asked for (render/versions/; a ticket's own ticket type: render/tickets.py)."""

from __future__ import annotations

from typing import Any

from inboxd.domain.tickets import STATES
from inboxd.render.versions import Version, shaped

# A ticket state's id: its place in the default states (inboxd's states are those four, the same in
# every workspace and ticket type).
_STATE_IDS = {state: str(number) for number, state in enumerate(STATES, start=1)}


def ticket_state(state: str) -> dict[str, Any]:
    """A `ticket_state` (2.12+: an object; a string before, render/versions/changes.py)."""
    label = STATES[state]
    return {
        "type": "ticket_state",
        "id": _STATE_IDS[state],
        "category": state,
        "internal_label": label,
        "external_label": label,
    }


def ticket_type_attribute(row: dict[str, Any], workspace_code: str) -> dict[str, Any]:
    return {
        "type": "ticket_type_attribute",
        "id": str(row["id"]),
        "workspace_id": workspace_code,
        "name": row["name"],
        "description": row["description"],
        "data_type": row["data_type"],
        "input_options": row["input_options"],
        "order": row["order"],
        "required_to_create": row["required_to_create"],
        "required_to_create_for_contacts": row["required_to_create_for_contacts"],
        "visible_on_create": row["visible_on_create"],
        "visible_to_contacts": row["visible_to_contacts"],
        "default": row["is_default"],
        "ticket_type_id": row["ticket_type_id"],
        "archived": row["archived"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def drawn(row: dict[str, Any], workspace_code: str) -> dict[str, Any]:
    """A ticket type in the newest shape."""
    return {
        "type": "ticket_type",
        "id": str(row["id"]),
        "name": row["name"],
        "description": row["description"],
        "icon": row["icon"],
        "workspace_id": workspace_code,
        "archived": row["archived"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "is_internal": row["is_internal"],
        "ticket_type_attributes": {
            "type": "list",
            "ticket_type_attributes": [ticket_type_attribute(a, workspace_code) for a in row["attributes"]],
        },
        "ticket_states": {"type": "list", "data": [ticket_state(state) for state in STATES]},
        "category": row["category"],
    }


def ticket_type(row: dict[str, Any], workspace_code: str, version: Version) -> dict[str, Any]:
    return shaped("ticket_type", drawn(row, workspace_code), version)


def ticket_type_list(rows: list[dict[str, Any]], workspace_code: str, version: Version) -> dict[str, Any]:
    listed = {"type": "ticket_type.list", "data": [drawn(row, workspace_code) for row in rows]}
    return shaped("ticket_type.list", listed, version)
