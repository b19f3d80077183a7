"""Workspaces, their tokens, admins and teams: applied from the workspace file, idempotently.

Applying the same file twice changes nothing; applying an edited file adds what is new and updates
names, titles and team membership in place, so ids that clients stored keep working (a team is
renamed by listing its old name under ``former_names``). Admins and teams are never deleted: an
admin dropped from the file may still author parts of stored conversations. Tokens are: a token
dropped from a workspace's list stops working, which is how a leaked token is revoked. Assignment
rules are the file's, in its order, each keeping its round-robin turn while its name stays.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from inboxd.config import AdminConfig, AssignmentRuleConfig, ConfigError, TeamConfig, WorkspaceConfig, WorkspaceFile
from inboxd.domain.versions import DEFAULT as DEFAULT_VERSION
from inboxd.store.engine import inserted_id
from inboxd.store.tables import (
    access_tokens,
    admins,
    assignment_rules,
    revoked_tokens,
    team_members,
    teams,
    workspaces,
)

OPERATOR_NAME = "Operator"
log = logging.getLogger("inboxd")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class WorkspaceRef:
    id: int
    id_code: str
    name: str
    # The Intercom version its requests without an Intercom-Version header are answered in.
    default_version: str = DEFAULT_VERSION


def workspace_for_token(conn: Connection, token: str) -> WorkspaceRef | None:
    return workspace_for_digest(conn, token_digest(token))


def workspace_for_digest(conn: Connection, digest: str) -> WorkspaceRef | None:
    """The token's workspace, found by the token's digest: the raw token is never compared with
    anything, so how long a lookup takes tells nothing about the token (docs/security.md)."""
    row = conn.execute(
        select(workspaces.c.id, workspaces.c.id_code, workspaces.c.name, workspaces.c.default_version)
        .join(access_tokens, access_tokens.c.workspace_id == workspaces.c.id)
        .where(access_tokens.c.token_sha256 == digest)
    ).first()
    return WorkspaceRef(row.id, row.id_code, row.name, row.default_version) if row else None


def workspace_ids(conn: Connection) -> list[int]:
    return [int(row[0]) for row in conn.execute(select(workspaces.c.id).order_by(workspaces.c.id))]


def has_any_workspace(conn: Connection) -> bool:
    return conn.execute(select(workspaces.c.id).limit(1)).first() is not None


def apply_workspace_file(conn: Connection, file: WorkspaceFile, now: int) -> list[WorkspaceRef]:
    return [apply_workspace(conn, ws, now) for ws in file.workspaces]


def apply_workspace(conn: Connection, ws: WorkspaceConfig, now: int) -> WorkspaceRef:
    code = ws.code()
    row = conn.execute(select(workspaces.c.id).where(workspaces.c.id_code == code)).first()
    if row is None:
        workspace_id = inserted_id(
            conn.execute(
                insert(workspaces).values(
                    id_code=code, name=ws.name, created_at=now, default_version=ws.default_version
                )
            )
        )
    else:
        workspace_id = row.id
        conn.execute(
            update(workspaces)
            .where(workspaces.c.id == workspace_id)
            .values(name=ws.name, default_version=ws.default_version)
        )

    _apply_tokens(conn, workspace_id, ws, now)
    _ensure_operator(conn, workspace_id, code, now)
    admin_ids = {admin.email: _upsert_admin(conn, workspace_id, admin, now) for admin in ws.admins}
    team_ids = {team.name: _upsert_team(conn, workspace_id, team, admin_ids, now) for team in ws.teams}
    _apply_assignment_rules(conn, workspace_id, ws.assignment_rules, team_ids)
    return WorkspaceRef(workspace_id, code, ws.name, ws.default_version)


def _apply_tokens(conn: Connection, workspace_id: int, ws: WorkspaceConfig, now: int) -> None:
    wanted = {token_digest(token) for token in ws.access_tokens}
    # A token revoked with `inboxd token revoke` stays revoked though the file still lists it: the
    # next start must not resurrect a leaked token (docs/security.md).
    revoked = set(
        conn.execute(select(revoked_tokens.c.token_sha256).where(revoked_tokens.c.token_sha256.in_(wanted))).scalars()
    )
    if revoked:
        log.warning(
            "workspace %r: %d token(s) in the workspace file were revoked with `inboxd token revoke` and stay "
            "revoked; remove them from the file",
            ws.name,
            len(revoked),
        )
        wanted -= revoked
    owners = {
        row.token_sha256: (row.workspace_id, row.origin)
        for row in conn.execute(
            select(access_tokens.c.token_sha256, access_tokens.c.workspace_id, access_tokens.c.origin).where(
                access_tokens.c.token_sha256.in_(wanted) | (access_tokens.c.workspace_id == workspace_id)
            )
        )
    }
    for digest in sorted(wanted):
        owner, _ = owners.get(digest, (None, None))
        if owner is None:
            conn.execute(insert(access_tokens).values(token_sha256=digest, workspace_id=workspace_id, created_at=now))
        elif owner != workspace_id:
            # Most often a workspace renamed without an `id_code`: its code follows the name, so the
            # file now describes a new workspace holding the old one's token.
            raise ConfigError(
                f"an access token of workspace {ws.name!r} already belongs to another workspace "
                "(renamed it? give it the old id_code so that it stays the same workspace)"
            )
    # The file owns the tokens it listed: one dropped from it is revoked. Tokens made with
    # `inboxd token create` are not the file's to drop.
    dropped = [
        digest
        for digest, (owner, origin) in owners.items()
        if owner == workspace_id and origin == "file" and digest not in wanted
    ]
    if dropped:
        conn.execute(delete(access_tokens).where(access_tokens.c.token_sha256.in_(dropped)))


def _ensure_operator(conn: Connection, workspace_id: int, code: str, now: int) -> None:
    exists = conn.execute(
        select(admins.c.id).where(admins.c.workspace_id == workspace_id, admins.c.kind == "bot")
    ).first()
    if exists is None:
        conn.execute(
            insert(admins).values(
                workspace_id=workspace_id,
                name=OPERATOR_NAME,
                email=f"operator+{code}@intercom.io",
                kind="bot",
                has_inbox_seat=False,
                away_mode_enabled=False,
                away_mode_reassign=False,
                created_at=now,
            )
        )


def _upsert_admin(conn: Connection, workspace_id: int, admin: AdminConfig, now: int) -> int:
    values = {
        "name": admin.name,
        "job_title": admin.job_title,
        "avatar": admin.avatar,
        "away_mode_enabled": admin.away_mode_enabled,
        "away_mode_reassign": admin.away_mode_reassign,
        "has_inbox_seat": admin.has_inbox_seat,
    }
    row = conn.execute(
        select(admins.c.id).where(admins.c.workspace_id == workspace_id, admins.c.email == admin.email)
    ).first()
    if row is None:
        return inserted_id(
            conn.execute(
                insert(admins).values(
                    workspace_id=workspace_id, email=admin.email, kind="admin", created_at=now, **values
                )
            )
        )
    conn.execute(update(admins).where(admins.c.id == row.id).values(**values))
    return int(row.id)


def _upsert_team(conn: Connection, workspace_id: int, team: TeamConfig, admin_ids: dict[str, int], now: int) -> int:
    team_id = _find_team(conn, workspace_id, team.name)
    if team_id is None:
        for former in team.former_names:
            team_id = _find_team(conn, workspace_id, former)
            if team_id is not None:
                conn.execute(update(teams).where(teams.c.id == team_id).values(name=team.name))
                break
    if team_id is None:
        team_id = inserted_id(
            conn.execute(insert(teams).values(workspace_id=workspace_id, name=team.name, created_at=now))
        )
    wanted = {admin_ids[email] for email in team.admin_emails}
    current = {
        r.admin_id for r in conn.execute(select(team_members.c.admin_id).where(team_members.c.team_id == team_id))
    }
    if current - wanted:
        conn.execute(
            delete(team_members).where(team_members.c.team_id == team_id, team_members.c.admin_id.in_(current - wanted))
        )
    for admin_id in sorted(wanted - current):
        conn.execute(insert(team_members).values(workspace_id=workspace_id, team_id=team_id, admin_id=admin_id))
    return team_id


def _apply_assignment_rules(
    conn: Connection, workspace_id: int, rules: list[AssignmentRuleConfig], team_ids: dict[str, int]
) -> None:
    """The workspace's rules become the file's, in the file's order. A rule is known by its name:
    one that stays keeps its row and its round-robin turn; one dropped from the file is deleted
    (nothing else refers to a rule)."""
    existing = {
        row.name: row.id
        for row in conn.execute(
            select(assignment_rules.c.name, assignment_rules.c.id).where(
                assignment_rules.c.workspace_id == workspace_id
            )
        )
    }
    wanted = {rule.name for rule in rules}
    dropped = [rule_id for name, rule_id in existing.items() if name not in wanted]
    if dropped:
        conn.execute(delete(assignment_rules).where(assignment_rules.c.id.in_(dropped)))
    # Positions are unique per workspace: move the kept rules out of the way before renumbering.
    kept = [rule_id for name, rule_id in existing.items() if name in wanted]
    if kept:
        conn.execute(
            update(assignment_rules)
            .where(assignment_rules.c.id.in_(kept))
            .values(position=-assignment_rules.c.position - 1)
        )
    for position, rule in enumerate(rules):
        values = {
            "position": position,
            "conditions": rule.conditions.model_dump(exclude_none=True),
            "team_id": team_ids[rule.team],
            "round_robin": rule.round_robin,
        }
        if rule.name in existing:
            conn.execute(update(assignment_rules).where(assignment_rules.c.id == existing[rule.name]).values(**values))
        else:
            conn.execute(insert(assignment_rules).values(workspace_id=workspace_id, name=rule.name, **values))


def _find_team(conn: Connection, workspace_id: int, name: str) -> int | None:
    row = conn.execute(select(teams.c.id).where(teams.c.workspace_id == workspace_id, teams.c.name == name)).first()
    return int(row.id) if row else None


def demo_workspace() -> tuple[WorkspaceFile, str]:
    """The workspace a newcomer gets when there is no file and no data: two admins, one team."""
    token = "demo_" + secrets.token_urlsafe(24)
    file = WorkspaceFile.model_validate(
        {
            "workspaces": [
                {
                    "name": "Demo",
                    "id_code": "demo",
                    "access_tokens": [token],
                    "admins": [
                        {"name": "Ada Admin", "email": "ada@demo.inboxd.test", "job_title": "Support lead"},
                        {"name": "Grace Hopper", "email": "grace@demo.inboxd.test", "job_title": "Engineer"},
                    ],
                    "teams": [{"name": "Support", "admin_emails": ["ada@demo.inboxd.test", "grace@demo.inboxd.test"]}],
                }
            ]
        }
    )
    return file, token
