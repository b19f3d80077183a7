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
docs/decisions.md, Performance, "PostgreSQL: the one statement"). On PostgreSQL the requests that
arrive while those connections are busy share one statement (store/read_groups.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from typing import Any

from sqlalchemy import Engine

from inboxd.store.engine import GENERIC_PLANS, libpq_url, pooled, startup_options
from inboxd.store.keyset import AFTER_SQL
from inboxd.store.read_groups import LoopConnections

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
_AFTER = AFTER_SQL.format(sort="c.updated_at", id="c.id", last_sort="{p}", last_id="{p}")

# PostgreSQL's forms of the two, for a group of requests (store/read_groups.py): each request's
# parameters are one element of each array, and each answer row starts with the request's
# ordinal. Arrays: digests, workspaces, nows, conversation ids.
_GROUPED = (
    "SELECT q.i,"
    " (SELECT workspace_id FROM access_tokens WHERE token_sha256 = q.digest),"
    " EXISTS (SELECT 1 FROM conversations d"
    " WHERE d.workspace_id = q.ws AND d.state = 'snoozed' AND d.snoozed_until <= q.now),"
    " c.version"
    " FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bigint[]) WITH ORDINALITY"
    " AS q(digest, ws, now, id, i)"
    " LEFT JOIN conversations c ON c.workspace_id = q.ws AND c.id = q.id"
)

# One row per request, the page as three arrays in page order (a row per conversation would run
# the facts' subqueries once per conversation). Arrays: digests, workspaces, limits, and the key
# after which the page starts (updated_at, id; NULL for the first page).
_GROUPED_PAGE = (
    "SELECT q.i,"
    " (SELECT workspace_id FROM access_tokens WHERE token_sha256 = q.digest),"
    " (SELECT min(d.snoozed_until) FROM conversations d WHERE d.workspace_id = q.ws AND d.state = 'snoozed'),"
    " (SELECT conversation_count FROM workspaces WHERE id = q.ws),"
    " p.ids, p.versions, p.updated"
    " FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) WITH ORDINALITY"
    " AS q(digest, ws, lim, at, id, i)"
    " CROSS JOIN LATERAL (SELECT array_agg(s.id ORDER BY s.updated_at DESC, s.id DESC) AS ids,"
    " array_agg(s.version ORDER BY s.updated_at DESC, s.id DESC) AS versions,"
    " array_agg(s.updated_at ORDER BY s.updated_at DESC, s.id DESC) AS updated"
    " FROM (SELECT c.id, c.version, c.updated_at FROM conversations c WHERE c.workspace_id = q.ws"
    " AND (q.at IS NULL OR (true{after}))"
    " ORDER BY c.updated_at DESC, c.id DESC LIMIT q.lim) s) p"
).format(after=AFTER_SQL.format(sort="c.updated_at", id="c.id", last_sort="q.at", last_id="q.id"))


def _columns(asked: list[tuple[Any, ...]]) -> list[list[Any]]:
    """The arrays of a grouped statement: its requests' parameters, column by column."""
    return [list(column) for column in zip(*asked, strict=True)]


PAGES_REMEMBERED = 256  # list pages whose facts a thread remembers (CachedReads.conversation_page)


class CachedReads:
    """Kept DBAPI connections for :meth:`conversation_version`: one per thread on SQLite (reads run
    on the event loop), at most ``connections`` per event loop, in autocommit, on PostgreSQL."""

    def __init__(self, engine: Engine, connections: int = 8) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        # SQLite's statements, one per request (PostgreSQL's are grouped: _GROUPED, _GROUPED_PAGE).
        self.sql = _SQL.format(p="?")
        self.page_sql = _PAGE.format(p="?", after="")
        self.page_after_sql = _PAGE.format(p="?", after=_AFTER.format(p="?"))
        self.capacity = connections
        self._opened: list[Any] = []  # SQLite's kept connections
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopConnections] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._conninfo = "" if self.sqlite else _conninfo(engine)

    def kept(self) -> list[Any]:
        """The connections kept now (SQLite's, and PostgreSQL's of every event loop)."""
        return [*self._opened, *(conn for loop in list(self._loops.values()) for conn in loop.opened)]

    async def conversation_version(self, digest: str, workspace_id: int, conversation_id: int, now: int) -> int | None:
        """The conversation's version, when the token is the workspace's, no snooze of the
        workspace is due and the conversation is the workspace's; otherwise None."""
        if self.sqlite:
            rows = self._run(self.sql, (digest, workspace_id, now, workspace_id, conversation_id))
        else:
            rows = await self._grouped(_GROUPED, (digest, workspace_id, now, conversation_id))
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
        if self.sqlite:
            sql = self.page_sql if after is None else self.page_after_sql
            keys = () if after is None else (after[0], after[0], after[1])
            rows = self._run(sql, (digest, workspace_id, workspace_id, workspace_id, *keys, limit))
        else:
            last_sort, last_id = after or (None, None)
            grouped = await self._grouped(_GROUPED_PAGE, (digest, workspace_id, limit, last_sort, last_id))
            rows = _page_rows(grouped[0]) if grouped else None
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

    async def _grouped(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
        """PostgreSQL: this request's rows of ``sql``, run with the requests that join it
        (store/read_groups.py) on this event loop's kept connections."""
        loop = asyncio.get_running_loop()
        connections = self._loops.get(loop)
        if connections is None:
            prepare = not pooled(self.engine)
            # Prepared, the statements keep one generic plan, as the loop engine's do (store/engine.py).
            startup = startup_options(self.engine.url, GENERIC_PLANS) if prepare else ""
            connections = self._loops[loop] = LoopConnections(self._conninfo, self.capacity, prepare, startup)
            # Kept while the loop lives (an app that serves without its lifespan, such as a test
            # client outside `with`, runs each request on a loop of its own), closed when it goes.
            weakref.finalize(loop, connections.close)
        return await connections.grouped(sql, _columns).ask(params)

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


def _page_rows(grouped: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """A grouped page's one row as the rows of SQLite's statement: (id, version, updated_at,
    token's workspace, next snooze, count) per conversation; none for an empty page."""
    live, next_due, count, ids, versions, updated = grouped
    if ids is None:
        return []
    return [(i, v, u, live, next_due, count) for i, v, u in zip(ids, versions, updated, strict=True)]


def _conninfo(engine: Engine) -> str:
    """libpq's connection URI for the engine's database (its query parameters, sslmode and the
    like, included). The hot statements are point reads: the engine's `jit=off` does not matter."""
    return libpq_url(engine.url)
