"""Assignment rules of one workspace (declared in the workspace file, applied by store/workspaces.py)
and the round-robin turn each rule keeps."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select, update

from inboxd.domain.assignment_rules import Conditions, Outcome, Rule, Teammate
from inboxd.store.tables import admins, assignment_rules, team_members


class AssignmentRules:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id

    def in_order(self) -> list[Rule]:
        """The rules in order, locked until the request ends (PostgreSQL; SQLite's write
        transactions already take the whole database), so that two conversations run at once
        never take the same round-robin turn."""
        rows = self.conn.execute(
            select(assignment_rules)
            .where(assignment_rules.c.workspace_id == self.workspace_id)
            .order_by(assignment_rules.c.position)
            .with_for_update()
        )
        return [
            Rule(
                id=row.id,
                name=row.name,
                conditions=Conditions.from_dict(row.conditions),
                team_id=row.team_id,
                round_robin=row.round_robin,
                last_admin_id=row.last_admin_id,
            )
            for row in rows
        ]

    def teammates(self, team_ids: Iterable[int]) -> dict[int, list[Teammate]]:
        """The members of each team, with whether each can take a conversation now."""
        wanted = sorted(set(team_ids))
        out: dict[int, list[Teammate]] = {team_id: [] for team_id in wanted}
        if not wanted:
            return out
        rows = self.conn.execute(
            select(team_members.c.team_id, admins.c.id, admins.c.away_mode_enabled, admins.c.has_inbox_seat)
            .join(admins, admins.c.id == team_members.c.admin_id)
            .where(team_members.c.workspace_id == self.workspace_id, team_members.c.team_id.in_(wanted))
            .order_by(team_members.c.team_id, admins.c.id)
        )
        for row in rows:
            out[row.team_id].append(Teammate(row.id, not row.away_mode_enabled and row.has_inbox_seat))
        return out

    def record(self, outcome: Outcome) -> None:
        """Remember whose round-robin turn it was, so that the rule's next match goes to the next admin."""
        if outcome.rule is None or outcome.round_robin_admin_id is None:
            return
        self.conn.execute(
            update(assignment_rules)
            .where(assignment_rules.c.workspace_id == self.workspace_id, assignment_rules.c.id == outcome.rule.id)
            .values(last_admin_id=outcome.round_robin_admin_id)
        )
