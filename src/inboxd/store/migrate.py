"""Schema migrations with Alembic, applied by `inboxd migrate` and at the start of `inboxd serve`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``; safe to run any number of times."""
    config = alembic_config(engine)
    with engine.connect() as conn:
        conn.info["write"] = True
        with conn.begin():
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
