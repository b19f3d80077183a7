"""Read models: everything needed to show an object, resolved by the store, drawn by render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ConversationView:
    row: dict[str, Any]
    contacts: list[dict[str, Any]]  # {id, external_id}
    teammates: list[int]
    tags: list[dict[str, Any]]  # {id, name, applied_at, applied_by_admin_id}
    source_author: dict[str, Any]  # {type, id, name, email}
    parts: list[dict[str, Any]] | None = None  # rows with "author": {type, id, name, email}
    parts_total: int = 0
    ticket: dict[str, Any] | None = None  # {id, category, ticket_state} once converted to a ticket
