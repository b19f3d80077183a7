"""Admins and the workspace's Operator bot, read by one workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select

from inboxd.domain.errors import NotFound
from inboxd.domain.ids import parse_numeric_id
from inboxd.store.memo import memo
from inboxd.store.prepared import Prepared
from inboxd.store.tables import admins, team_members

# Every write request runs them: prepared (store/prepared.py).
_TEAMS_OF = Prepared(
    select(team_members.c.admin_id, team_members.c.team_id)
    .where(
        team_members.c.workspace_id == bindparam("ws"), team_members.c.admin_id.in_(bindparam("ids", expanding=True))
    )
    .order_by(team_members.c.team_id)
)
_GET = Prepared(
    select(admins).where(
        admins.c.workspace_id == bindparam("ws"), admins.c.id == bindparam("id"), admins.c.kind == "admin"
    )
)
_OPERATOR = Prepared(select(admins.c.id).where(admins.c.workspace_id == bindparam("ws"), admins.c.kind == "bot"))


class Admins:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id

    def _with_teams(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [row["id"] for row in rows]
        teams: dict[int, list[int]] = {i: [] for i in ids}
        if ids:
            for member in _TEAMS_OF.rows(self.conn, {"ws": self.workspace_id, "ids": ids}):
                teams[member["admin_id"]].append(member["team_id"])
        return [{**row, "team_ids": teams[row["id"]]} for row in rows]

    def list(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(admins)
            .where(admins.c.workspace_id == self.workspace_id, admins.c.kind == "admin")
            .order_by(admins.c.id)
        ).all()
        return self._with_teams([row._asdict() for row in rows])

    def get(self, admin_id: int) -> dict[str, Any] | None:
        """An admin (not the Operator bot) of this workspace, without its teams (one statement:
        every admin's write runs it). Remembered by the transaction: admins and teams change only
        when the workspace file is applied, in a transaction of its own."""
        remembered = memo(self.conn)
        key = ("admin", self.workspace_id, admin_id)
        if remembered is not None and key in remembered:
            found: dict[str, Any] | None = remembered[key]
            return dict(found) if found is not None else None
        found = _GET.first(self.conn, {"ws": self.workspace_id, "id": admin_id})
        if remembered is not None:
            remembered[key] = found
        return dict(found) if found is not None else None

    def require(self, admin_id: str | int | None, field: str | None = "admin_id") -> dict[str, Any]:
        """An admin of this workspace named by a request, or Intercom's `admin_not_found`."""
        number = parse_numeric_id(admin_id)
        found = self.get(number) if number is not None else None
        if found is None:
            raise NotFound("Admin not found", code="admin_not_found", field=field)
        return found

    def require_shown(self, admin_id: str | int | None) -> dict[str, Any]:
        """An admin as `GET /admins/{id}` shows it: with its teams (``team_ids``)."""
        return self._with_teams([self.require(admin_id, field=None)])[0]

    def me(self) -> dict[str, Any] | None:
        """The admin a workspace token acts as: the first admin listed in the workspace file."""
        row = self.conn.execute(
            select(admins)
            .where(admins.c.workspace_id == self.workspace_id, admins.c.kind == "admin")
            .order_by(admins.c.id)
            .limit(1)
        ).first()
        return self._with_teams([row._asdict()])[0] if row else None

    def operator_id(self) -> int:
        return int(_OPERATOR.scalar(self.conn, {"ws": self.workspace_id}))
