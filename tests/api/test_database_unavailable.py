"""When the database cannot serve a request (PostgreSQL down or refusing connections, SQLite's disk
full or its file out of reach), the client gets a 503 `service_unavailable` with `Retry-After` in
Intercom's `error.list`, so it knows to try again, and nothing of the request is stored. A
statement inboxd got wrong is still a 500: that is a bug, not an outage."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from starlette.routing import Route
from starlette.testclient import TestClient

from inboxd.api.rate_limits import DEFAULT_PER_MINUTE, RateLimiter
from inboxd.app import create_app
from inboxd.domain.clock import FrozenClock
from inboxd.store.database_errors import database_unavailable
from inboxd.store.engine import POOLER_PARAMETER, make_engine
from tests import factories
from tests.api.test_errors import error_of
from tests.conftest import ACME_TOKEN, Api

AUTH = {"Authorization": f"Bearer {ACME_TOKEN}"}


def _unavailable(response: Any) -> None:
    error = error_of(response, 503, "service_unavailable")
    assert error["message"] == "The database is unavailable; try again shortly"
    assert response.headers["retry-after"] == "1"


def test_postgresql_refusing_connections_is_503_on_reads_and_writes(clock: FrozenClock) -> None:
    # Nothing listens on port 1: every connection is refused, as when the server is stopped.
    down = make_engine("postgresql+psycopg://inboxd:inboxd@127.0.0.1:1/inboxd?connect_timeout=2")
    with TestClient(create_app(down, clock), raise_server_exceptions=False) as client:
        _unavailable(client.get("/conversations", headers=AUTH))
        query = {"query": {"field": "state", "operator": "=", "value": "open"}}
        _unavailable(client.post("/conversations/search", headers=AUTH, json=query))
        _unavailable(client.post("/tags", headers=AUTH, json={"name": "vip"}))
    down.dispose()


def test_sqlite_file_out_of_reach_is_503(tmp_path: Path, clock: FrozenClock) -> None:
    (tmp_path / "inboxd.sqlite3").mkdir()  # a directory where the file should be: SQLITE_CANTOPEN
    gone = make_engine(f"sqlite:///{tmp_path}/inboxd.sqlite3")
    with TestClient(create_app(gone, clock), raise_server_exceptions=False) as client:
        _unavailable(client.get("/me", headers=AUTH))
    gone.dispose()


def test_a_reply_the_full_disk_cannot_hold_is_503_and_leaves_the_conversation_as_it_was(
    tmp_path: Path, sqlite_template: Path, clock: FrozenClock
) -> None:
    path = tmp_path / "inboxd.sqlite3"
    shutil.copyfile(sqlite_template, path)
    roomy = make_engine(f"sqlite:///{path}")
    with TestClient(create_app(roomy, clock)) as client:
        api = Api(client, ACME_TOKEN)
        conversation = factories.conversation(api)
        contact_id = conversation["contacts"]["contacts"][0]["id"]
    roomy.dispose()

    # The same file, the disk now full: the database may not grow by a page.
    full = make_engine(f"sqlite:///{path}")

    @event.listens_for(full, "connect")
    def no_room(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.execute("PRAGMA max_page_count = 1").close()  # never below the file's size: no new page

    reply = {"type": "user", "intercom_user_id": contact_id, "message_type": "comment", "body": "x" * 200_000}
    with TestClient(create_app(full, clock), raise_server_exceptions=False) as client:
        _unavailable(client.post(f"/conversations/{conversation['id']}/reply", headers=AUTH, json=reply))
        after = Api(client, ACME_TOKEN).get(f"/conversations/{conversation['id']}")  # reads still work
    full.dispose()

    assert after.status_code == 200
    assert after.json()["conversation_parts"] == conversation["conversation_parts"]
    assert after.json()["updated_at"] == conversation["updated_at"]


def test_a_statement_inboxd_got_wrong_is_still_a_500(engine: Any, clock: FrozenClock) -> None:
    def broken(request: Any) -> Any:
        with engine.connect() as conn:
            conn.execute(text("SELECT no_such_column FROM conversations"))

    app = create_app(engine, clock)
    app.router.routes.append(Route("/broken", broken))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/broken")
    error_of(response, 500, "server_error")
    assert "retry-after" not in response.headers


STATEMENTS = {"locked": "INSERT INTO t VALUES (1)", "syntax": "SELEC 1", "no such table": "SELECT * FROM nope"}


@pytest.mark.parametrize(("cause", "unavailable"), [("locked", True), ("syntax", False), ("no such table", False)])
def test_sqlite_errors_are_told_apart_by_their_result_code(tmp_path: Path, cause: str, unavailable: bool) -> None:
    url = f"sqlite:///{tmp_path}/x.sqlite3"
    holder = sqlite3.connect(tmp_path / "x.sqlite3")
    holder.execute("CREATE TABLE t (x)")
    holder.commit()
    engine = create_engine(url, connect_args={"timeout": 0})
    statement = STATEMENTS[cause]
    if cause == "locked":
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock past the busy timeout
    with pytest.raises(OperationalError) as raised, engine.begin() as conn:
        conn.execute(text(statement))
    holder.close()
    engine.dispose()
    assert database_unavailable(raised.value) is unavailable


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)  # SQLite's connections are files
@pytest.mark.parametrize("meets_it", ["the request's own work", "the rate limit's shared count"])
def test_connections_the_server_dropped_cost_no_request_an_error(
    engine: Any, clock: FrozenClock, meets_it: str
) -> None:
    """No connection is pinged when it leaves the pool (store/engine.py): after PostgreSQL dropped
    them (a restart, an idle timeout), the first statement on each fails and the transaction runs
    again on a new connection, so reads and writes still answer 200: whether the first transaction
    to meet a dropped connection is the request's read or write, or the rate limiter adding the
    request to the count every process shares (api/rate_limits.py)."""
    with TestClient(create_app(engine, clock)) as client:
        if meets_it == "the rate limit's shared count":  # every call adds to the shared count first
            client.app.state.rate_limiter = RateLimiter(engine, DEFAULT_PER_MINUTE, interval=0)  # type: ignore[attr-defined]
        else:
            client.app.state.rate_limiter = None  # type: ignore[attr-defined]
        api = Api(client, ACME_TOKEN)
        conversation = factories.conversation(api)
        path = f"/conversations/{conversation['id']}"
        admin = api.get("/admins").json()["admins"][0]
        for answer in ("read", "write"):
            # Every other connection of the database ends, from a connection of its own (the
            # engine's pooled ones may be among those ended the time before).
            with _terminator(engine) as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            if answer == "read":
                client.app.state.render_cache._entries.clear()  # type: ignore[attr-defined]
                assert api.get(path).status_code == 200
            else:
                reply = {"message_type": "note", "type": "admin", "admin_id": admin["id"], "body": "still here"}
                assert api.post(f"{path}/reply", json=reply).status_code == 200
        assert [p["body"] for p in api.get(path).json()["conversation_parts"]["conversation_parts"]] == ["still here"]


@contextlib.contextmanager
def _terminator(engine: Any) -> Iterator[Any]:
    alone = create_engine(engine.url.difference_update_query([POOLER_PARAMETER]), poolclass=NullPool)
    try:
        with alone.connect() as conn:
            yield conn
    finally:
        alone.dispose()
