"""Access tokens from the command line: `inboxd token create | revoke`, and the check every request
makes in its own transaction.

Tokens are kept as SHA-256 digests only (store/workspaces.py). A token made here has origin "cli",
so applying the workspace file leaves it alone; a revoked token is deleted and its digest recorded
in ``revoked_tokens``, so applying a file that still lists it does not bring it back.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, bindparam, delete, insert, select

from inboxd.store import rate_limits
from inboxd.store.memo import memo
from inboxd.store.prepared import Prepared
from inboxd.store.tables import access_tokens, revoked_tokens, workspaces
from inboxd.store.workspaces import WorkspaceRef, token_digest


def create(conn: Connection, id_code: str, now: int) -> tuple[WorkspaceRef, str]:
    """A new token for the workspace ``id_code``; the token itself is returned once, never stored."""
    row = conn.execute(
        select(workspaces.c.id, workspaces.c.id_code, workspaces.c.name, workspaces.c.default_version).where(
            workspaces.c.id_code == id_code
        )
    ).first()
    if row is None:
        raise LookupError(f"no workspace with id_code {id_code!r}")
    token = f"{row.id_code}_{secrets.token_urlsafe(32)}"
    conn.execute(
        insert(access_tokens).values(
            token_sha256=token_digest(token), workspace_id=row.id, created_at=now, origin="cli"
        )
    )
    return WorkspaceRef(row.id, row.id_code, row.name, row.default_version), token


def revoke(conn: Connection, token: str, now: int) -> WorkspaceRef | None:
    """Delete the token and remember its digest; None when no workspace has it. Every request checks
    its token inside its own transaction (api/http.py), so once this commits the token opens nothing,
    in every running process."""
    digest = token_digest(token)
    row = conn.execute(
        select(workspaces.c.id, workspaces.c.id_code, workspaces.c.name, workspaces.c.default_version)
        .join(access_tokens, access_tokens.c.workspace_id == workspaces.c.id)
        .where(access_tokens.c.token_sha256 == digest)
    ).first()
    if row is None:
        return None
    conn.execute(delete(access_tokens).where(access_tokens.c.token_sha256 == digest))
    already = conn.execute(select(revoked_tokens.c.token_sha256).where(revoked_tokens.c.token_sha256 == digest)).first()
    if already is None:
        conn.execute(insert(revoked_tokens).values(token_sha256=digest, workspace_id=row.id, revoked_at=now))
    rate_limits.forget(conn, digest)
    return WorkspaceRef(row.id, row.id_code, row.name, row.default_version)


# Built once: every request runs it, and building a select costs more than running this one.
_LIVE = Prepared(select(access_tokens.c.workspace_id).where(access_tokens.c.token_sha256 == bindparam("digest")))


def is_live(conn: Connection, digest: str, workspace_id: int) -> bool:
    """Whether the token is still the workspace's: one primary-key probe, in the request's
    transaction (once per transaction: only `inboxd token revoke` or the workspace file, each in a
    transaction of its own, take a token away)."""
    remembered = memo(conn)
    key = ("live token", digest, workspace_id)
    if remembered is not None and key in remembered:
        return True
    live = bool(_LIVE.scalar(conn, {"digest": digest}) == workspace_id)
    if live and remembered is not None:
        remembered[key] = True
    return live


def revoked(conn: Connection, digests: set[str]) -> set[str]:
    """Which of these digests were revoked with `inboxd token revoke`."""
    if not digests:
        return set()
    return set(
        conn.execute(select(revoked_tokens.c.token_sha256).where(revoked_tokens.c.token_sha256.in_(digests))).scalars()
    )
