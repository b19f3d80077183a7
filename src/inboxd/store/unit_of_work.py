"""The unit of work: every request's transaction, its retries, SQLite's group commit, savepoints
and what is drawn after the commit, for both engines. api/http.py asks it to :func:`read` or
:func:`write` with a function of a workspace's :class:`~inboxd.store.scope.Store`; nothing above
the store sees a connection.

- A read is one read transaction (store/transactions.py ``transaction``), which writes nothing.
- A write on PostgreSQL (or an in-memory SQLite database) runs in a worker thread, in a transaction
  of its own, run again up to :data:`RETRIES` times after a database error: two requests racing to
  insert the same unique row, or a deadlock, rolled the loser back, so running it again is safe.
  Its answer is drawn at the end of that transaction.
- A write on a SQLite file is queued and run with the others the event loop has queued (group
  commit, below).
- A write's answer may be drawn after its commit (:class:`AfterCommit`), from exactly what it left.

Group commit for SQLite: the writes an event loop has queued while another writer held the
database run in one transaction, each in a savepoint of its own, and are acknowledged together
once that transaction has committed.

SQLite takes one writer at a time, and what a write pays around its own statements — the write
gate handed over between processes, `BEGIN IMMEDIATE`, a page cache that another connection's
commit emptied, the commit appending the same index pages to the WAL again, a snapshot for the
answer — was most of what a reply cost (docs/decisions.md, Performance: "SQLite writes commit in
groups"). In a batch those are paid once for all the writes in it.

What a caller sees does not change:
- an answer is sent only after the transaction holding its write committed, so an acknowledged
  write survives a killed process as before (synchronous=NORMAL, WAL);
- a write that fails (an Intercom error, or a bug) is rolled back to its savepoint and answers its
  error; the other writes of the batch are not affected. A database error rolls it back and runs
  it again (up to :data:`RETRIES` times), as the one-transaction-per-request path does;
- a write's answer that is drawn after the commit (:class:`AfterCommit`: the conversation after the
  write) shows exactly what that write left: a later write of the batch that changes a
  conversation an earlier answer shows is rolled back and waits for the next batch;
- when the transaction itself fails (BEGIN, a savepoint, COMMIT), nothing of it was stored: each of
  its writes runs again alone, in a transaction of its own.

Answers that can be drawn together (:attr:`AfterCommit.together`: the conversations of one
workspace, as GET shows them) are drawn in one go from the snapshot: a statement for their rows, one
for their contacts, teammates and tags, one for the people they show, where each drawn alone ran
its own (docs/decisions.md, Performance: "The answers of a write batch"). A group that fails is drawn answer by
answer, so each answer still gets its own error.

One :class:`WriteQueue` per engine and event loop. Its leader is the coroutine of a queued write:
it takes the write gate, runs up to :data:`MAX_BATCH` queued writes on the loop, commits, begins
a read transaction on the same connection (the answers' snapshot, its page cache still warm from
the writes), gives the gate back, draws the answers, and hands the lead on once its own write is
done.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from inboxd.store.loop_work import on_loop, transacted_on_loop
from inboxd.store.scope import Store
from inboxd.store.threads import in_thread
from inboxd.store.transactions import close_snapshot, transacted, transaction
from inboxd.store.write_gate import WriteGate, write_gate

MAX_BATCH = 32  # writes in one transaction: bounds how long the other processes wait for the gate
RETRIES = 3  # attempts of one write after database errors, on every path

log = logging.getLogger("inboxd.writes")

T = TypeVar("T")

# Answers drawn in one go: those with equal keys, by ``draw_all(snapshot, shown conversations)``,
# which answers one for each, in their order (the key says whose workspace the store is bound to).
GroupDraw = tuple[Hashable, Callable[[Store, list[int]], list[Any]]]


class AfterCommit:
    """A write's answer drawn after its transaction has committed, from a snapshot of exactly what
    it left: on SQLite the render of a conversation and its parts then no longer holds the write
    lock every other writer waits for. ``draw(store, now)``: the answer, from the snapshot seen by
    the workspace's store, at the write's time; ``shows``: the conversation it shows;
    ``together``: how it can be drawn with the batch's other answers of its kind (None: alone)."""

    def __init__(
        self, workspace_id: int, draw: Callable[[Store, int], Any], shows: int, together: GroupDraw | None = None
    ) -> None:
        self.workspace_id = workspace_id
        self.draw = draw
        self.shows = shows
        self.together = together
        self.now = 0


# What a write's `run` gives back: its answer, and the conversations whose shown state it changed
# (None: it may have changed any, as renaming a tag does).
WriteOutcome = tuple[Any, frozenset[int] | None]


def read(
    engine: Engine, workspace_id: int, work: Callable[[Store], T], budget: float | None = None, isolated: bool = True
) -> T:
    """``work`` in one read transaction of the workspace, ended past ``budget`` seconds
    (store/transactions.py ``transaction``; ``isolated``: whether its statements must see one
    snapshot). Run again once on a new connection when the one it had was found dropped (a
    restarted server: store/engine.py pings none)."""
    return transacted(engine, lambda conn: work(Store(conn, workspace_id)), budget=budget, isolated=isolated)


async def ordinary_read(engine: Engine, workspace_id: int, work: Callable[[Store], T], isolated: bool = True) -> T:
    """A read of a request: a SQLite read in WAL mode never waits for a lock and takes
    microseconds, so it runs on the event loop rather than pay a thread hop (docs/decisions.md,
    Performance); PostgreSQL's on the loop too, each round trip awaited (store/loop_work.py)."""
    if engine.dialect.name == "sqlite":
        return read(engine, workspace_id, work)
    return await transacted_on_loop(engine, lambda conn: work(Store(conn, workspace_id)), isolated=isolated)


async def costly_read(engine: Engine, workspace_id: int, work: Callable[[Store], T], budget: float | None) -> T:
    """A read whose cost the request decides (a search): in a thread, never on the event loop, one
    at a time per process (store/threads.py ``COSTLY_READS``), within ``budget`` seconds."""
    return await in_thread(engine, read, engine, workspace_id, work, budget, costly=True)


async def write(engine: Engine, workspace_id: int, work: Callable[[Store], Any]) -> Any:
    """``work`` in a write transaction of the workspace, committed: its answer (an
    :class:`AfterCommit` drawn now). On a SQLite file, in the event loop's group commit."""

    def run(conn: Connection) -> WriteOutcome:
        store = Store(conn, workspace_id)
        answer = work(store)
        return answer, store.finish()

    gate = write_gate(engine)
    if gate is not None:
        return await write_queue(engine, gate).submit(run)
    for attempt in range(RETRIES):
        try:
            # One level of retries, this one: a write dropped during its COMMIT may have committed.
            if on_loop(engine):
                return await transacted_on_loop(engine, lambda conn: _answered(conn, run), write=True, attempts=1)
            return await in_thread(engine, _in_own_transaction, engine, run)
        except (IntegrityError, OperationalError):
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _in_own_transaction(engine: Engine, run: Callable[[Connection], WriteOutcome]) -> Any:
    with transaction(engine, write=True) as conn:
        return _answered(conn, run)


def _answered(conn: Connection, run: Callable[[Connection], WriteOutcome]) -> Any:
    """A write in a transaction of its own (PostgreSQL's, an in-memory SQLite database's). Its
    answer is drawn inside it, just before the commit: exactly what the write left, the rows it
    changed still locked (PostgreSQL writes lock what they read), where drawing after the commit
    would cost a read transaction more."""
    answer, _ = run(conn)
    if isinstance(answer, AfterCommit):
        answer = answer.draw(Store(conn, answer.workspace_id), answer.now)
    return answer


def drawn(engine: Engine, answer: Any, snapshot: Connection | None) -> Any:
    """The answer of a committed write: an :class:`AfterCommit` drawn from ``snapshot``, or without
    one (PostgreSQL, an in-memory database) from a read transaction: the state right after, as a
    GET sees it."""
    if not isinstance(answer, AfterCommit):
        return answer
    if snapshot is not None:
        return answer.draw(Store(snapshot, answer.workspace_id), answer.now)
    return transacted(engine, lambda conn: answer.draw(Store(conn, answer.workspace_id), answer.now))


@dataclass(eq=False)
class Write:
    """One queued write: ``run(conn)`` does its work inside the batch's transaction."""

    run: Callable[[Connection], WriteOutcome]
    wake: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    done: bool = False
    answer: Any = None
    error: BaseException | None = None

    def finish(self, answer: Any, error: BaseException | None = None) -> None:
        self.done, self.answer, self.error = True, answer, error
        if not self.wake.done():
            self.wake.set_result(None)

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.answer


class _Conflict(Exception):
    """The write changed a conversation that an earlier write's answer shows."""


class _Batch:
    """The writes a transaction ran, with their answers or errors."""

    def __init__(self) -> None:
        self.ran: list[tuple[Write, Any, BaseException | None]] = []
        self.shown: set[int] = set()

    def conflicts(self, changed: frozenset[int] | None) -> bool:
        if changed is None:
            return bool(self.shown)
        return not self.shown.isdisjoint(changed)

    def add(self, write: Write, answer: Any, error: BaseException | None) -> None:
        self.ran.append((write, answer, error))
        if isinstance(answer, AfterCommit):
            self.shown.add(answer.shows)


class WriteQueue:
    def __init__(self, engine: Engine, gate: WriteGate, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.gate = gate
        self.max_batch = max_batch
        self.pending: collections.deque[Write] = collections.deque()
        self.leader: Write | None = None

    async def submit(self, run: Callable[[Connection], WriteOutcome]) -> Any:
        """Queue a write and wait until it has run and committed: its answer, or its error raised."""
        write = Write(run)
        self.pending.append(write)
        try:
            if self.leader is None:
                self.leader = write
            else:
                await asyncio.shield(write.wake)  # done, or made the leader
            while not write.done:
                await self._next_batch()
            return write.outcome()
        finally:
            if not write.done:  # its client went away before it ran
                with contextlib.suppress(ValueError):
                    self.pending.remove(write)
            if self.leader is write:
                self.leader = None
                if self.pending:
                    self.leader = self.pending[0]
                    self.leader.wake.set_result(None)

    async def _next_batch(self) -> None:
        async with self.gate.turn():
            batch = [self.pending.popleft() for _ in range(min(self.max_batch, len(self.pending)))]
            ran, snapshot = self._run(batch)
        # The gate is free again: another process writes while this loop draws the answers.
        self._deliver(ran, snapshot)

    def _run(self, batch: list[Write]) -> tuple[_Batch, Connection | None]:
        """``batch`` in one transaction. What it did not run goes back to the front of the queue."""
        ran = _Batch()
        snapshot: list[Connection] = []
        try:
            with transaction(self.engine, write=True, gate_held=True, snapshot=snapshot) as conn:
                for write in batch:
                    try:
                        answer, error = self._one(conn, write, ran)
                    except _Conflict:
                        break
                    ran.add(write, answer, error)
        except Exception:
            # Nothing of it was stored: each write again, alone.
            log.warning("a batch of %d writes failed; running each alone", len(batch), exc_info=True)
            self._alone(batch)
            return _Batch(), None
        self.pending.extendleft(reversed(batch[len(ran.ran) :]))
        return ran, snapshot[0] if snapshot else None

    def _one(self, conn: Connection, write: Write, ran: _Batch) -> tuple[Any, BaseException | None]:
        """One write in a savepoint (on the DBAPI connection, like store/prepared.py's statements:
        through SQLAlchemy each would cost more Python than SQLite's work). A savepoint statement
        that fails fails the transaction."""
        raw = conn.connection.driver_connection
        assert raw is not None
        for attempt in range(RETRIES):
            raw.execute("SAVEPOINT inboxd_write").close()
            try:
                answer, changed = write.run(conn)
                if ran.conflicts(changed):
                    raise _Conflict
            except BaseException as exc:
                raw.execute("ROLLBACK TO inboxd_write").close()
                raw.execute("RELEASE inboxd_write").close()
                if isinstance(exc, _Conflict) or not isinstance(exc, Exception):
                    raise
                if isinstance(exc, IntegrityError | OperationalError) and attempt < RETRIES - 1:
                    continue  # rolled back: running it again is safe
                return None, exc  # the write's own failure: its error; the batch goes on
            raw.execute("RELEASE inboxd_write").close()
            return answer, None
        raise AssertionError("unreachable")

    def _alone(self, batch: list[Write]) -> None:
        """Each write of a failed batch in a transaction of its own (the gate is still held)."""
        for write in batch:
            for attempt in range(RETRIES):
                snapshot: list[Connection] = []
                try:
                    with transaction(self.engine, write=True, gate_held=True, snapshot=snapshot) as conn:
                        answer, _ = write.run(conn)
                except (IntegrityError, OperationalError) as exc:
                    if attempt == RETRIES - 1:
                        write.finish(None, exc)
                    continue
                except Exception as exc:
                    write.finish(None, exc)
                    break
                one = _Batch()
                one.add(write, answer, None)
                # Drawn now: the next write may change what it shows.
                self._deliver(one, snapshot[0] if snapshot else None)
                break

    def _deliver(self, ran: _Batch, snapshot: Connection | None) -> None:
        try:
            together = _draw_together(ran, snapshot) if snapshot is not None else {}
            for write, answer, error in ran.ran:
                if isinstance(answer, AfterCommit):
                    try:
                        answer = (
                            together[id(answer)] if id(answer) in together else drawn(self.engine, answer, snapshot)
                        )
                    except Exception as exc:
                        answer, error = None, exc
                write.finish(answer, error)
        finally:
            if snapshot is not None:
                close_snapshot(snapshot)


def _draw_together(ran: _Batch, snapshot: Connection) -> dict[int, Any]:
    """The answers of ``ran`` that can be drawn together, by ``id()`` of their AfterCommit; a group
    of one, or one that fails, is left to be drawn alone."""
    groups: dict[Hashable, list[AfterCommit]] = {}
    for _, answer, _ in ran.ran:
        if isinstance(answer, AfterCommit) and answer.together is not None:
            groups.setdefault(answer.together[0], []).append(answer)
    drawn_together: dict[int, Any] = {}
    for answers in groups.values():
        if len(answers) < 2:
            continue
        together = answers[0].together
        assert together is not None
        try:
            responses = together[1](Store(snapshot, answers[0].workspace_id), [answer.shows for answer in answers])
        except Exception:
            log.debug("answers drawn together failed; drawing each alone", exc_info=True)
            continue
        drawn_together.update(zip(map(id, answers), responses, strict=True))
    return drawn_together


_QUEUES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, weakref.WeakKeyDictionary[Engine, WriteQueue]] = (
    weakref.WeakKeyDictionary()
)


def write_queue(engine: Engine, gate: WriteGate) -> WriteQueue:
    """The engine's write queue on the running event loop."""
    per_loop = _QUEUES.setdefault(asyncio.get_running_loop(), weakref.WeakKeyDictionary())
    queue = per_loop.get(engine)
    if queue is None:
        queue = per_loop[engine] = WriteQueue(engine, gate)
    return queue
