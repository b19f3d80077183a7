"""The shared rate-limit counters: calls per token digest per 10-second window, one row each.

Every inboxd process on the database adds its calls here with one atomic upsert in a tiny
transaction of its own (api/rate_limits.py decides how often), so processes and machines count
together. The rows are not the request's data: losing the last few increments in a crash is
harmless, so on PostgreSQL the transaction does not wait for its WAL flush.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from inboxd.store.tables import rate_limits


def _upsert(dialect: Any) -> Any:
    statement = dialect.insert(rate_limits).values(
        token_sha256=bindparam("digest"), window_start=bindparam("start"), calls=bindparam("calls")
    )
    return statement.on_conflict_do_update(
        index_elements=[rate_limits.c.token_sha256, rate_limits.c.window_start],
        set_={"calls": rate_limits.c.calls + statement.excluded.calls},
    ).returning(rate_limits.c.calls)


# Built once per dialect: an atomic add that returns the new total, whoever else adds at the same time.
_UPSERT = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}


def add_calls(conn: Connection, digest: str, window_start: int, calls: int, prune: bool = False) -> int:
    """Add ``calls`` to the token's count in the window starting at ``window_start`` and return the
    new total. ``prune`` also deletes the token's rows of earlier windows (the caller asks once per
    window, so rows never pile up). Runs in a write transaction of its own (api/rate_limits.py)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    params = {"digest": digest, "start": window_start, "calls": calls}
    total = int(conn.execute(_UPSERT[conn.dialect.name], params).scalar_one())
    if prune:
        conn.execute(
            delete(rate_limits).where(rate_limits.c.token_sha256 == digest, rate_limits.c.window_start < window_start)
        )
    return total


def forget(conn: Connection, digest: str) -> None:
    """A revoked token's counters go with it."""
    conn.execute(delete(rate_limits).where(rate_limits.c.token_sha256 == digest))
