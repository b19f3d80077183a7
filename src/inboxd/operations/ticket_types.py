"""The workspace's ticket types (`POST /ticket_types`)."""

from __future__ import annotations

from typing import Any

from inboxd.domain import ticket_types as domain
from inboxd.store.scope import Store


def create(store: Store, now: int, fields: dict[str, Any]) -> dict[str, Any]:
    """A new ticket type from the request's fields, with the default attributes every type has."""
    row, attributes = domain.new_ticket_type(fields, now)
    created = store.ticket_types.get(store.ticket_types.create(row, attributes))
    assert created is not None  # created in this transaction
    return created
