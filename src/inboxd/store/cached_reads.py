"""The hottest read without SQLAlchemy's per-statement cost.

``GET /conversations/{id}`` answered from the render cache (api/render_cache.py) needs three facts
about the moment of the request: the token is still the workspace's, no snoozed conversation of
the workspace is due to wake, and the conversation's ``version``. Through SQLAlchemy that is a
transaction and three statements, many times more Python than SQLite's own work (docs/decisions.md,
Performance: "Small costs", and "A cached `GET /conversations/{id}` … one DBAPI statement"). Here
it is one statement on a DBAPI connection kept
for the purpose: one round trip, and one snapshot (a single statement sees one state of the
database on both engines).

Anything but the plain case (a revoked token, a due snooze, an unknown conversation, a connection
that failed, every kept connection busy) answers None, and the request goes the ordinary way
(api/http.py), which refuses, wakes or says not found exactly as before.

The statement runs on the event loop on both engines: SQLite's in microseconds on a connection kept
per thread; PostgreSQL's on psycopg's AsyncConnection, a few kept per event loop, so the network
round trip is awaited rather than paid for with a hop to the thread pool and back (measured:
docs/decisions.md, Performance, "PostgreSQL: the one statement").
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from typing import Any

import psycopg
from sqlalchemy import Engine

from inboxd.store.engine import GENERIC_PLANS, libpq_url, pooled
from inboxd.store.keyset import AFTER_SQL

# Positional parameters: token digest, workspace, now, workspace, conversation id. No row: no such
# conversation in the workspace.
_SQL = (
    "SELECT"
    " (SELECT workspace_id FROM access_tokens WHERE token_sha256 = {p}),"
    " EXISTS (SELECT 1 FROM conversations"
    " WHERE workspace_id = {p} AND state = 'snoozed' AND snoozed_until <= {p}),"
    " c.version"
    " FROM conversations c WHERE c.workspace_id = {p} AND c.id = {p}"
)


# A page of GET /conversations with the same facts riding on every row (uncorrelated scalar
# subqueries: computed once): the token's workspace, when the workspace's next snooze runs out,
# and the workspace's count. Parameters: digest, workspace, workspace, workspace
# [, updated_at, updated_at, id], limit.
_PAGE = (
    "SELECT c.id, c.version, c.updated_at,"
    " (SELECT workspace_id FROM access_tokens WHERE token_sha256 = {p}),"
    " (SELECT min(d.snoozed_until) FROM conversations d WHERE d.workspace_id = {p} AND d.state = 'snoozed'),"
    " (SELECT conversation_count FROM workspaces WHERE id = {p})"
    " FROM conversations c WHERE c.workspace_id = {p}{after}"
    " ORDER BY c.updated_at DESC, c.id DESC LIMIT {p}"
)
_AFTER = AFTER_SQL.format(sort="c.updated_at", id="c.id", p="{p}")


PAGES_REMEMBERED = 256  # list pages whose facts a thread remembers (CachedReads.conversation_page)


class _LoopConnections:
    """PostgreSQL connections of one event loop (psycopg AsyncConnection, autocommit): at most
    ``capacity``, opened when needed and kept."""

    def __init__(self, conninfo: str, capacity: int, prepare: bool) -> None:
        self.conninfo = conninfo
        self.capacity = capacity
        self.prepare = prepare  # not behind a transaction pooler (store/engine.py)
        self.idle: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
        self.opened: list[psycopg.AsyncConnection[Any]] = []
        self.opening = 0

    async def run(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
        conn: psycopg.AsyncConnection[Any] | None
        try:
            conn = self.idle.get_nowait()
        except asyncio.QueueEmpty:
            if len(self.opened) + self.opening < self.capacity:
                conn = await self._open()
                if conn is None:
                    return None  # the database cannot be reached: the ordinary path says so
            else:
                try:  # all kept connections are busy: one is free in a fraction of a millisecond
                    conn = await asyncio.wait_for(self.idle.get(), 0.5)
                except TimeoutError:
                    return None
        try:
            cursor = await conn.execute(sql, params, prepare=self.prepare)
            found = [tuple(r) for r in await cursor.fetchall()]
        except Exception:
            self.discard(conn)
            return None
        except BaseException:  # cancelled mid-statement (the client went away): its state is unknown
            self.discard(conn)
            raise
        self.idle.put_nowait(conn)
        return found

    async def _open(self) -> psycopg.AsyncConnection[Any] | None:
        self.opening += 1
        try:
            # Prepared, the statements keep one generic plan, as the loop engine's do (store/engine.py).
            settings: dict[str, Any] = {"options": GENERIC_PLANS} if self.prepare else {}
            conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True, connect_timeout=5, **settings)
        except Exception:
            return None
        finally:
            self.opening -= 1
        self.opened.append(conn)
        return conn

    def discard(self, conn: psycopg.AsyncConnection[Any]) -> None:
        if conn in self.opened:
            self.opened.remove(conn)
        with contextlib.suppress(Exception):  # closing a broken connection may fail too
            conn.pgconn.finish()  # libpq's close: no round trip to await

    def close(self) -> None:
        for conn in list(self.opened):
            self.discard(conn)


class CachedReads:
    """Kept DBAPI connections for :meth:`conversation_version`: one per thread on SQLite (reads run
    on the event loop), at most ``connections`` per event loop, in autocommit, on PostgreSQL."""

    def __init__(self, engine: Engine, connections: int = 8) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        p = "?" if self.sqlite else "%s"
        self.sql = _SQL.format(p=p)
        self.page_sql = _PAGE.format(p=p, after="")
        self.page_after_sql = _PAGE.format(p=p, after=_AFTER.format(p=p))
        self.capacity = connections
        self._opened: list[Any] = []  # SQLite's kept connections
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopConnections] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._local = threading.local()
        self._conninfo = "" if self.sqlite else _conninfo(engine)

    def kept(self) -> list[Any]:
        """The connections kept now (SQLite's, and PostgreSQL's of every event loop)."""
        return [*self._opened, *(conn for loop in list(self._loops.values()) for conn in loop.opened)]

    async def conversation_version(self, digest: str, workspace_id: int, conversation_id: int, now: int) -> int | None:
        """The conversation's version, when the token is the workspace's, no snooze of the
        workspace is due and the conversation is the workspace's; otherwise None."""
        rows = await self._fetch(self.sql, (digest, workspace_id, now, workspace_id, conversation_id))
        if not rows:
            return None
        live, due, version = rows[0]
        if live != workspace_id or due or version is None:
            return None
        return int(version)

    async def conversation_page(
        self, digest: str, workspace_id: int, now: int, limit: int, after: tuple[int, int] | None
    ) -> tuple[int, list[tuple[int, int, int]]] | None:
        """The workspace's conversation count and up to ``limit`` (id, version, updated_at) newest
        updated first after the key ``after``, when the token is the workspace's and no snooze is
        due; None otherwise, and for an empty page (the ordinary path answers those)."""
        key = (digest, workspace_id, limit, after)
        changes = self._changes() if self.sqlite else None
        memo: dict[Any, tuple[int, int | None, tuple[int, list[tuple[int, int, int]]]]] = (
            self._local.__dict__.setdefault("pages", {})
        )
        if changes is not None:
            found = memo.get(key)
            if found is not None and found[0] == changes and (found[1] is None or now < found[1]):
                return found[2]  # nothing was committed since, and no snooze ran out
        sql = self.page_sql if after is None else self.page_after_sql
        keys = () if after is None else (after[0], after[0], after[1])
        rows = await self._fetch(sql, (digest, workspace_id, workspace_id, workspace_id, *keys, limit))
        if not rows:
            return None
        _, _, _, live, next_due, count = rows[0]
        if live != workspace_id or (next_due is not None and next_due <= now) or count is None:
            return None
        page = int(count), [(int(r[0]), int(r[1]), int(r[2])) for r in rows]
        if changes is not None:
            if len(memo) >= PAGES_REMEMBERED:
                memo.clear()
            memo[key] = (changes, next_due, page)
        return page

    def _changes(self) -> int | None:
        """SQLite's ``PRAGMA data_version`` on this thread's connection: it changes whenever any
        other connection (of any process) has committed since. Equal to the value a page was read
        at, and before the workspace's next snooze runs out, the page's facts still hold: the
        statement is not run again (docs/decisions.md, Performance: "A list page remembers")."""
        rows = self._run("PRAGMA data_version", ())
        return int(rows[0][0]) if rows else None

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
        if self.sqlite:
            return self._run(sql, params)  # microseconds: no reason to give the loop away
        loop = asyncio.get_running_loop()
        connections = self._loops.get(loop)
        if connections is None:
            connections = self._loops[loop] = _LoopConnections(self._conninfo, self.capacity, not pooled(self.engine))
        return await connections.run(sql, params)

    def _run(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
        """Rows of one statement on this thread's kept SQLite connection; None when that failed:
        the ordinary path then answers, and reports whatever is wrong."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            if conn is None:
                return None
            self._local.conn = conn
            self._local.pages = {}  # another connection: another data_version counter
        try:
            # Every row fetched and the cursor closed: a statement left unfinished would keep
            # its read snapshot open, and the next statement on this connection would see the
            # database as it was then (a revoked token still live).
            cursor = conn.execute(sql, params)
            try:
                return [tuple(r) for r in cursor.fetchall()]
            finally:
                cursor.close()
        except Exception:
            self._local.conn = None
            self._discard(conn)
            return None

    def _open(self) -> Any:
        """A SQLite connection taken out of the engine's pool (so it has the engine's settings),
        or None when the database cannot be opened."""
        with self._lock:
            try:
                proxied = self.engine.raw_connection()
            except Exception:
                return None
            conn: Any = proxied.driver_connection
            proxied.detach()
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
        for connections in list(self._loops.values()):
            connections.close()
        self._loops = weakref.WeakKeyDictionary()


def _conninfo(engine: Engine) -> str:
    """libpq's connection URI for the engine's database (its query parameters, sslmode and the
    like, included). The hot statements are point reads: the engine's `jit=off` does not matter."""
    return libpq_url(engine.url)
