"""Engines for SQLite (the embedded default) and PostgreSQL, as inboxd configures them.

SQLite gets WAL, a busy timeout, its checkpoints moved to a thread (store/checkpoints.py), a write
gate (store/write_gate.py) and write transactions that take the write lock up front (``BEGIN
IMMEDIATE``, for the transactions store/transactions.py marks as writes). Every engine enforces
the time budget of a read that has one (store/budget.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import psycopg.types.json
from sqlalchemy import Connection, CursorResult, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from inboxd.store.budget import within_budget
from inboxd.store.checkpoints import WAL_AUTOCHECKPOINT_PAGES
from inboxd.store.transactions import writing
from inboxd.store.write_gate import give_gate

DEFAULT_DATABASE_URL = "sqlite:///./data/inboxd.sqlite3"

# The URL parameter that says PostgreSQL is reached through a pooler that hands a server connection
# to another client after each transaction (PgBouncer's `pool_mode = transaction`): inboxd's own,
# taken off the URL before connecting (docs/deployment.md, "Through a connection pooler").
POOLER_PARAMETER = "pooler"
POOLER_MODES = ("transaction",)

# The startup setting of the connections that run requests' prepared statements (make_loop_engine,
# store/cached_reads.py): one generic plan each, planned once per connection.
GENERIC_PLANS = "-c plan_cache_mode=force_generic_plan"


def normalise_url(url: str) -> str:
    """Accept the URLs people paste: ``postgres://`` and ``postgresql://`` mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, pool_size: int = 8) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
    else:
        target, options = _postgres(parsed, pool_size)
        engine = create_engine(target, **options)
        _configure_postgres(engine)
    event.listen(engine, "before_cursor_execute", within_budget)
    return engine


def make_loop_engine(engine: Engine, pool_size: int | None) -> AsyncEngine:
    """The PostgreSQL engine of one event loop, configured as ``engine`` is (its database, its
    pooler, the same connection settings): psycopg's AsyncConnection under SQLAlchemy's asyncio
    layer, so a request's statements are awaited on the loop instead of run in a thread
    (store/loop_work.py). ``pool_size`` None: no connection kept, each closed after its use."""
    target, options = _postgres(engine.url, pool_size or 1)
    startup = options["connect_args"].get("options")
    if startup is not None:
        # Generic plans for the prepared statements of requests: their shapes are fixed (a
        # conversation by its key, a page of a workspace's), and PostgreSQL otherwise kept planning
        # each execution anew, which cost it more than running the statement (docs/decisions.md,
        # Performance: "Generic plans"). Searches, whose plans depend on the values asked for, run
        # on the thread engine with PostgreSQL's default. Behind a pooler statements are not
        # prepared, so there is nothing to set.
        options["connect_args"]["options"] = f"{startup} {GENERIC_PLANS}"  # after the URL's, as in _postgres
    if pool_size is None:
        del options["pool_size"], options["max_overflow"]
        options["poolclass"] = NullPool
    loop_engine = create_async_engine(target, **options)
    _configure_postgres(loop_engine.sync_engine)
    event.listen(loop_engine.sync_engine, "before_cursor_execute", within_budget)
    return loop_engine


def _postgres(parsed: URL, pool_size: int) -> tuple[URL, dict[str, Any]]:
    """The URL and the ``create_engine`` options of a PostgreSQL engine. The pool keeps every
    connection it opens (no overflow: store/threads.py). No ping when a connection leaves the pool
    (a round trip per request): a connection the server dropped fails its first statement,
    SQLAlchemy then discards the pool's connections, and the request runs again on a new one
    (store/transactions.py ``transacted``)."""
    options: dict[str, Any] = {"pool_size": pool_size, "max_overflow": 0, "pool_pre_ping": False}
    if POOLER_PARAMETER in parsed.query:
        # Behind a transaction pooler one transaction's server connection is the next one's of
        # another client, so nothing may outlive a transaction on it. No server-side prepared
        # statements (psycopg prepares a statement run five times; PgBouncer before 1.21 does not
        # carry them over), and no startup `options` (PgBouncer refuses them): what the engine sets
        # per connection is set per transaction where it matters (store/search/searcher.py) or on
        # the database (docs/deployment.md).
        mode = parsed.query[POOLER_PARAMETER]
        if mode not in POOLER_MODES:
            raise ValueError(
                f"{POOLER_PARAMETER}={mode!r}: the pooler modes inboxd knows are {', '.join(POOLER_MODES)}"
            )
        options["connect_args"] = {"prepare_threshold": None}
    else:
        # JIT off: PostgreSQL compiles any plan estimated above jit_above_cost, which searches that
        # count a few thousand rows reach, and the compiling cost a sizeable share of such a query
        # (docs/decisions.md, Performance: "PostgreSQL connections run with").
        options["connect_args"] = {"options": startup_options(parsed, "-c jit=off")}
    return parsed, options


def startup_options(url: URL, *settings: str) -> str:
    """libpq's startup ``options`` of a connection to ``url``: those its URL gives (a user's own
    ``?options=-c statement_timeout=…``), then inboxd's ``settings``. Given as a connection
    argument, inboxd's would otherwise replace the URL's instead of adding to them."""
    given = url.query.get("options")
    return " ".join([*((given,) if isinstance(given, str) else (given or ())), *settings])


def _configure_postgres(engine: Engine) -> None:
    event.listen(engine, "connect", _json_by_orjson)
    if POOLER_PARAMETER in engine.url.query:
        # The engine's URL keeps the parameter (an engine made from it is pooled too); libpq is not given it.
        event.listen(engine, "do_connect", _without_pooler_parameter)


def _without_pooler_parameter(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
    cparams.pop(POOLER_PARAMETER, None)


def _json_by_orjson(_dbapi_conn: Any, record: Any) -> None:
    """JSON from PostgreSQL parsed by orjson, as SQLite's is (store/engine.py ``_sqlite_engine``):
    a conversation's read is JSON throughout (store/conversation_statements.py SHOWN_IN_FULL). Set
    on psycopg's own connection (under the asyncio layer, the DBAPI connection is an adapter)."""
    psycopg.types.json.set_json_loads(orjson.loads, record.driver_connection)


def pooled(engine: Engine) -> bool:
    """Whether ``engine`` reaches PostgreSQL through a transaction pooler (:func:`_postgres`)."""
    return POOLER_PARAMETER in engine.url.query


def libpq_url(url: URL) -> str:
    """``url`` as libpq takes it: its scheme, and without inboxd's own parameter."""
    return (
        url.set(drivername="postgresql")
        .difference_update_query([POOLER_PARAMETER])
        .render_as_string(hide_password=False)
    )


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    on_disk = bool(database) and database != ":memory:" and not database.startswith("file:")
    if on_disk:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # Never a wait for the pool: reads and writes run on the event loop (store/unit_of_work.py),
    # where a wait would stop the process, and a write's answer keeps its connection (its snapshot)
    # until it is drawn, after the writes queued behind it. Five kept (each holds up to 2 MB of
    # page cache; the loop uses two or three at a time), more opened when needed and closed when
    # given back. JSON columns (attachments, custom attributes) are parsed by orjson, faster than
    # the standard library, and every rendered part has one; written as before (docs/decisions.md,
    # Performance: "SQLite connections").
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=5,
        max_overflow=-1,
        json_deserializer=orjson.loads,
    )
    if on_disk:
        give_gate(engine, str(Path(database).expanduser()))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours to emit.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Checkpoints are a Checkpointer thread's work; a writer copies the WAL back itself only
        # when that thread is not running (a CLI command) or falls far behind.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # On the DBAPI connection, like store/prepared.py's statements: SQLAlchemy's own execution
        # costs more Python than the statement, and every request begins one transaction, every
        # write two.
        raw = conn.connection.driver_connection
        assert raw is not None
        if writing(conn):
            # A write's savepoints (store/unit_of_work.py) keep the pages they change in a
            # sub-journal, which SQLite moves to a temporary file once it passes 64 KiB: every
            # page a write changed then cost a write to that file too (docs/decisions.md,
            # Performance: "A SQLite write transaction runs with"). Kept in memory for the write
            # (reset when it ends, store/transactions.py); reads keep temporary files, as a
            # search's sort may be large.
            raw.execute("PRAGMA temp_store=MEMORY").close()
            raw.execute("BEGIN IMMEDIATE").close()
        else:
            raw.execute("BEGIN").close()

    return engine


def database_url_from_env() -> str:
    return os.environ.get("INBOXD_DATABASE_URL") or DEFAULT_DATABASE_URL


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer primary key an INSERT just generated."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


# What the layers above the store hold and pass back to it: the engine, never used by them directly.
Database = Engine
