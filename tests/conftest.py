"""Fixtures shared by every test: one engine fixture that runs each storage and API test on SQLite
and on PostgreSQL, two workspaces, and an HTTP client that validates every JSON
response against intercom-2.10.yaml.

PostgreSQL tests need ``INBOXD_TEST_POSTGRES_URL`` (e.g. postgresql+psycopg://inboxd:inboxd@127.0.0.1/inboxd_test).
Without it they are skipped with that reason; ``.ci/run`` sets it and sets
``INBOXD_REQUIRE_POSTGRES=1``, which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import ProgrammingError
from starlette.testclient import TestClient

from inboxd.app import create_app
from inboxd.config import WorkspaceFile
from inboxd.domain import versions
from inboxd.domain.clock import FrozenClock
from inboxd.store import migrate
from inboxd.store.engine import make_engine
from inboxd.store.tables import metadata
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import apply_workspace_file
from tests import spec

POSTGRES_URL = os.environ.get("INBOXD_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("INBOXD_REQUIRE_POSTGRES") == "1"
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z: tests run on a frozen clock

ACME_TOKEN = "acme-test-token"
GLOBEX_TOKEN = "globex-test-token"

WORKSPACES = WorkspaceFile.model_validate(
    {
        "workspaces": [
            {
                "name": "Acme",
                "id_code": "acme",
                "access_tokens": [ACME_TOKEN],
                "admins": [
                    {"name": "Ada Admin", "email": "ada@acme.test", "job_title": "Support lead"},
                    {"name": "Bob Builder", "email": "bob@acme.test"},
                ],
                "teams": [{"name": "Support", "admin_emails": ["ada@acme.test", "bob@acme.test"]}],
            },
            {
                "name": "Globex",
                "id_code": "globex",
                "access_tokens": [GLOBEX_TOKEN],
                "admins": [{"name": "Hank Scorpio", "email": "hank@globex.test"}],
                "teams": [{"name": "Villains", "admin_emails": ["hank@globex.test"]}],
            },
        ]
    }
)


def pytest_report_header(config: pytest.Config) -> list[str]:
    if POSTGRES_URL:
        return [f"inboxd: PostgreSQL tests run against {POSTGRES_URL.rsplit('@', 1)[-1]}"]
    return ["inboxd: PostgreSQL tests SKIPPED (set INBOXD_TEST_POSTGRES_URL to run them; see README)"]


class _Postgres:
    """A database of this test session's own, created beside the one INBOXD_TEST_POSTGRES_URL names
    (the role needs CREATEDB), so that concurrent test runs never truncate each other's tables."""

    url: str | None = None

    @classmethod
    def engine(cls) -> Engine:
        if not POSTGRES_URL:
            reason = "PostgreSQL not configured: set INBOXD_TEST_POSTGRES_URL to run the PostgreSQL half"
            if REQUIRE_POSTGRES:
                pytest.fail(reason + " (INBOXD_REQUIRE_POSTGRES=1 makes it mandatory)")
            pytest.skip(reason)
        if cls.url is None:
            base = make_url(POSTGRES_URL)
            name = f"{base.database}_{os.getpid()}"
            admin = make_engine(POSTGRES_URL, pool_size=1)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            cls.url = base.set(database=name).render_as_string(hide_password=False)
            engine = make_engine(cls.url, pool_size=4)
            migrate.upgrade(engine)
            return engine
        engine = make_engine(cls.url, pool_size=4)
        names = ", ".join(table.name for table in metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return engine

    @classmethod
    def drop(cls) -> None:
        if cls.url is None or not POSTGRES_URL:
            return
        name = make_url(cls.url).database
        admin = make_engine(POSTGRES_URL, pool_size=1)
        # PostgreSQL 15 refuses FORCE while an autovacuum worker is in the database (not a process
        # this role may terminate; the suite writes enough to wake one): wait for it to finish.
        for attempt in range(30):
            try:
                with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except ProgrammingError:
                if attempt == 29:
                    raise
                time.sleep(1.0)
        admin.dispose()
        cls.url = None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _Postgres.drop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database holding the two workspaces, made once: each test copies it
    (a file copy instead of running every migration again)."""
    path = tmp_path_factory.mktemp("template") / "inboxd.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with transaction(engine, write=True) as conn:
        apply_workspace_file(conn, WORKSPACES, T0)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        engine = _Postgres.engine()
        with transaction(engine, write=True) as conn:
            apply_workspace_file(conn, WORKSPACES, T0)
    else:
        shutil.copyfile(sqlite_template, tmp_path / "inboxd.sqlite3")
        engine = make_engine(f"sqlite:///{tmp_path}/inboxd.sqlite3")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Engine]]:
    """(engine name, engine): one database per engine for a whole module, made as `engine` makes
    them, for the spec-driven tests that run hundreds of cases, each making what it needs beside
    what the ones before left (a fresh database a case would cost more than the case)."""
    if request.param == "postgres":
        engine = _Postgres.engine()
    else:
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('module')}/inboxd.sqlite3")
        migrate.upgrade(engine)
    with transaction(engine, write=True) as conn:
        apply_workspace_file(conn, WORKSPACES, T0)
    yield request.param, engine
    engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0 + 3600)


class Api:
    """An HTTP client for one workspace token that checks every JSON response against the
    description of the version it asks for (``version``: sent as Intercom-Version on every request;
    None sends no header, which the test workspaces answer in 2.10)."""

    def __init__(self, client: TestClient, token: str | None, version: str | None = None) -> None:
        self.client = client
        self.token = token
        self.version = version

    def at(self, version: str | None) -> Api:
        """The same client asking for ``version``."""
        return Api(self.client, self.token, version)

    def request(self, method: str, path: str, *, validate: bool = True, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if self.version is not None:
            headers.setdefault("Intercom-Version", self.version)
        response = self.client.request(method, path, headers=headers, **kwargs)
        assert response.headers["content-type"].startswith("application/json"), response.text
        body = response.json()
        if body.get("type") == "error.list":
            assert response.headers["x-request-id"] == body["request_id"]
        if validate:
            asked = next((value for name, value in headers.items() if name.lower() == "intercom-version"), None)
            known = versions.version_named(asked.strip()) if asked is not None else None
            spec.validate(method, path, response.status_code, body, known.shape if known else spec.DEFAULT)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, json=json, **kwargs)

    def delete(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("DELETE", path, json=json, **kwargs)


@pytest.fixture
def client(engine: Engine, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(engine, clock), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client, ACME_TOKEN)


@pytest.fixture
def globex(client: TestClient) -> Api:
    return Api(client, GLOBEX_TOKEN)


@pytest.fixture
def anonymous(client: TestClient) -> Api:
    return Api(client, None)
