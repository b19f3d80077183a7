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
import logging
import weakref
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from inboxd.store.engine import make_loop_engine
from inboxd.store.transactions import begun

log = logging.getLogger("inboxd.engine")

T = TypeVar("T")

# Connections each event loop keeps: as many transactions at once as the loop's requests need
# while the others wait for PostgreSQL (docs/deployment.md counts them in `max_connections`).
LOOP_CONNECTIONS = 8

_ENGINES: weakref.WeakKeyDictionary[Engine, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncEngine]] = (
    weakref.WeakKeyDictionary()
)
_OPENS: weakref.WeakKeyDictionary[Engine, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, int]] = (
    weakref.WeakKeyDictionary()
)


def on_loop(engine: Engine) -> bool:
    """Whether ``engine``'s work runs on the event loop (PostgreSQL's)."""
    return engine.dialect.name == "postgresql"


async def transacted_on_loop(
    engine: Engine, work: Callable[[Connection], T], write: bool = False, isolated: bool = True, attempts: int = 2
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
            if attempt == attempts - 1 or not error.connection_invalidated:
                raise
            log.info("a pooled connection was dropped by the database; the transaction runs again")
    raise AssertionError("unreachable")


def _in_transaction(conn: Connection, work: Callable[[Connection], T], write: bool, isolated: bool) -> T:
    with begun(conn, write, isolated=isolated):
        return work(conn)


async def open_loop_engine(engine: Engine) -> None:
    """Keep connections of ``engine`` for the running loop (the app's start, on its loop): up to
    :data:`LOOP_CONNECTIONS`, closed by the last :func:`close_loop_engine` of that loop (two apps
    on one engine and loop, as tests run them, share it)."""
    loop = asyncio.get_running_loop()
    by_loop = _by_loop(engine)
    opens = _OPENS.setdefault(engine, weakref.WeakKeyDictionary())
    if opens.get(loop, 0) == 0:
        by_loop[loop] = make_loop_engine(engine, LOOP_CONNECTIONS)
    opens[loop] = opens.get(loop, 0) + 1


async def close_loop_engine(engine: Engine) -> None:
    """Close the running loop's connections of ``engine`` (the app's end, on its loop), once every
    :func:`open_loop_engine` of the loop has its close."""
    loop = asyncio.get_running_loop()
    opens = _OPENS.get(engine)
    left = (opens.get(loop, 1) if opens is not None else 1) - 1
    if opens is not None and left > 0:
        opens[loop] = left
        return
    if opens is not None:
        opens.pop(loop, None)
    engine_of_loop = _by_loop(engine).pop(loop, None)
    if engine_of_loop is not None:
        await engine_of_loop.dispose()


def loop_engine(engine: Engine) -> AsyncEngine:
    """``engine``'s engine on the running event loop (an asyncio connection belongs to one). A
    loop that did not open one (an app run without its lifespan, as a test client may) gets one
    that keeps no connection: each transaction opens its own and closes it, so nothing is left
    open when that loop goes away."""
    by_loop = _by_loop(engine)
    loop = asyncio.get_running_loop()
    engine_of_loop = by_loop.get(loop)
    if engine_of_loop is None:
        engine_of_loop = by_loop[loop] = make_loop_engine(engine, None)
    return engine_of_loop


def _by_loop(engine: Engine) -> weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncEngine]:
    by_loop = _ENGINES.get(engine)
    if by_loop is None:
        by_loop = _ENGINES[engine] = weakref.WeakKeyDictionary()
    return by_loop
