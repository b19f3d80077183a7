"""The unit of work: every request's transaction, its retries, SQLite's group commit, savepoints
and what is drawn after the commit, for both engines. api/http.py asks it to :func:`read` or
:func:`write` with a function of a workspace's :class:`~inboxd.store.scope.Store`; nothing above
the store sees a connection.

- A read is one read transaction (store/transactions.py ``transaction``), which writes nothing.
- A write on an in-memory SQLite database runs in a worker thread, in a transaction of its own,
  run again up to :data:`RETRIES` times after a database error: two requests racing to insert the
  same unique row, or a deadlock, rolled the loser back, so running it again is safe. Its answer is
  drawn at the end of that transaction.
- A write on a SQLite file or on PostgreSQL is queued and run with the others the event loop has
  queued (group commit, below, and PostgreSQL's after it).
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

Group commit for PostgreSQL: the writes an event loop queued together (while its last batch ran,
or within one turn of the loop) share the next transaction, on the loop (store/loop_work.py),
their answers drawn inside it before the COMMIT, together where they can be, and kept in the
render cache only once it has committed. A write costs a handful of statements of its own; BEGIN, the token's
check, its admin, the answers' statements and COMMIT are paid once per batch, and a batch of one
is a transaction of its own, as before (docs/decisions.md, Performance: "PostgreSQL writes commit in
groups"). PostgreSQL runs many transactions at once, so what differs from SQLite's batches:
- no savepoint per write (each would cost two round trips): a write that fails, or changes what an
  earlier answer of the batch shows, ends the batch and nothing of it is stored; the writes before
  it run again as a batch, a failed one runs again alone (answering its error, or succeeding), the
  rest go back to the front of the queue. None of them was answered yet, so any order they end up
  committed in is one their clients could have seen;
- two writes naming one conversation (api/http.py ``names``) are never taken into one batch;
- each wait of a batch for a row another transaction holds lasts at most
  :data:`BATCH_LOCK_TIMEOUT`; past it each of the batch's writes runs alone, in a transaction of
  its own beside the batches, where it waits for its turn without holding up any other write;
- a connection lost during the COMMIT leaves the batch's outcome unknown: its writes answer that
  error and are not run again (a reply stored twice is worse than one answered with an error);
- the batches run in a task of the queue's own, so a client that goes away cancels only its wait.

One :class:`WriteQueue` per engine and event loop. On SQLite, its leader is the coroutine of a queued write:
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
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from inboxd.store.loop_work import on_loop, transacted_on_loop
from inboxd.store.scope import Store
from inboxd.store.threads import in_thread
from inboxd.store.transactions import close_snapshot, transacted, transaction
from inboxd.store.write_gate import WriteGate, write_gate

MAX_BATCH = 32  # writes in one transaction: bounds how long the other processes wait for the gate
# PostgreSQL: how long a write of a batch waits for a row another transaction holds, before the
# batch gives way and that write runs alone (store/unit_of_work.py ``_run_on_loop``).
BATCH_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '5ms'"
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


async def write(engine: Engine, workspace_id: int, work: Callable[[Store], Any], names: Hashable = None) -> Any:
    """``work`` in a write transaction of the workspace, committed: its answer (an
    :class:`AfterCommit` drawn now). On a SQLite file and on PostgreSQL, in the event loop's group
    commit; ``names``: what the request names (api/http.py ``names``), so that two writes to one
    conversation do not meet in one PostgreSQL batch."""

    def run(conn: Connection) -> WriteOutcome:
        store = Store(conn, workspace_id)
        answer = work(store)
        return answer, store.finish()

    gate = write_gate(engine)
    if gate is not None or on_loop(engine):
        return await write_queue(engine, gate).submit(run, (workspace_id, names) if names is not None else None)
    return await _retried(lambda: in_thread(engine, _in_own_transaction, engine, run))


async def _alone_on_loop(engine: Engine, run: Callable[[Connection], WriteOutcome]) -> Any:
    """A PostgreSQL write in a transaction of its own on the loop, its answer drawn inside it
    (:func:`_answered`)."""
    return await _retried(lambda: transacted_on_loop(engine, lambda conn: _answered(conn, run), write=True, attempts=1))


async def _retried(attempt: Callable[[], Awaitable[Any]]) -> Any:
    """A write in a transaction of its own, run again after a database error, up to
    :data:`RETRIES` times. One level of retries, this one: a write dropped during its COMMIT may
    have committed."""
    for tried in range(RETRIES):
        try:
            return await attempt()
        except (IntegrityError, OperationalError):
            if tried == RETRIES - 1:
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
    names: Hashable = None  # what it changes, when known before it runs (None: unknown)
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


def _held_elsewhere(error: BaseException | None) -> bool:
    """Whether ``error`` is a batch's lock timeout (SQLSTATE 55P03, lock_not_available)."""
    return isinstance(error, OperationalError) and getattr(error.orig, "sqlstate", None) == "55P03"


class _Ended(Exception):
    """A write of a PostgreSQL batch failed, or changed what an earlier answer of the batch shows
    (``conflict``): the batch's transaction is rolled back, since a write has no savepoint of its
    own there."""

    def __init__(self, index: int, conflict: bool) -> None:
        self.index = index
        self.conflict = conflict


class WriteQueue:
    def __init__(self, engine: Engine, gate: WriteGate | None, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.gate = gate
        self.max_batch = max_batch
        self.pending: collections.deque[Write] = collections.deque()
        self.leader: Write | None = None
        # PostgreSQL: the task that runs the queued batches, and the writes running alone.
        self.runner: asyncio.Task[None] | None = None
        self.alone: set[asyncio.Task[None]] = set()

    async def submit(self, run: Callable[[Connection], WriteOutcome], names: Hashable = None) -> Any:
        """Queue a write and wait until it has run and committed: its answer, or its error raised."""
        write = Write(run, names)
        self.pending.append(write)
        if self.gate is None:
            return await self._submitted_on_loop(write)
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

    async def _submitted_on_loop(self, write: Write) -> Any:
        """PostgreSQL: the batches run in a task of the queue's own, not in a request's: a client
        that goes away cancels its own wait, never the transaction the others' writes are in."""
        if self.runner is None or self.runner.done():
            self.runner = asyncio.get_running_loop().create_task(self._drain())
        try:
            await asyncio.shield(write.wake)
        finally:
            if not write.done:  # its client went away: if it has not run yet, it never will
                with contextlib.suppress(ValueError):
                    self.pending.remove(write)
        return write.outcome()

    async def _drain(self) -> None:
        while self.pending:
            await self._run_on_loop(self._take_batch())

    def _take_batch(self) -> list[Write]:
        """The next PostgreSQL batch: the queued writes in order, up to :attr:`max_batch`, less
        those naming what an earlier write of the batch names (a conversation replied to twice:
        the second would change what the first's answer shows); those wait, in order."""
        batch: list[Write] = []
        named: set[Hashable] = set()
        later: list[Write] = []
        looked = 0
        while self.pending and len(batch) < self.max_batch and looked < 4 * self.max_batch:
            write = self.pending.popleft()
            looked += 1
            if write.names is not None and write.names in named:
                later.append(write)
                continue
            if write.names is not None:
                named.add(write.names)
            batch.append(write)
        self.pending.extendleft(reversed(later))
        return batch

    async def _next_batch(self) -> None:
        assert self.gate is not None
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

    async def _run_on_loop(self, batch: list[Write]) -> None:
        """PostgreSQL: ``batch`` in one transaction on the loop, without a savepoint per write (each
        would cost two more round trips), its answers drawn inside it before the commit, together
        where they can be. A write that fails or conflicts ends the batch, and nothing of it is
        stored; then, in the order SQLite's batches keep: the writes before it run again as a
        batch (they commit now), a write that failed runs alone (and answers its error, or
        succeeds on its own), and the rest (a conflicting write first) go back to the front of
        the queue."""
        if not batch:
            return
        if len(batch) == 1:
            self._on_its_own(batch[0])
            return

        committed: list[Callable[[], None]] = []
        drawn_all = [False]

        def body(conn: Connection) -> list[tuple[Write, Any]]:
            # A batch does not wait long on another's locks: two batches that lock the same rows
            # in opposite orders would otherwise deadlock until PostgreSQL's deadlock_timeout.
            conn.exec_driver_sql(BATCH_LOCK_TIMEOUT)
            ran = _Batch()
            for index, write in enumerate(batch):
                try:
                    answer, changed = write.run(conn)
                except Exception as exc:
                    raise _Ended(index, conflict=False) from exc
                if ran.conflicts(changed):
                    raise _Ended(index, conflict=True)
                ran.add(write, answer, None)
            together = _draw_together(ran, conn, committed, in_transaction=True)
            answered = [
                (write, together[id(answer)] if id(answer) in together else drawn(self.engine, answer, conn))
                for write, answer, _ in ran.ran
            ]
            drawn_all[0] = True  # what fails from here on is the COMMIT
            return answered

        try:
            answered = await transacted_on_loop(self.engine, body, write=True, attempts=1)
        except _Ended as ended:
            at = ended.index
            if _held_elsewhere(ended.__cause__):
                # Another transaction holds what the batch writes: each of its writes waits
                # for its turn in a transaction of its own, none holding up the others.
                for write in batch:
                    self._on_its_own(write)
                return
            self.pending.extendleft(reversed(batch[at if ended.conflict else at + 1 :]))
            await self._run_on_loop(batch[:at])
            if not ended.conflict:
                self._on_its_own(batch[at])
            return
        except Exception as exc:
            if drawn_all[0] and isinstance(exc, DBAPIError) and exc.connection_invalidated:
                # The connection was lost during the COMMIT: it may have committed, so nothing
                # runs again (a reply stored twice is worse than one answered with an error).
                log.warning("the connection was lost committing a batch of %d writes", len(batch), exc_info=True)
                for write in batch:
                    write.finish(None, exc)
                return
            # BEGIN, a draw or COMMIT failed: nothing of it was stored.
            log.warning("a batch of %d writes failed; running each alone", len(batch), exc_info=True)
            for write in batch:
                self._on_its_own(write)
            return
        except BaseException as exc:  # cancelled (the server stops): no write waits for ever
            for write in batch:
                write.finish(None, exc)
            raise
        for keep in committed:
            keep()
        for write, answer in answered:
            write.finish(answer)

    def _on_its_own(self, write: Write) -> None:
        """``write`` in a transaction of its own, beside the batches: one that waits on a lock, or
        runs again after an error, holds up no other write."""

        async def run() -> None:
            try:
                write.finish(await _alone_on_loop(self.engine, write.run))
            except BaseException as exc:  # its error; or cancelled (the server stops): no write waits for ever
                write.finish(None, exc)
                if not isinstance(exc, Exception):
                    raise

        task = asyncio.get_running_loop().create_task(run())
        self.alone.add(task)
        task.add_done_callback(self.alone.discard)

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
            committed: list[Callable[[], None]] = []
            together = _draw_together(ran, snapshot, committed) if snapshot is not None else {}
            for keep in committed:  # drawn after the commit: kept at once
                keep()
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


def _draw_together(
    ran: _Batch, snapshot: Connection, committed: list[Callable[[], None]], in_transaction: bool = False
) -> dict[int, Any]:
    """The answers of ``ran`` that can be drawn together, by ``id()`` of their AfterCommit; a group
    of one, or one that fails, is left to be drawn alone. What the draws leave for after the
    commit goes to ``committed``. ``in_transaction`` (PostgreSQL's batch, before its COMMIT): a
    database error is raised, since it ended the transaction and nothing more can run in it."""
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
        store = Store(snapshot, answers[0].workspace_id)
        try:
            responses = together[1](store, [answer.shows for answer in answers])
        except Exception as exc:
            if in_transaction and isinstance(exc, DBAPIError):
                raise
            log.debug("answers drawn together failed; drawing each alone", exc_info=True)
            continue
        drawn_together.update(zip(map(id, answers), responses, strict=True))
        committed.extend(store.committed)
    return drawn_together


_QUEUES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, weakref.WeakKeyDictionary[Engine, WriteQueue]] = (
    weakref.WeakKeyDictionary()
)


def write_queue(engine: Engine, gate: WriteGate | None) -> WriteQueue:
    """The engine's write queue on the running event loop."""
    per_loop = _QUEUES.setdefault(asyncio.get_running_loop(), weakref.WeakKeyDictionary())
    queue = per_loop.get(engine)
    if queue is None:
        queue = per_loop[engine] = WriteQueue(engine, gate)
    return queue
