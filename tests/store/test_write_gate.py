"""The SQLite write gate (store/write_gate.py, WriteGate): one writer at a time across threads, event
loops and processes; an event loop never blocks waiting for it; a writer that gives up while
waiting (its client went away) leaves the gate free for the next one."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from inboxd.store.checkpoints import Checkpointer
from inboxd.store.engine import make_engine
from inboxd.store.transactions import transaction
from inboxd.store.write_gate import WriteGate


def _inside(gate_count: list[int], seen: list[int]) -> None:
    gate_count[0] += 1
    seen.append(gate_count[0])
    time.sleep(0.001)
    gate_count[0] -= 1


def test_loop_writers_and_thread_writers_never_overlap(tmp_path):
    gate = WriteGate(str(tmp_path / "db.sqlite3"))
    inside, seen = [0], []

    def thread_writer() -> None:
        for _ in range(20):
            with gate.held():
                _inside(inside, seen)

    async def loop_writer() -> None:
        for _ in range(20):
            async with gate.turn():
                _inside(inside, seen)
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(*(loop_writer() for _ in range(4)))

    threads = [threading.Thread(target=thread_writer) for _ in range(2)]
    for t in threads:
        t.start()
    asyncio.run(main())
    for t in threads:
        t.join()
    assert len(seen) == 4 * 20 + 2 * 20
    assert max(seen) == 1


def test_the_gate_is_given_back_when_no_writer_of_the_loop_waits(tmp_path):
    gate = WriteGate(str(tmp_path / "db.sqlite3"))

    async def burst() -> None:
        async def one() -> None:
            async with gate.turn():
                await asyncio.sleep(0)

        await asyncio.gather(*(one() for _ in range(50)))

    asyncio.run(burst())
    # Another process (another open file of the lock) can take it now, and so can a thread.
    other = WriteGate(str(tmp_path / "db.sqlite3"))
    taken = threading.Event()

    def take() -> None:  # one after the other: the two gates stand for two processes
        with other.held():
            pass
        with gate.held():
            taken.set()

    t = threading.Thread(target=take)
    t.start()
    t.join(timeout=5)
    assert taken.is_set()


def test_waiting_for_another_process_does_not_block_the_loop(tmp_path):
    gate = WriteGate(str(tmp_path / "db.sqlite3"))
    other = WriteGate(str(tmp_path / "db.sqlite3"))  # its own open file: a flock like another process's
    release = threading.Event()
    holding = threading.Event()

    def other_process() -> None:
        with other.held():
            holding.set()
            release.wait(5)

    t = threading.Thread(target=other_process)
    t.start()
    assert holding.wait(5)
    ticks = []

    async def main() -> float:
        async def ticker() -> None:
            for _ in range(20):
                ticks.append(time.monotonic())
                await asyncio.sleep(0.005)
            release.set()

        async def writer() -> float:
            async with gate.turn():
                return time.monotonic()

        entered, _ = await asyncio.gather(writer(), ticker())
        return entered

    entered = asyncio.run(main())
    t.join()
    assert len(ticks) == 20  # the loop went on while the writer waited
    assert entered >= ticks[-1]  # and the writer got in only after the other let go


@pytest.mark.parametrize("where", ["queued behind a writer of the loop", "waiting for another process"])
def test_a_writer_cancelled_while_waiting_leaves_the_gate_free(tmp_path, where):
    gate = WriteGate(str(tmp_path / "db.sqlite3"))
    other = WriteGate(str(tmp_path / "db.sqlite3"))
    release = threading.Event()
    holding = threading.Event()

    def other_process() -> None:
        with other.held():
            holding.set()
            release.wait(5)

    async def main() -> bool:
        if where == "waiting for another process":
            t = threading.Thread(target=other_process)
            t.start()
            assert holding.wait(5)
            waiting = asyncio.create_task(_enter(gate))
            await asyncio.sleep(0.05)
            waiting.cancel()
            release.set()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            await asyncio.to_thread(t.join)
        else:
            first_in = asyncio.Event()
            let_go = asyncio.Event()

            async def first() -> None:
                async with gate.turn():
                    first_in.set()
                    await let_go.wait()

            holder = asyncio.create_task(first())
            await first_in.wait()
            waiting = asyncio.create_task(_enter(gate))
            await asyncio.sleep(0.01)
            waiting.cancel()
            let_go.set()
            await holder
            with pytest.raises(asyncio.CancelledError):
                await waiting
        # Nobody holds the gate now: another process and a thread get it at once. (The other
        # process first: this one's own flock calls would take over a lock left on its file.)
        done = threading.Event()

        def take() -> None:
            with other.held():
                pass
            with gate.held():
                done.set()

        taker = threading.Thread(target=take, daemon=True)
        taker.start()
        await asyncio.to_thread(taker.join, 5)
        return done.is_set()

    assert asyncio.run(asyncio.wait_for(main(), 10))


async def _enter(gate: WriteGate) -> None:
    async with gate.turn():
        pass


def test_the_checkpointer_copies_the_wal_back_outside_the_writers(tmp_path):
    """What a checkpoint does, seen from outside: the rows reach the database file itself, not only
    its WAL, though no writer took the WAL past wal_autocheckpoint and nobody else checkpointed."""
    database = tmp_path / "db.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    with transaction(engine, write=True) as conn:
        conn.exec_driver_sql("CREATE TABLE scratch (body BLOB)")

    def write(rows: int) -> None:
        for _ in range(rows):  # ~3 pages each: far below wal_autocheckpoint, so no writer copies
            with transaction(engine, write=True) as conn:
                conn.exec_driver_sql("INSERT INTO scratch VALUES (?)", (b"x" * 8000,))

    write(50)
    time.sleep(0.05)
    assert database.stat().st_size < 50 * 8000  # without the thread the rows stay in the WAL
    checkpointer = Checkpointer(engine, interval=0.01)
    try:
        write(50)
        deadline = time.monotonic() + 5
        while database.stat().st_size < 100 * 8000 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)  # one more round after the last write
    finally:
        checkpointer.close()
    assert database.stat().st_size >= 100 * 8000
    with engine.connect() as conn:
        busy, frames, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        assert (busy, frames) == (0, copied)  # nothing left that the thread had not copied
        assert conn.exec_driver_sql("SELECT count(*) FROM scratch").scalar_one() == 100
    engine.dispose()


def test_no_checkpointer_thread_without_a_sqlite_file(engine):
    checkpointer = Checkpointer(engine)
    try:
        assert (checkpointer._thread is not None) == (engine.dialect.name == "sqlite")
    finally:
        checkpointer.close()
