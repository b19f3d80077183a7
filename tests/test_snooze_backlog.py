"""A server started on a database where 20,000 snoozes ran out while it was down answers its first
requests in normal time: the backlog is woken by the sweep of operations/snoozes.py, in small
transactions beside the requests, not by the first request that comes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import create_engine, text

from tests.server import Server, postgres_database

DUE = 20_000
SEEDED_UNTIL = 1_767_225_600  # 2026-01-01: the seed's history ends long before the server starts
FIRST_ANSWER_SECONDS = 1.0  # "normal time" on a loaded CI machine; a request waiting for the backlog took minutes
SWEPT_WITHIN_SECONDS = 120.0


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/backlog.sqlite3"
    else:
        with postgres_database("inboxd_backlog") as url:
            yield url


def _inboxd(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "inboxd", *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _snoozed(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM conversations WHERE state = 'snoozed'")).scalar_one())
    finally:
        engine.dispose()


def test_the_first_requests_after_a_restart_do_not_wait_for_due_snoozes(database_url, tmp_path):
    _inboxd(
        "seed",
        *("--database-url", database_url, "--conversations", str(DUE), "--parts-per-conversation", "1-2"),
        *("--now", str(SEEDED_UNTIL), "--jobs", "2"),
    )
    token = _inboxd("token", "create", "--database-url", database_url, "--workspace", "demo").strip()
    engine = create_engine(database_url)
    with engine.begin() as conn:  # every conversation snoozed until a moment long past
        conn.execute(text("UPDATE conversations SET state = 'snoozed', snoozed_until = created_at + 60"))
    engine.dispose()
    assert _snoozed(database_url) == DUE

    server = Server(tmp_path, database_url, {}, "backlog")
    try:
        server.wait_ready()
        with httpx2.Client(base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            for path in ("/admins", "/conversations/1", "/conversations?per_page=5", "/healthz"):
                started = time.monotonic()
                assert http.get(path).status_code == 200, path
                assert time.monotonic() - started < FIRST_ANSWER_SECONDS, path
            deadline = time.monotonic() + SWEPT_WITHIN_SECONDS
            while _snoozed(database_url) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert _snoozed(database_url) == 0
            parts = http.get("/conversations/1").json()["conversation_parts"]["conversation_parts"]
            assert "timer_unsnooze" in [part["part_type"] for part in parts]
    finally:
        server.stop()
    assert "Traceback" not in server.logs()
