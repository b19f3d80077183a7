"""The hottest read without SQLAlchemy's per-statement cost.

``GET /conversations/{id}`` answered from the render cache (api/render_cache.py) needs three facts
about the moment of the request: the token is still the workspace's, no snoozed conversation of
the workspace is due to wake, and the conversation's ``version``. Through SQLAlchemy that is a
transaction and three statements, ~250 µs of Python on this machine for ~15 µs of SQLite work
(bench/BENCHMARKS.md, the profile of issue 7). Here it is one statement on a DBAPI connection kept
for the purpose: one round trip, and one snapshot (a single statement sees one state of the
database on both engines).

Anything but the plain case (a revoked token, a due snooze, an unknown conversation, a connection
that failed, every kept connection busy) answers None, and the request goes the ordinary way
(api/http.py), which refuses, wakes or says not found exactly as before.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from typing import Any

from sqlalchemy import Engine

# Positional parameters: token digest, workspace, now, workspace, conversation id.
_SQL = (
    "SELECT"
    " (SELECT workspace_id FROM access_tokens WHERE token_sha256 = {p}),"
    " EXISTS (SELECT 1 FROM conversations"
    " WHERE workspace_id = {p} AND state = 'snoozed' AND snoozed_until <= {p}),"
    " (SELECT version FROM conversations WHERE workspace_id = {p} AND id = {p})"
)


class HotReads:
    """Kept DBAPI connections for :meth:`conversation_version`: one per thread on SQLite (reads run
    on the event loop), at most ``connections`` shared ones, in autocommit, on PostgreSQL."""

    def __init__(self, engine: Engine, connections: int = 4) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.sql = _SQL.format(p="?" if self.sqlite else "%s")
        self.capacity = connections
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    def conversation_version(self, digest: str, workspace_id: int, conversation_id: int, now: int) -> int | None:
        """The conversation's version, when the token is the workspace's, no snooze of the
        workspace is due and the conversation is the workspace's; otherwise None."""
        params = (digest, workspace_id, now, workspace_id, conversation_id)
        row = self._sqlite(params) if self.sqlite else self._postgresql(params)
        if row is None:
            return None
        live, due, version = row
        if live != workspace_id or due or version is None:
            return None
        return int(version)

    def _sqlite(self, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            if conn is None:
                return None
            self._local.conn = conn
        try:
            return tuple(conn.execute(self.sql, params).fetchone())
        except Exception:
            self._local.conn = None
            self._discard(conn)
            return None

    def _postgresql(self, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._open()
            if conn is None:
                return None
        try:
            with conn.cursor() as cursor:
                cursor.execute(self.sql, params, prepare=True)
                row = cursor.fetchone()
        except Exception:
            self._discard(conn)
            return None
        self._idle.put(conn)
        return tuple(row) if row is not None else None

    def _open(self) -> Any:
        """A DBAPI connection taken out of the engine's pool (so it has the engine's settings),
        or None when ``connections`` are open already (PostgreSQL) or the database is down."""
        with self._lock:
            if not self.sqlite and len(self._opened) >= self.capacity:
                return None
            try:
                proxied = self.engine.raw_connection()
            except Exception:
                return None
            conn: Any = proxied.driver_connection
            proxied.detach()
            if not self.sqlite:
                conn.rollback()  # the pool's ping opened a transaction
                conn.autocommit = True
            self._opened.append(conn)
            return conn

    def _discard(self, conn: Any) -> None:
        with self._lock:
            if conn in self._opened:
                self._opened.remove(conn)
        with contextlib.suppress(Exception):  # closing a broken connection may fail too
            conn.close()

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            with contextlib.suppress(Exception):
                conn.close()
        self._local = threading.local()
        self._idle = queue.SimpleQueue()
