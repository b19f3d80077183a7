"""Which database failures mean "cannot serve now" (a 503 with Retry-After, api/errors.py) rather
than "inboxd asked something wrong" (a 500, a bug)."""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLite's result codes that say the database cannot be used now (locked past the busy timeout,
# out of memory or disk, an I/O failure, a file it cannot open or write), not that a statement is
# wrong: a bad statement is SQLITE_ERROR and stays a 500, a bug.
_SQLITE_UNAVAILABLE = frozenset({"BUSY", "LOCKED", "NOMEM", "READONLY", "IOERR", "FULL", "CANTOPEN", "PROTOCOL"})


def database_unavailable(exc: Exception) -> bool:
    """Whether ``exc`` says the database cannot serve the request now, rather than that inboxd
    asked it something wrong. PostgreSQL: every OperationalError (psycopg's class for a lost or
    refused connection, too many clients, a server shutting down, a deadlock, a cancelled
    statement); SQLite: the result codes above. The pool out of connections past its wait, too."""
    if isinstance(exc, PoolTimeout):
        return True
    driver = exc.orig if isinstance(exc, OperationalError) else exc  # raised by the driver itself
    if isinstance(driver, psycopg.OperationalError):
        return True
    if isinstance(driver, sqlite3.OperationalError):
        return driver.sqlite_errorname.split("_")[1] in _SQLITE_UNAVAILABLE  # SQLITE_IOERR_WRITE: IOERR
    return False


# What a database failure is raised as, by SQLAlchemy, its pool or a driver used directly
# (store/prepared.py, savepoints): api/errors.py answers each with database_unavailable's verdict.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    PoolTimeout,
    sqlite3.OperationalError,
    psycopg.OperationalError,
)
