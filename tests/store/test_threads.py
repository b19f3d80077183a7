"""The threads that hold a PostgreSQL connection (store/threads.py): however many requests arrive
at once, a worker opens no more connections than its pool keeps, runs no more of them at once than
it has connections for, and a search still finds a connection while every ordinary turn is taken."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import Engine, event, text

from inboxd.store.engine import make_engine
from inboxd.store.threads import COSTLY_READS, UNTURNED, in_thread, pool_size
from inboxd.store.transactions import transacted

POSTGRES = pytest.mark.parametrize("engine", ["postgres"], indirect=True)


class _Busy:
    """How many holders of a connection ran at once, at most."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def hold(self, engine: Engine, seconds: float) -> float:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            transacted(engine, lambda conn: conn.execute(text("SELECT pg_sleep(:s)"), {"s": seconds}))
        finally:
            with self.lock:
                self.now -= 1
        return time.monotonic()


@POSTGRES
def test_a_burst_opens_no_more_connections_than_the_pool_keeps(engine: Engine) -> None:
    small = make_engine(engine.url.render_as_string(hide_password=False), pool_size=4)
    opened: list[object] = []
    event.listen(small, "connect", lambda conn, _record: opened.append(conn))
    busy = _Busy()

    async def burst() -> None:
        await asyncio.gather(*(in_thread(small, busy.hold, small, 0.02) for _ in range(30)))

    try:
        asyncio.run(burst())
    finally:
        small.dispose()
    assert busy.most == pool_size(small) - COSTLY_READS - UNTURNED == 2
    assert len(opened) <= 2


@POSTGRES
def test_a_search_finds_a_connection_while_every_ordinary_turn_is_taken(engine: Engine) -> None:
    small = make_engine(engine.url.render_as_string(hide_password=False), pool_size=3)
    busy = _Busy()

    async def race() -> tuple[float, float]:
        ordinary = [asyncio.ensure_future(in_thread(small, busy.hold, small, 0.2)) for _ in range(4)]
        await asyncio.sleep(0.05)  # the one ordinary turn is taken, three wait for it
        searched = await in_thread(small, busy.hold, small, 0.0, costly=True)
        return searched, max(await asyncio.gather(*ordinary))

    try:
        searched, last_ordinary = asyncio.run(race())
    finally:
        small.dispose()
    # The four ordinary ones take turns (0.8 s); the search ran beside the first.
    assert searched < last_ordinary - 0.4
