"""PostgreSQL work on the event loop: a request's read or write (store/unit_of_work.py) runs its
transaction on a connection of the event loop's own engine (psycopg's AsyncConnection under
SQLAlchemy's asyncio layer), so each statement's round trip is awaited on the loop while the other
requests go on. The rarer work around a request (a token this process does not know yet, the rate
limiter's shared count, an attachment, the readiness probe) still takes a thread
(store/threads.py).

The store's code stays synchronous: ``AsyncConnection.run_sync`` runs it on the loop in a greenlet,
and every statement it sends switches back to the loop until PostgreSQL answers. In a worker
thread instead, each statement's answer had to win the GIL back from the loop, and the threads and
the loop took it from each other thousands of times a second: the same requests ran at about half
the rate of cold GETs (docs/decisions.md, Performance: "PostgreSQL work on the event loop").

What a transaction is (its isolation, its memo, its budget) is store/transactions.py ``begun``,
the same as in a thread. Searches still run in a thread (store/unit_of_work.py ``costly_read``):
their Python work is long, and on the loop it would hold up every other request.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from inboxd.store.engine import make_loop_engine
from inboxd.store.transactions import DROPPED_ATTEMPTS, begun, runs_again

T = TypeVar("T")

# Connections each event loop keeps: as many transactions at once as the loop's requests need
# while the others wait for PostgreSQL (docs/deployment.md counts them in `max_connections`).
LOOP_CONNECTIONS = 8


@dataclass
class _Kept:
    """A loop's engine of one sync engine, and how many apps on that loop opened it (0: the
    no-connection engine of a loop that opened none)."""

    engine: AsyncEngine
    opens: int = 0


_KEPT: weakref.WeakKeyDictionary[Engine, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Kept]] = (
    weakref.WeakKeyDictionary()
)


def on_loop(engine: Engine) -> bool:
    """Whether ``engine``'s work runs on the event loop (PostgreSQL's)."""
    return engine.dialect.name == "postgresql"


async def transacted_on_loop(
    engine: Engine,
    work: Callable[[Connection], T],
    write: bool = False,
    isolated: bool = True,
    attempts: int = DROPPED_ATTEMPTS,
) -> T:
    """``work`` in one transaction (store/transactions.py ``begun``) on a connection of the
    running loop's engine, run again once on a new connection when the one it had was found
    dropped (no connection is pinged when it leaves the pool), as ``transacted`` does in a thread.
    ``attempts=1``: never again here (a request's write, which store/unit_of_work.py retries)."""
    engine_of_loop = loop_engine(engine)
    for attempt in range(attempts):
        try:
            async with engine_of_loop.connect() as conn:
                return await conn.run_sync(_in_transaction, work, write, isolated)
        except DBAPIError as error:
            if not runs_again(error, attempt, attempts):
                raise
    raise AssertionError("unreachable")


def _in_transaction(conn: Connection, work: Callable[[Connection], T], write: bool, isolated: bool) -> T:
    with begun(conn, write, isolated=isolated):
        return work(conn)


async def open_loop_engine(engine: Engine) -> None:
    """Keep connections of ``engine`` for the running loop (the app's start, on its loop): up to
    :data:`LOOP_CONNECTIONS`, closed by the last :func:`close_loop_engine` of that loop (two apps
    on one engine and loop, as tests run them, share it)."""
    kept = _kept(engine)
    loop = asyncio.get_running_loop()
    found = kept.get(loop)
    if found is None or found.opens == 0:
        found = kept[loop] = _Kept(make_loop_engine(engine, LOOP_CONNECTIONS))
    found.opens += 1


async def close_loop_engine(engine: Engine) -> None:
    """Close the running loop's connections of ``engine`` (the app's end, on its loop), once every
    :func:`open_loop_engine` of the loop has its close."""
    kept = _kept(engine)
    loop = asyncio.get_running_loop()
    found = kept.get(loop)
    if found is None:
        return
    found.opens -= 1
    if found.opens <= 0:
        del kept[loop]
        await found.engine.dispose()


def loop_engine(engine: Engine) -> AsyncEngine:
    """``engine``'s engine on the running event loop (an asyncio connection belongs to one). A
    loop that did not open one (an app run without its lifespan, as a test client may) gets one
    that keeps no connection: each transaction opens its own and closes it, so nothing is left
    open when that loop goes away."""
    kept = _kept(engine)
    loop = asyncio.get_running_loop()
    found = kept.get(loop)
    if found is None:
        found = kept[loop] = _Kept(make_loop_engine(engine, None))
    return found.engine


def _kept(engine: Engine) -> weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Kept]:
    kept = _KEPT.get(engine)
    if kept is None:
        kept = _KEPT[engine] = weakref.WeakKeyDictionary()
    return kept
