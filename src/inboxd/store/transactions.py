"""Transactions: one request is one transaction. :func:`transaction` opens it, store functions run
inside it and never commit, the edge commits once (store/unit_of_work.py decides which kind a
request gets). SQLite write transactions take the write lock up front (``BEGIN IMMEDIATE``, the
engine's ``begin`` event, store/engine.py): a deferred transaction that reads and then writes can
fail with SQLITE_BUSY when another process writes in between: a write lost after the client sent it
(docs/reliability.md).

What kind of transaction runs on a connection is one :class:`TransactionState`, kept in the
connection's ``info``: SQLAlchemy's ``begin`` event sees nothing but the connection, and the
repositories are handed nothing but the connection. It is set here (by :func:`transaction`, by
:func:`writing_connection` for the migrations and the bulk loader, which begin their own
transactions) and read through :func:`writing` and :func:`state`; nothing else touches it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from inboxd.store.budget import budgeted
from inboxd.store.write_gate import write_gate

log = logging.getLogger("inboxd.engine")

T = TypeVar("T")


@dataclass(slots=True)
class TransactionState:
    """The transaction running on a connection, as store code needs to know it."""

    # A write: on SQLite it begins with BEGIN IMMEDIATE (the write lock) and keeps its
    # sub-journal in memory (store/engine.py); a row it reads in order to change it is locked
    # (FOR UPDATE on PostgreSQL, store/conversations.py get_row); it reads nothing through
    # store/memo.py's read_many, which remembers rows only for reads.
    write: bool
    # What the transaction remembers of its own reads (store/memo.py); None: nothing.
    memo: dict[Any, Any] | None


_STATE = "inboxd.transaction"  # the key of the connection's info


def state(conn: Connection) -> TransactionState | None:
    """The transaction :func:`transaction` runs on ``conn``; None outside one."""
    found: TransactionState | None = conn.info.get(_STATE)
    return found


def writing(conn: Connection) -> bool:
    """Whether ``conn`` runs a write transaction (:class:`TransactionState`, ``write``)."""
    found: TransactionState | None = conn.info.get(_STATE)
    return found is not None and found.write


def _forget(conn: Connection) -> None:
    """The connection back to no transaction of ours: a SQLite write's in-memory sub-journal
    (store/engine.py) back to the default, as reads keep temporary files."""
    found: TransactionState | None = conn.info.pop(_STATE, None)
    if found is not None and found.write and conn.dialect.name == "sqlite" and not conn.in_transaction():
        conn.connection.driver_connection.execute("PRAGMA temp_store=DEFAULT").close()  # type: ignore[union-attr]


@contextlib.contextmanager
def writing_connection(conn: Connection) -> Iterator[Connection]:
    """``conn``'s transactions, begun by the caller while the block runs, are writes (a migration,
    the bulk loader): on SQLite each begins IMMEDIATE. Nothing is remembered between reads."""
    conn.info[_STATE] = TransactionState(write=True, memo=None)
    try:
        yield conn
    finally:
        _forget(conn)


@contextlib.contextmanager
def transaction(
    engine: Engine,
    write: bool,
    gate_held: bool = False,
    snapshot: list[Connection] | None = None,
    budget: float | None = None,
    isolated: bool = True,
) -> Iterator[Connection]:
    """One unit of work: commits when the block ends, rolls back when it raises.

    A read sees one snapshot from its first query to its last. PostgreSQL's default, READ
    COMMITTED, takes a snapshot per statement: a conversation read while a write commits could
    show the row from before it and the parts from after it (a close part, the state still open),
    so reads run REPEATABLE READ there, which never fails a transaction that only reads. Writes
    stay READ COMMITTED and lock what they change (FOR UPDATE); SQLite transactions are snapshots.

    ``gate_held``: the caller holds the engine's write gate already (store/write_gate.py,
    ``WriteGate.turn``).

    ``snapshot`` (SQLite writes, the gate held): once the write has committed, its connection
    begins a read transaction there, before another writer can start, and is appended to the
    list: the caller reads exactly what the write left, without the write lock, and ends it with
    :func:`close_snapshot`. Its page cache still holds what the write touched (another connection
    would start with an empty one). Nothing is appended if that read transaction could not begin.

    ``budget`` (reads only): seconds the transaction may run, past which it is ended with
    :class:`~inboxd.domain.errors.RequestTimeout` (store/budget.py).

    ``isolated=False`` (reads without a budget): the caller's statements each answer for
    themselves (a token's check, then one statement that reads all it shows), so on PostgreSQL
    they run in autocommit, each its own snapshot, and no BEGIN or COMMIT is sent: two round
    trips fewer. SQLite's transactions cost no round trip: it begins one as ever."""
    assert budget is None or not write
    assert isolated or not (write or budget is not None)
    gate = write_gate(engine) if write else None
    waits = gate is not None and not gate_held
    with gate.held() if waits and gate is not None else contextlib.nullcontext():
        conn = engine.connect()
        kept = False
        try:
            with begun(conn, write, budget, isolated):
                yield conn
            if snapshot is not None:
                kept = _read_on(conn)
                if kept:
                    snapshot.append(conn)
        finally:
            if not kept:
                conn.close()


@contextlib.contextmanager
def begun(conn: Connection, write: bool, budget: float | None = None, isolated: bool = True) -> Iterator[Connection]:
    """The transaction of :func:`transaction` (its arguments) on ``conn``, a connection just taken
    from its pool: committed when the block ends, rolled back when it raises."""
    if not write and conn.dialect.name == "postgresql":
        # Reset when the connection goes back to the pool.
        conn.execution_options(isolation_level="REPEATABLE READ" if isolated else "AUTOCOMMIT")
    conn.info[_STATE] = TransactionState(write, {})
    try:
        with conn.begin(), budgeted(conn, budget) if budget is not None else contextlib.nullcontext():
            yield conn
    finally:
        _forget(conn)


def transacted(
    engine: Engine,
    work: Callable[[Connection], T],
    write: bool = False,
    budget: float | None = None,
    isolated: bool = True,
) -> T:
    """``work`` in one :func:`transaction` (its arguments), run again once on a new connection
    when the one it had was found dropped: no connection is pinged when it leaves the pool
    (store/engine.py), so after a database restart or an idle timeout the first statement on
    each pooled connection fails. A connection found dropped before its COMMIT committed nothing, so
    the work runs again safely; only a drop during the COMMIT itself leaves it unknown, which the
    callers here can bear (a read, or the rate limiter counting a few calls twice). A request's
    writes are retried by store/unit_of_work.py instead, which also retries serialisation failures."""
    for attempt in range(DROPPED_ATTEMPTS):
        try:
            with transaction(engine, write=write, budget=budget, isolated=isolated) as conn:
                return work(conn)
        except DBAPIError as error:
            if not runs_again(error, attempt):
                raise
    raise AssertionError("unreachable")


DROPPED_ATTEMPTS = 2  # a transaction that met a dropped connection runs once more, on a new one


def runs_again(error: DBAPIError, attempt: int, attempts: int = DROPPED_ATTEMPTS) -> bool:
    """Whether a transaction that failed with ``error`` on its ``attempt`` (from 0) runs again:
    only when its connection was found dropped and attempts are left (:func:`transacted`, and
    store/loop_work.py on the event loop)."""
    if attempt >= attempts - 1 or not error.connection_invalidated:
        return False
    log.info("a pooled connection was dropped by the database; the transaction runs again")
    return True


def _read_on(conn: Connection) -> bool:
    """Begin a read transaction on ``conn`` whose snapshot starts now (at its first read)."""
    try:
        conn.info[_STATE] = TransactionState(write=False, memo={})
        conn.begin()
        conn.connection.driver_connection.execute("SELECT 1 FROM workspaces LIMIT 1").fetchall()  # type: ignore[union-attr]
    except Exception:
        log.warning("could not begin a read transaction after a write", exc_info=True)
        conn.info.pop(_STATE, None)
        return False
    return True


def close_snapshot(conn: Connection) -> None:
    """End the read transaction that ``transaction(snapshot=…)`` left on ``conn``, and close it."""
    try:
        conn.commit()
    finally:
        conn.info.pop(_STATE, None)
        conn.close()
