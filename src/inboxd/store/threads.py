"""The worker threads that hold a database connection: every hop from the event loop to work on
PostgreSQL in a thread (a search; the token lookup, the rate limiter's shared count, an attachment;
an in-memory SQLite database's writes) goes through :func:`in_thread`, but the readiness probe's.
A request's ordinary reads and writes on PostgreSQL run on the event loop instead
(store/loop_work.py).

On PostgreSQL, at most as many of them run at once, per event loop, as the engine's pool keeps
connections for them. With anyio's default of 40 threads over a pool of 8, the threads beyond the
pool either waited inside the pool for a connection (holding a thread, and the GIL on each retry)
or, with overflow allowed, opened a connection of their own that was closed as soon as it came
back, so the next request paid for a new backend. Both cost more than the wait for a turn here,
on the event loop (docs/decisions.md, Performance: "One thread per pooled connection";
bench/BENCHMARKS.md, "The pool").

The pool keeps :data:`COSTLY_READS` connections out of the ordinary turns, and :data:`UNTURNED`
out of all of them: however many ordinary requests queue, a search, the snooze sweeper and the
readiness probe still find a connection, and the other way round. SQLite's other work
needs no turns of its own (its reads run on the event loop, its file writes in the group commit),
and takes anyio's default limiter.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar, TypeVarTuple

import anyio
from sqlalchemy import Engine

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

# Costly reads (searches) one process runs at once, each in a thread and on a connection of its
# own; the others wait their turn. One: their Python work (a search's parsing and SQL building)
# holds the GIL that the event loop needs, and with two at once the loop waited measurably longer
# (docs/decisions.md, Performance). Their turns are not the ordinary ones, so however many costly
# reads arrive, every other request still finds a thread and a connection.
COSTLY_READS = 1

# Connections of the pool that no turn takes: the worker's own threads (the snooze sweeper,
# operations/snoozes.py) and the readiness probe (api/health.py, abandoned when the database hangs)
# use the pool without waiting for a turn, and must find a connection all the same.
UNTURNED = 1

# The connections a serving worker keeps for its threads once its requests run on the event loop
# (store/loop_work.py): the rarer work around a request (a token this process does not know yet,
# the rate limiter's shared count, an attachment) takes three turns, a search the fourth, and the
# sweeper and the readiness probe the fifth (docs/deployment.md counts them in `max_connections`).
THREAD_CONNECTIONS = 5

_Turns = dict[str, anyio.CapacityLimiter]
_TURNS: weakref.WeakKeyDictionary[Engine, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns]] = (
    weakref.WeakKeyDictionary()
)


async def in_thread(engine: Engine, work: Callable[[*Ts], T], *args: *Ts, costly: bool = False) -> T:
    """``work(*args)`` in a worker thread, in one of the engine's turns (``costly``: a costly
    read's, :data:`COSTLY_READS`)."""
    return await anyio.to_thread.run_sync(work, *args, limiter=_turns(engine, costly))


def pool_size(engine: Engine) -> int:
    """The connections the engine's pool keeps: the ordinary turns, the costly reads' and the
    unturned together."""
    size = getattr(engine.pool, "size", None)
    return int(size()) if callable(size) else 1


def _turns(engine: Engine, costly: bool) -> anyio.CapacityLimiter | None:
    """The limiter of the turn asked for; None: anyio's default (SQLite's ordinary work)."""
    turns = _loop_turns(engine)
    if not turns:
        turns["costly"] = anyio.CapacityLimiter(COSTLY_READS)
        if engine.dialect.name == "postgresql":
            turns["ordinary"] = anyio.CapacityLimiter(max(1, pool_size(engine) - COSTLY_READS - UNTURNED))
    return turns.get("costly" if costly else "ordinary")


def _loop_turns(engine: Engine) -> _Turns:
    """The turns of ``engine`` on the running event loop (an anyio limiter belongs to one)."""
    loop = asyncio.get_running_loop()
    by_loop = _TURNS.get(engine)
    if by_loop is None:
        by_loop = _TURNS[engine] = weakref.WeakKeyDictionary()
    turns = by_loop.get(loop)
    if turns is None:
        turns = by_loop[loop] = {}
    return turns
