"""SQLite's write gate: the writers of every process on one database file take turns on a lock
that wakes the next one the moment the holder lets go, instead of SQLite's busy handler, which
polls (docs/decisions.md, Performance). An on-disk SQLite engine has one (:func:`write_gate`);
PostgreSQL and in-memory databases none."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator

from anyio import to_thread
from sqlalchemy import Engine


class WriteGate:
    """SQLite lets one writer in at a time, and a writer that finds the lock taken polls for it,
    sleeping up to 100 ms between tries (its busy handler). Under load that made writes wait
    seconds for a lock free most of the time (docs/decisions.md, Performance, the first line).
    Writers of one process queue on a lock instead, and processes on an ``flock`` of a file beside
    the database: a waiter wakes the moment the holder lets go. SQLite's own locking still guards
    the database (a writer that skips the gate, like ``inboxd seed``, waits as before).

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
        answers, with the other process waiting (measured: docs/decisions.md, Performance, "The
        write gate is given back after every write transaction")."""
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


def give_gate(engine: Engine, database: str) -> None:
    """Give the engine of the SQLite file ``database`` its write gate (store/engine.py)."""
    _GATES[engine] = WriteGate(database)


def write_gate(engine: Engine) -> WriteGate | None:
    """The engine's write gate: SQLite on disk has one, PostgreSQL and in-memory databases not."""
    return _GATES.get(engine)
