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


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``; safe to run any number of times."""
    config = alembic_config(engine)
    with engine.connect() as conn, writing_connection(conn), conn.begin():
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
