"""Contacts (users and leads), scoped to one workspace."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from inboxd.domain.errors import NotFound
from inboxd.domain.ids import is_contact_id
from inboxd.store import keyset
from inboxd.store.memo import read_many
from inboxd.store.prepared import Prepared
from inboxd.store.tables import contacts

_MANY = Prepared(
    select(contacts).where(
        contacts.c.workspace_id == bindparam("ws"), contacts.c.id.in_(bindparam("ids", expanding=True))
    )
)  # prepared (store/prepared.py): every rendered conversation runs it


class Contacts:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id

    def insert(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(contacts).values(workspace_id=self.workspace_id, **row))

    def update(self, contact_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(contacts)
            .where(contacts.c.workspace_id == self.workspace_id, contacts.c.id == contact_id)
            .values(**values)
        )

    def get(self, contact_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(contacts).where(contacts.c.workspace_id == self.workspace_id, contacts.c.id == contact_id)
        ).first()
        return row._asdict() if row else None

    def require(self, contact_id: str) -> dict[str, Any]:
        """The contact, or Intercom's 404 for an unknown one ("User Not Found")."""
        # Only ids shaped like ours are looked up: anything else cannot exist, and PostgreSQL
        # would refuse some of it (a NUL character) with an error instead of an empty result.
        found = self.get(contact_id) if isinstance(contact_id, str) and is_contact_id(contact_id) else None
        if found is None:
            raise NotFound("User Not Found")
        return found

    def many(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}

        def fetch(missing: list[str]) -> dict[str, dict[str, Any]]:
            return {row["id"]: row for row in _MANY.rows(self.conn, {"ws": self.workspace_id, "ids": missing})}

        return read_many(self.conn, ("contact", self.workspace_id), wanted, fetch)

    def find(self, *, external_id: str | None = None, email: str | None = None) -> dict[str, Any] | None:
        """The contact with this external_id, else the oldest user (then lead) with this email."""
        query = select(contacts).where(contacts.c.workspace_id == self.workspace_id)
        if external_id is not None:
            query = query.where(contacts.c.external_id == external_id)
        elif email is not None:
            query = query.where(contacts.c.email == email.lower()).order_by(
                (contacts.c.role == "lead").asc(), contacts.c.created_at, contacts.c.id
            )
        else:
            return None
        row = self.conn.execute(query.limit(1)).first()
        return row._asdict() if row else None

    def count(self) -> int:
        return int(
            self.conn.execute(
                select(func.count()).select_from(contacts).where(contacts.c.workspace_id == self.workspace_id)
            ).scalar_one()
        )

    def page(self, limit: int, after: tuple[int, str] | None, skipped: int = 0) -> list[dict[str, Any]]:
        """Newest first by (created_at, id); ``after`` is the last key of the previous page, and
        ``skipped`` rows after it are passed over (a page asked for by number)."""
        query = select(contacts).where(contacts.c.workspace_id == self.workspace_id)
        if after is not None:
            query = query.where(keyset.after(contacts.c.created_at, contacts.c.id, after))
        query = query.order_by(*keyset.newest_first(contacts.c.created_at, contacts.c.id)).limit(limit)
        rows = self.conn.execute(query.offset(skipped) if skipped else query)
        return [row._asdict() for row in rows]
