"""PostgreSQL's hot point reads, grouped: the requests that arrive while a loop's connections are
busy share one statement.

A cached `GET /conversations/{id}` or list page needs one statement of facts (store/cached_reads.py).
Each statement is a round trip that wakes a PostgreSQL backend, and under load that wake-up, not
the query, is the cost: one statement per request cannot beat the SELECT floor (bench/
BENCHMARKS.md). So a request that finds every kept connection busy does not wait for one of its
own; it joins the statement about to be sent, which takes the parameters of all its requests as
arrays (``unnest … WITH ORDINALITY``) and answers each by its ordinal. On an idle server the group
is the one request, sent at once.

A request joins only a statement not yet sent, so its answer reflects every commit that finished
before it arrived — the same as a statement of its own (a write another process answered is seen).
One statement is one snapshot on PostgreSQL: every request of a group sees the same state.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

Rows = list[tuple[Any, ...]]

# How long a request waits for a kept connection before the ordinary path answers it instead.
CONNECTION_WAIT = 0.5
MOST_GROUPED = 256  # requests in one statement; more start the next group


class LoopConnections:
    """PostgreSQL connections of one event loop (psycopg AsyncConnection, autocommit): at most
    ``capacity``, opened when needed and kept."""

    def __init__(self, conninfo: str, capacity: int, prepare: bool, startup: str = "") -> None:
        self.conninfo = conninfo
        self.startup = startup  # libpq's startup options (store/engine.py startup_options)
        self.capacity = capacity
        self.prepare = prepare  # not behind a transaction pooler (store/engine.py)
        # Not an asyncio.Queue: a queue that ever waited holds its loop for good, and these are
        # kept per loop, until the loop is gone (store/cached_reads.py).
        self.idle: list[psycopg.AsyncConnection[Any]] = []
        self.waiting: collections.deque[asyncio.Future[psycopg.AsyncConnection[Any]]] = collections.deque()
        self.opened: list[psycopg.AsyncConnection[Any]] = []
        self.opening = 0
        self.groups: dict[str, Grouped] = {}

    def grouped(self, sql: str, arrays: Callable[[list[tuple[Any, ...]]], Sequence[Any]]) -> Grouped:
        """The group of statement ``sql`` on these connections (one per statement text)."""
        group = self.groups.get(sql)
        if group is None:
            group = self.groups[sql] = Grouped(self, sql, arrays)
        return group

    async def take(self) -> psycopg.AsyncConnection[Any] | None:
        """An idle connection, a new one while fewer than ``capacity`` are open, or the first freed;
        None when the database cannot be reached or none is freed in time."""
        if self.idle:
            return self.idle.pop()
        if len(self.opened) + self.opening < self.capacity:
            return await self._open()
        # All kept connections are busy: one is free in a fraction of a millisecond.
        freed: asyncio.Future[psycopg.AsyncConnection[Any]] = asyncio.get_running_loop().create_future()
        self.waiting.append(freed)
        try:
            await asyncio.wait([freed], timeout=CONNECTION_WAIT)
        except BaseException:  # cancelled: a connection already handed over goes to the next
            if freed.done():
                self.give_back(freed.result())
            else:
                self._stop_waiting(freed)
            raise
        if not freed.done():
            self._stop_waiting(freed)  # timed out: nothing can be handed over to it now
            return None
        return freed.result()

    def _stop_waiting(self, freed: asyncio.Future[psycopg.AsyncConnection[Any]]) -> None:
        freed.cancel()
        with contextlib.suppress(ValueError):  # a future holds its loop: none is left behind
            self.waiting.remove(freed)

    def give_back(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """``conn`` to the first still waiting for one, else to the idle ones."""
        while self.waiting:
            freed = self.waiting.popleft()
            if not freed.done():
                freed.set_result(conn)
                return
        self.idle.append(conn)

    async def run(self, conn: psycopg.AsyncConnection[Any], sql: str, params: Sequence[Any]) -> Rows | None:
        """Rows of one statement on ``conn``, which is given back; None when it failed (the
        connection is then closed, and the ordinary path reports whatever is wrong)."""
        try:
            cursor = await conn.execute(sql, params, prepare=self.prepare)
            found = [tuple(r) for r in await cursor.fetchall()]
        except Exception:
            self.discard(conn)
            return None
        except BaseException:  # cancelled mid-statement: its state is unknown
            self.discard(conn)
            raise
        self.give_back(conn)
        return found

    async def _open(self) -> psycopg.AsyncConnection[Any] | None:
        self.opening += 1
        try:
            settings: dict[str, Any] = {"options": self.startup} if self.startup else {}
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
        if conn in self.idle:
            self.idle.remove(conn)
        with contextlib.suppress(Exception):  # closing a broken connection may fail too
            conn.pgconn.finish()  # libpq's close: no round trip to await

    def close(self) -> None:
        for conn in list(self.opened):
            self.discard(conn)
        for group in self.groups.values():
            group.cancel()


class _Forming:
    """A group not yet sent: its requests' parameters and the futures that take their rows."""

    def __init__(self) -> None:
        self.asked: list[tuple[Any, ...]] = []
        self.waiting: list[asyncio.Future[Rows | None]] = []


class Grouped:
    """One statement shared by the requests that arrive before it is sent.

    ``sql`` takes the arrays ``arrays(asked)`` makes of the requests' parameters, and answers rows
    whose first column is the request's ordinal (1-based, as ``WITH ORDINALITY`` counts)."""

    def __init__(
        self, connections: LoopConnections, sql: str, arrays: Callable[[list[tuple[Any, ...]]], Sequence[Any]]
    ) -> None:
        self.connections = connections
        self.sql = sql
        self.arrays = arrays
        self.forming: _Forming | None = None
        self.sending: set[asyncio.Task[None]] = set()  # strong references: the loop keeps weak ones

    async def ask(self, params: tuple[Any, ...]) -> Rows | None:
        """This request's rows (without the ordinal), or None when the statement could not run."""
        loop = asyncio.get_running_loop()
        group = self.forming
        if group is None or len(group.asked) >= MOST_GROUPED:
            group = self.forming = _Forming()
            # A task of its own, not the first request's: a client that goes away cancels its
            # request, never the statement the others wait for.
            task = loop.create_task(self._send(group))
            self.sending.add(task)
            task.add_done_callback(self.sending.discard)
        answer: asyncio.Future[Rows | None] = loop.create_future()
        group.asked.append(params)
        group.waiting.append(answer)
        return await answer

    async def _send(self, group: _Forming) -> None:
        each: list[Rows] | None = None
        try:
            conn = await self.connections.take()
            if self.forming is group:
                self.forming = None  # sealed: later requests start the next group
            if conn is not None:
                rows = await self._rows(conn, group)
                if rows is not None:
                    each = [[] for _ in group.waiting]
                    for row in rows:
                        each[row[0] - 1].append(row[1:])
        except Exception:
            each = None  # whatever went wrong, every request of the group takes the ordinary path
        finally:
            if self.forming is group:
                self.forming = None
            for place, answer in enumerate(group.waiting):
                if not answer.done():  # a request whose client went away has cancelled its own
                    answer.set_result(None if each is None else each[place])

    async def _rows(self, conn: psycopg.AsyncConnection[Any], group: _Forming) -> Rows | None:
        try:
            params = self.arrays(group.asked)
        except Exception:
            self.connections.give_back(conn)
            raise
        return await self.connections.run(conn, self.sql, params)

    def cancel(self) -> None:
        for task in list(self.sending):
            task.cancel()
