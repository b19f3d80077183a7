"""A read transaction's time budget: past it, the transaction is ended with
:class:`~inboxd.domain.errors.RequestTimeout`, whatever it is doing (store/transactions.py
``transaction(budget=…)``, for searches: docs/search.md, "Time budget").

The budget lives in the connection's ``info`` under :data:`_BUDGET`: SQLAlchemy's
``before_cursor_execute`` event, which enforces it between statements, sees nothing but the
connection. Nothing outside this module reads it."""

from __future__ import annotations

import contextlib
import math
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import psycopg
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from inboxd.domain.errors import RequestTimeout

# SQLite VM instructions between two looks at the clock of a read with a budget: often enough that
# it ends soon after its time is up, seldom enough that the look (a Python call, which takes the
# GIL back from the other threads) costs nothing next to the instructions between two of them.
BUDGET_CHECK_INSTRUCTIONS = 10_000

_BUDGET = "budget"  # (deadline on time.monotonic(), the budget's seconds)
_STATEMENT_TIMEOUT = "statement_timeout"  # PostgreSQL: seconds the last SET LOCAL allowed


@contextlib.contextmanager
def budgeted(conn: Connection, seconds: float) -> Iterator[None]:
    """The read transaction on ``conn`` ended once it has run ``seconds``, whatever it is doing:
    SQLite's progress handler interrupts a statement running past the end; on PostgreSQL each
    statement runs under a ``statement_timeout`` of what is left (:func:`within_budget`); and no
    statement starts once the time is up, so Python's work between statements counts too. The
    statement ended that way fails, the transaction rolls back and :class:`RequestTimeout` is
    raised. The connection goes back to the pool as it came: the handler is removed here, and
    ``SET LOCAL`` ends with the transaction."""
    deadline = time.monotonic() + seconds
    conn.info[_BUDGET] = (deadline, seconds)
    raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
    if raw is not None:
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
        conn.info.pop(_BUDGET, None)
        conn.info.pop(_STATEMENT_TIMEOUT, None)


def within_budget(
    conn: Connection, cursor: Any, _statement: str, _parameters: Any, _context: Any, _executemany: bool
) -> None:
    """Before each statement (every engine's ``before_cursor_execute``, store/engine.py) of a
    transaction with a budget (:func:`budgeted`): none once the time is up; on PostgreSQL, a
    ``statement_timeout`` of what is left, set again only when the one set would let this statement
    run on past the end by more than a tenth of the budget (a fast read sets it once)."""
    budget = conn.info.get(_BUDGET)
    if budget is None:
        return
    deadline, seconds = budget
    now = time.monotonic()
    if now >= deadline:
        raise _timeout(seconds)
    if conn.dialect.name != "postgresql":
        return
    if now + conn.info.get(_STATEMENT_TIMEOUT, math.inf) > deadline + seconds / 10:
        left = deadline - now
        cursor.execute(f"SET LOCAL statement_timeout = {max(1, math.ceil(left * 1000))}")
        conn.info[_STATEMENT_TIMEOUT] = left


def _ended_by_budget(exc: BaseException) -> bool:
    """Whether the driver says the statement was ended by :func:`budgeted`'s means, raised through
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
