"""Teams, read by one workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from inboxd.domain.errors import NotFound
from inboxd.domain.ids import parse_numeric_id
from inboxd.store.tables import team_members, teams


class Teams:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id

    def _with_members(self, rows: list[Any]) -> list[dict[str, Any]]:
        ids = [row.id for row in rows]
        members: dict[int, list[int]] = {i: [] for i in ids}
        if ids:
            for row in self.conn.execute(
                select(team_members.c.team_id, team_members.c.admin_id)
                .where(team_members.c.workspace_id == self.workspace_id, team_members.c.team_id.in_(ids))
                .order_by(team_members.c.admin_id)
            ):
                members[row.team_id].append(row.admin_id)
        return [{**row._asdict(), "admin_ids": members[row.id]} for row in rows]

    def list(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(teams).where(teams.c.workspace_id == self.workspace_id).order_by(teams.c.id))
        return self._with_members(list(rows))

    def get(self, team_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(teams).where(teams.c.workspace_id == self.workspace_id, teams.c.id == team_id)
        ).first()
        return self._with_members([row])[0] if row else None

    def require(self, team_id: str | int | None, field: str | None = "assignee_id") -> dict[str, Any]:
        """A team of this workspace named by a path or body, or Intercom's `team_not_found`."""
        number = parse_numeric_id(team_id)
        found = self.get(number) if number is not None else None
        if found is None:
            raise NotFound("Team not found", code="team_not_found", field=field)
        return found
