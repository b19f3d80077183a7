"""Schema migrations with Alembic, applied by `inboxd migrate` and at the start of `inboxd serve`."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from inboxd.store.transactions import writing_connection

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is a ConfigParser, which reads "%" as interpolation: a percent-encoded
    # password or a SQLite URI with "?mode=ro" escapes must reach it doubled.
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


# Any constant: PostgreSQL's advisory locks are one namespace per database, and only inboxd takes one.
_START_UP_LOCK = 0x1B0CD


def one_start_up_at_a_time(conn: Connection) -> None:
    """Hold, until ``conn``'s transaction ends, the lock that makes processes starting together
    on one PostgreSQL database (several `inboxd serve` behind a load balancer, started at once)
    migrate and apply their workspace file one after the other: two `CREATE TABLE alembic_version`
    at once fail the second with a unique violation (PostgreSQL's catalog), not with "exists".
    SQLite needs none: a write transaction there begins IMMEDIATE, which is already one at a time."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _START_UP_LOCK})


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``; safe to run any number of times, from several processes
    at once."""
    config = alembic_config(engine)
    with engine.connect() as conn, writing_connection(conn), conn.begin():
        one_start_up_at_a_time(conn)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


@functools.cache
def head_revision() -> str | None:
    """The newest revision of the migrations this code ships: read from the scripts once per process."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revisions(conn: Connection) -> list[str]:
    """The revisions alembic's own table says the database is at (one, unless branches exist). A
    database never migrated has no such table: the query fails, and the caller says not ready."""
    return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
