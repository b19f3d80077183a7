"""A read transaction with a time budget (store/budget.py, `transaction(budget=…)`): a statement still
running when the time is up is ended, Python's time between statements counts too, and the
connection goes back to the pool as it came: the next transaction on it runs without a budget."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine

from inboxd.domain.errors import RequestTimeout
from inboxd.store.transactions import transaction
from tests.conftest import _Postgres

BUDGET = 0.1


def _slow(conn: Connection, seconds: float) -> None:
    """A statement that runs about ``seconds`` (SQLite: counting, at roughly 3M rows a second here)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_sleep({seconds})").all()
    else:
        rows = int(seconds * 3_000_000)
        conn.exec_driver_sql(
            f"WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < {rows}) SELECT count(*) FROM r"
        ).all()


def _statement_timeout(conn: Connection) -> str:
    return str(conn.exec_driver_sql("SHOW statement_timeout").scalar())


def test_a_statement_running_past_the_budget_is_ended_and_the_connection_comes_back_clean(engine: Engine):
    started = time.monotonic()
    with pytest.raises(RequestTimeout) as raised, transaction(engine, write=False, budget=BUDGET) as conn:
        driver = conn.connection.driver_connection
        _slow(conn, 30)
    assert time.monotonic() - started < 10  # ended, not run to its end
    assert raised.value.status == 504 and raised.value.code == "request_timeout"
    # The one pooled connection again, without a budget: a statement longer than BUDGET runs to its
    # end (no progress handler left on SQLite, no statement_timeout on PostgreSQL).
    with transaction(engine, write=False) as conn:
        assert conn.connection.driver_connection is driver
        _slow(conn, 3 * BUDGET)
        if conn.dialect.name == "postgresql":
            assert _statement_timeout(conn) == "0"
    with transaction(engine, write=True) as conn:  # and it writes
        assert conn.connection.driver_connection is driver
        conn.exec_driver_sql("UPDATE workspaces SET name = name")


def test_rows_fetched_from_the_driver_cursor_are_ended_too(engine: Engine):
    """store/search/ fetches some rows from the DBAPI cursor, past SQLAlchemy's error wrapping:
    SQLite runs most of such a statement while its rows are fetched."""
    if engine.dialect.name == "postgresql":
        slow = "SELECT pg_sleep(30)"
    else:
        slow = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 100000000) SELECT i FROM r"
    with pytest.raises(RequestTimeout), transaction(engine, write=False, budget=BUDGET) as conn:
        conn.exec_driver_sql(slow).cursor.fetchall()


def test_python_time_between_statements_counts(engine: Engine):
    with pytest.raises(RequestTimeout), transaction(engine, write=False, budget=BUDGET) as conn:
        conn.exec_driver_sql("SELECT 1").all()
        time.sleep(2 * BUDGET)
        conn.exec_driver_sql("SELECT 1").all()  # not started: the time is up


def test_a_read_within_its_budget_answers_and_commits(engine: Engine):
    with transaction(engine, write=False, budget=30) as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM workspaces").scalar() == 2
    with transaction(engine, write=False, budget=30) as conn:  # again, on the same connection
        assert conn.exec_driver_sql("SELECT count(*) FROM workspaces").scalar() == 2


@pytest.fixture
def postgres() -> Iterator[Engine]:
    """PostgreSQL only: SQLite's progress handler looks at the deadline itself."""
    engine = _Postgres.engine()
    yield engine
    engine.dispose()


def test_postgres_statements_may_run_only_what_is_left_of_the_budget(postgres: Engine):
    engine = postgres
    with transaction(engine, write=False, budget=2.0) as conn:
        first = _statement_timeout(conn)
        assert first.endswith("s") and 1.8 <= _seconds(first) <= 2.0
        assert _statement_timeout(conn) == first  # a fast read sets it once
        time.sleep(1.0)  # half the budget gone: what was set would run a statement past the end
        assert _seconds(_statement_timeout(conn)) <= 1.0
    with transaction(engine, write=False) as conn:
        assert _statement_timeout(conn) == "0"
    with transaction(engine, write=False, budget=2.0) as conn:  # the next read sets its own
        assert 1.8 <= _seconds(_statement_timeout(conn)) <= 2.0


def _seconds(shown: str) -> float:
    """PostgreSQL's SHOW of a duration (``1999ms``, ``2s``) in seconds."""
    if shown.endswith("ms"):
        return int(shown[:-2]) / 1000
    return float(shown.removesuffix("s"))
