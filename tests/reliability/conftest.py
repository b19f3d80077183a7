"""Databases for servers started as subprocesses: a SQLite file in the test's directory, or the
suite's own PostgreSQL database (tests/conftest.py), emptied for the test: creating and dropping a
database per test would cost a checkpoint each. Without INBOXD_TEST_POSTGRES_URL the PostgreSQL
half is skipped (a failure with INBOXD_REQUIRE_POSTGRES=1), as everywhere in the suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _Postgres
from tests.reliability.driver import sqlite_url


def database(engine: str, directory: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield sqlite_url(directory)
        return
    _Postgres.engine().dispose()  # skips or fails without a URL; migrated and truncated
    assert _Postgres.url is not None
    yield _Postgres.url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database(request.param, tmp_path)
