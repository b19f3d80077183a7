"""Engines and transactions for SQLite (the embedded default) and PostgreSQL.

One request is one transaction: :func:`transaction` opens it, store functions run
inside it and never commit, the edge commits once. SQLite gets WAL, a busy timeout, and write
transactions that take the write lock up front (``BEGIN IMMEDIATE``): a deferred transaction that
reads and then writes can fail with SQLITE_BUSY when another process writes in between: a write
lost after the client sent it (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import math
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg
from anyio import to_thread
from sqlalchemy import Connection, CursorResult, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from inboxd.domain.errors import RequestTimeout

DEFAULT_DATABASE_URL = "sqlite:///./data/inboxd.sqlite3"

log = logging.getLogger("inboxd.engine")


def normalise_url(url: str) -> str:
    """Accept the URLs people paste: ``postgres://`` and ``postgresql://`` mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, pool_size: int = 8) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
    else:
        # JIT off: PostgreSQL compiles any plan estimated above jit_above_cost, which searches that
        # count a few thousand rows reach, and pays ~7 ms of compiling for a 40 ms query (bench/BENCHMARKS.md).
        engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            connect_args={"options": "-c jit=off"},
        )
    event.listen(engine, "before_cursor_execute", _within_budget)
    return engine


class WriteGate:
    """SQLite lets one writer in at a time, and a writer that finds the lock taken polls for it,
    sleeping up to 100 ms between tries (its busy handler). Under load that made writes wait
    seconds for a lock free most of the time (bench/BENCHMARKS.md: reply p99 2.9 s at 64
    connections). Writers of one process queue on a lock instead, and processes on an ``flock`` of
    a file beside the database: a waiter wakes the moment the holder lets go. SQLite's own locking
    still guards the database (a writer that skips the gate, like ``inboxd seed``, waits as before).

    :meth:`held` waits in the calling thread; :meth:`turn` is for the event loop: it takes the gate
    at once when it is free and otherwise waits in a worker thread, so the loop goes on serving."""

    def __init__(self, database: str) -> None:
        self.path = f"{database}.write-lock"
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """The gate for one write on the event loop. Writers of one loop queue on an asyncio lock
        (no thread each); the one at the front takes the gate, at once when it is free, else
        waiting in a worker thread. It gives the gate back as soon as its write is done: keeping it
        for the loop's next writer looked cheaper but left the gate idle while the loop drew
        answers, and the other process waiting (bench/BENCHMARKS.md, issue 7)."""
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = asyncio.Lock()
        async with queue:
            await _take(lambda: self._lock.acquire(blocking=False), self._lock.acquire, self._lock.release)
            try:
                fd = self._file()
                await _take(
                    lambda: _try_flock(fd),
                    lambda: fcntl.flock(fd, fcntl.LOCK_EX),
                    lambda: fcntl.flock(fd, fcntl.LOCK_UN),
                )
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                self._lock.release()


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


async def _take(now: Callable[[], object], wait: Callable[[], object], release: Callable[[], None]) -> None:
    """Take a lock: at once when ``now()`` can, else by ``wait()`` in a worker thread. A request
    cancelled meanwhile (its client went away) leaves that thread waiting (asyncio's cancellation
    does not wait for it): whichever of the two comes second gives the lock back, since a lock
    taken for a caller that is gone would stop every writer."""
    if now():
        return
    handshake = threading.Lock()
    taken = abandoned = False

    def wait_and_note() -> None:
        nonlocal taken
        wait()
        with handshake:
            if abandoned:
                release()
            else:
                taken = True

    try:
        await to_thread.run_sync(wait_and_note)
    except BaseException:
        with handshake:
            if taken:
                release()
            else:
                abandoned = True
        raise


_GATES: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    on_disk = bool(database) and database != ":memory:" and not database.startswith("file:")
    if on_disk:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # Connections are cheap, and a write's answer keeps one (its snapshot) until it is drawn, after
    # the writes queued behind it (api/http.py): never make a request wait for the pool.
    # Never a wait for the pool: reads and writes run on the event loop (api/http.py), where a
    # wait would stop the process. Five kept (each holds up to 2 MB of page cache; the loop uses
    # two or three at a time), more opened when needed and closed when given back. JSON columns
    # (attachments, custom attributes) are parsed by orjson, ~4× the standard library, and every
    # rendered part has one; written as before.
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=5,
        max_overflow=-1,
        json_deserializer=orjson.loads,
    )
    if on_disk:
        _GATES[engine] = WriteGate(str(Path(database).expanduser()))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours to emit.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Checkpoints are a Checkpointer thread's work; a writer copies the WAL back itself only
        # when that thread is not running (a CLI command) or falls far behind.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # On the DBAPI connection: SQLAlchemy's own execution costs ~40 µs a statement, and
        # every request begins one transaction, every write two (store/prepared.py).
        raw = conn.connection.driver_connection
        assert raw is not None
        if conn.info.get("write"):
            # A write's savepoints (store/unit_of_work.py) keep the pages they change in a
            # sub-journal, which SQLite moves to a temporary file once it passes 64 KiB: a reply
            # then made ~9 more pwrite calls. Kept in memory for the write (reset by
            # transaction(); reads keep temporary files, as a search's sort may be large).
            raw.execute("PRAGMA temp_store=MEMORY").close()
            raw.execute("BEGIN IMMEDIATE").close()
        else:
            raw.execute("BEGIN").close()

    return engine


WAL_AUTOCHECKPOINT_PAGES = 4000  # 16 MB of WAL (SQLite's default: 1,000 pages)
CHECKPOINT_INTERVAL = 0.05  # seconds between a Checkpointer's checkpoints


class Checkpointer:
    """Copies SQLite's write-ahead log back into the database file from a thread of its own.

    SQLite does it in the connection whose commit takes the WAL past ``wal_autocheckpoint`` pages:
    one write in fifty then paid ~10 ms of copying and an fsync while it held the write lock,
    which made up most of the average commit (bench/BENCHMARKS.md, issue 7). A PASSIVE checkpoint
    needs neither the write lock nor the readers to stop, and SQLite restarts the WAL from its
    start once a checkpoint has copied all of it. Durability does not change: a commit is in the
    WAL (synchronous=NORMAL) whether or not it was copied back yet.

    A no-op for PostgreSQL and in-memory databases."""

    def __init__(self, engine: Engine, interval: float = CHECKPOINT_INTERVAL) -> None:
        self.engine = engine
        self.interval = interval
        self.checkpoints = 0  # completed PASSIVE checkpoints that copied something (for tests)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if _GATES.get(engine) is not None:
            self._thread = threading.Thread(target=self._run, name="inboxd-checkpointer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        conn: Any = None
        while not self._stop.wait(self.interval):
            try:
                if conn is None:
                    proxied = self.engine.raw_connection()
                    conn = proxied.driver_connection
                    proxied.detach()
                    conn.execute("PRAGMA busy_timeout=0").close()  # another process checkpointing: next time
                busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if not busy and frames > 0 and copied > 0:
                    self.checkpoints += 1
            except Exception:  # a locked or vanished database: try again with a new connection
                log.debug("checkpoint failed", exc_info=True)
                with contextlib.suppress(Exception):
                    conn.close()
                conn = None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def write_gate(engine: Engine) -> WriteGate | None:
    """The engine's write gate: SQLite on disk has one, PostgreSQL and in-memory databases not."""
    return _GATES.get(engine)


@contextlib.contextmanager
def transaction(
    engine: Engine,
    write: bool,
    gate_held: bool = False,
    snapshot: list[Connection] | None = None,
    budget: float | None = None,
) -> Iterator[Connection]:
    """One unit of work: commits when the block ends, rolls back when it raises.

    A read sees one snapshot from its first query to its last. PostgreSQL's default, READ
    COMMITTED, takes a snapshot per statement: a conversation read while a write commits could
    show the row from before it and the parts from after it (a close part, the state still open),
    so reads run REPEATABLE READ there, which never fails a transaction that only reads. Writes
    stay READ COMMITTED and lock what they change (FOR UPDATE); SQLite transactions are snapshots.

    ``gate_held``: the caller holds the engine's write gate already (:meth:`WriteGate.turn`).

    ``snapshot`` (SQLite writes, the gate held): once the write has committed, its connection
    begins a read transaction there, before another writer can start, and is appended to the
    list: the caller reads exactly what the write left, without the write lock, and commits and
    closes it. Its page cache still holds what the write touched (another connection would start
    with an empty one). Nothing is appended if that read transaction could not begin.

    ``budget`` (reads only): seconds the transaction may run, past which it is ended with
    :class:`RequestTimeout` (:func:`_budgeted`)."""
    assert budget is None or not write
    gate = _GATES.get(engine) if write else None
    waits = gate is not None and not gate_held
    with gate.held() if waits and gate is not None else contextlib.nullcontext():
        conn = engine.connect()
        kept = False
        try:
            if not write and conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")  # reset when pooled again
            conn.info["write"] = write
            conn.info["memo"] = {}
            try:
                with conn.begin(), _budgeted(conn, budget) if budget is not None else contextlib.nullcontext():
                    yield conn
            finally:
                if conn.info.pop("write", None) and conn.dialect.name == "sqlite":
                    conn.connection.driver_connection.execute("PRAGMA temp_store=DEFAULT").close()  # type: ignore[union-attr]
                conn.info.pop("memo", None)
            if snapshot is not None:
                kept = _read_on(conn)
                if kept:
                    snapshot.append(conn)
        finally:
            if not kept:
                conn.close()


# SQLite VM instructions between two looks at the clock of a read with a budget: often enough that
# it ends soon after its time is up, seldom enough that the look (a Python call, which takes the
# GIL back from the other threads) costs nothing next to the instructions between two of them.
BUDGET_CHECK_INSTRUCTIONS = 10_000


@contextlib.contextmanager
def _budgeted(conn: Connection, seconds: float) -> Iterator[None]:
    """The read transaction on ``conn`` ended once it has run ``seconds``, whatever it is doing:
    SQLite's progress handler interrupts a statement running past the end; on PostgreSQL each
    statement runs under a ``statement_timeout`` of what is left (:func:`_within_budget`); and no
    statement starts once the time is up, so Python's work between statements counts too. The
    statement ended that way fails, the transaction rolls back and :class:`RequestTimeout` is
    raised. The connection goes back to the pool as it came: the handler is removed here, and
    ``SET LOCAL`` ends with the transaction."""
    conn.info["budget"] = (time.monotonic() + seconds, seconds)
    raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
    if raw is not None:
        deadline = conn.info["budget"][0]
        raw.set_progress_handler(lambda: time.monotonic() > deadline, BUDGET_CHECK_INSTRUCTIONS)
    try:
        yield
    except (DBAPIError, sqlite3.OperationalError, psycopg.errors.QueryCanceled) as exc:
        if not _ended_by_budget(exc):
            raise
        raise _timeout(seconds) from None
    finally:
        if raw is not None:
            raw.set_progress_handler(None, 0)
        conn.info.pop("budget", None)
        conn.info.pop("statement_timeout", None)


def _within_budget(
    conn: Connection, cursor: Any, _statement: str, _parameters: Any, _context: Any, _executemany: bool
) -> None:
    """Before each statement of a transaction with a budget (:func:`_budgeted`): none once the time
    is up; on PostgreSQL, a ``statement_timeout`` of what is left, set again only when the one set
    would let this statement run on past the end by more than a tenth of the budget (a fast read
    sets it once)."""
    budget = conn.info.get("budget")
    if budget is None:
        return
    deadline, seconds = budget
    now = time.monotonic()
    if now >= deadline:
        raise _timeout(seconds)
    if conn.dialect.name != "postgresql":
        return
    if now + conn.info.get("statement_timeout", math.inf) > deadline + seconds / 10:
        left = deadline - now
        cursor.execute(f"SET LOCAL statement_timeout = {max(1, math.ceil(left * 1000))}")
        conn.info["statement_timeout"] = left


def _ended_by_budget(exc: BaseException) -> bool:
    """Whether the driver says the statement was ended by :func:`_budgeted`'s means, raised through
    SQLAlchemy or by the driver itself (rows fetched from the DBAPI cursor: store/search/)."""
    driver = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(driver, sqlite3.OperationalError):
        return driver.sqlite_errorname == "SQLITE_INTERRUPT"
    return isinstance(driver, psycopg.errors.QueryCanceled)


def _timeout(seconds: float) -> RequestTimeout:
    return RequestTimeout(
        f"The request took longer than the {seconds:g} s it may run and was stopped; "
        "ask for less (a narrower search) or try again later"
    )


def _read_on(conn: Connection) -> bool:
    """Begin a read transaction on ``conn`` whose snapshot starts now (at its first read)."""
    try:
        conn.info["write"] = False
        conn.info["memo"] = {}
        conn.begin()
        conn.connection.driver_connection.execute("SELECT 1 FROM workspaces LIMIT 1").fetchall()  # type: ignore[union-attr]
    except Exception:
        log.warning("could not begin a read transaction after a write", exc_info=True)
        conn.info.pop("write", None)
        conn.info.pop("memo", None)
        return False
    return True


def memo(conn: Connection) -> dict[Any, Any] | None:
    """What the running transaction (:func:`transaction`) remembers of its own reads, for reads
    that nothing but itself could change before it ends: the writes of a batch (store/unit_of_work.py)
    share one transaction and need not ask each again whether their token is live, or who their
    admin is. None outside such a transaction."""
    found: dict[Any, Any] | None = conn.info.get("memo")
    return found


def read_many(
    conn: Connection, kind: Hashable, ids: list[Any], fetch: Callable[[list[Any]], dict[Any, Any]]
) -> dict[Any, Any]:
    """``fetch(ids)`` (id → row, absent ids left out), remembered id by id by a read transaction:
    the answers of a batch of writes are drawn in one, and mostly show the same admins and tags.
    ``kind`` names the rows (and their workspace). Writes fetch every time."""
    remembered = memo(conn) if not conn.info.get("write") else None
    if remembered is None:
        return fetch(ids)
    found: dict[Any, Any] = {}
    missing = []
    for ident in ids:
        key = (kind, ident)
        if key in remembered:
            if remembered[key] is not None:
                found[ident] = remembered[key]
        else:
            missing.append(ident)
    if missing:
        fetched = fetch(missing)
        for ident in missing:
            remembered[(kind, ident)] = fetched.get(ident)
        found.update(fetched)
    return found


def database_url_from_env() -> str:
    return os.environ.get("INBOXD_DATABASE_URL") or DEFAULT_DATABASE_URL


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer primary key an INSERT just generated."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


# SQLite's result codes that say the database cannot be used now (locked past the busy timeout,
# out of memory or disk, an I/O failure, a file it cannot open or write), not that a statement is
# wrong: a bad statement is SQLITE_ERROR and stays a 500, a bug.
_SQLITE_UNAVAILABLE = frozenset({"BUSY", "LOCKED", "NOMEM", "READONLY", "IOERR", "FULL", "CANTOPEN", "PROTOCOL"})


def database_unavailable(exc: Exception) -> bool:
    """Whether ``exc`` says the database cannot serve the request now, rather than that inboxd
    asked it something wrong. PostgreSQL: every OperationalError (psycopg's class for a lost or
    refused connection, too many clients, a server shutting down, a deadlock, a cancelled
    statement); SQLite: the result codes above. The pool out of connections past its wait, too."""
    if isinstance(exc, PoolTimeout):
        return True
    driver = exc.orig if isinstance(exc, OperationalError) else exc  # raised by the driver itself
    if isinstance(driver, psycopg.OperationalError):
        return True
    if isinstance(driver, sqlite3.OperationalError):
        return driver.sqlite_errorname.split("_")[1] in _SQLITE_UNAVAILABLE  # SQLITE_IOERR_WRITE: IOERR
    return False


# What a database failure is raised as, by SQLAlchemy, its pool or a driver used directly
# (store/prepared.py, savepoints): api/errors.py answers each with database_unavailable's verdict.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    PoolTimeout,
    sqlite3.OperationalError,
    psycopg.OperationalError,
)

# What the layers above the store hold and pass back to it: the engine, never used by them directly.
Database = Engine
