"""Ticket types and their attributes, scoped to one workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from inboxd.domain.errors import NotFound
from inboxd.domain.ids import parse_numeric_id
from inboxd.store.engine import inserted_id
from inboxd.store.tables import ticket_type_attributes, ticket_types


class TicketTypes:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id

    def create(self, row: dict[str, Any], attributes: list[dict[str, Any]]) -> int:
        ticket_type_id = inserted_id(
            self.conn.execute(insert(ticket_types).values(workspace_id=self.workspace_id, **row))
        )
        for attribute in attributes:
            self.conn.execute(
                insert(ticket_type_attributes).values(
                    workspace_id=self.workspace_id, ticket_type_id=ticket_type_id, **attribute
                )
            )
        return ticket_type_id

    def _with_attributes(self, rows: list[Any]) -> list[dict[str, Any]]:
        ids = [row.id for row in rows]
        attributes: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            for attr in self.conn.execute(
                select(ticket_type_attributes)
                .where(
                    ticket_type_attributes.c.workspace_id == self.workspace_id,
                    ticket_type_attributes.c.ticket_type_id.in_(ids),
                )
                .order_by(ticket_type_attributes.c.order, ticket_type_attributes.c.id)
            ):
                attributes[attr.ticket_type_id].append(attr._asdict())
        return [{**row._asdict(), "attributes": attributes[row.id]} for row in rows]

    def list(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(ticket_types).where(ticket_types.c.workspace_id == self.workspace_id).order_by(ticket_types.c.id)
        )
        return self._with_attributes(list(rows))

    def get(self, ticket_type_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(ticket_types).where(
                ticket_types.c.workspace_id == self.workspace_id, ticket_types.c.id == ticket_type_id
            )
        ).first()
        return self._with_attributes([row])[0] if row else None

    def named(self, value: str | int | None, missing: NotFound) -> dict[str, Any]:
        """The ticket type of the workspace named by ``value`` (a path or body), or ``missing``
        raised: endpoints answer an unknown ticket type in words of their own."""
        number = parse_numeric_id(value)
        found = self.get(number) if number is not None else None
        if found is None:
            raise missing
        return found
