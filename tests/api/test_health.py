"""`GET /healthz` and `GET /readyz` (api/health.py), and a graceful stop of `inboxd serve`: a request
in flight when SIGTERM arrives is answered before the server exits."""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from starlette.testclient import TestClient

from inboxd.app import create_app
from inboxd.store import migrate
from inboxd.store.engine import make_engine
from inboxd.store.tables import contacts
from inboxd.store.transactions import transaction
from tests.conftest import ACME_TOKEN, Api
from tests.server import Server


def test_healthz_needs_no_token_and_no_database(tmp_path):
    # An engine whose database cannot even be opened: /healthz does not care.
    broken = create_engine(f"sqlite:///{tmp_path}/missing-dir/inboxd.sqlite3")
    with TestClient(create_app(broken)) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "x-ratelimit-limit" not in response.headers


def test_readyz_says_ready_at_the_newest_migration(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "migration": migrate.head_revision()}


def test_health_is_outside_auth_and_rate_limits(engine, clock):
    with TestClient(create_app(engine, clock, rate_limit=6)) as client:  # one call per window
        assert Api(client, ACME_TOKEN).get("/me").status_code == 200
        assert Api(client, ACME_TOKEN).get("/me").status_code == 429
        for _ in range(3):
            assert client.get("/healthz", headers={"Authorization": f"Bearer {ACME_TOKEN}"}).status_code == 200
            assert client.get("/readyz").status_code == 200


def test_readyz_is_503_behind_the_newest_migration(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    migrate.upgrade(engine, "0001")
    with TestClient(create_app(engine)) as client:
        response = client.get("/readyz")
    engine.dispose()
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "migration": "0001",
        "expected": migrate.head_revision(),
    }


def test_readyz_is_503_without_a_database(tmp_path):
    broken = create_engine(f"sqlite:///{tmp_path}/missing-dir/inboxd.sqlite3")
    with TestClient(create_app(broken)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


# -- graceful shutdown ---------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    started = Server(tmp_path, f"sqlite:///{tmp_path}/graceful.sqlite3", {}, "graceful")
    try:
        started.wait_ready()
        [token] = re.findall(r"^\s+(demo_[A-Za-z0-9_-]+)\s*$", started.output, re.MULTILINE)
        yield started, token
    finally:
        started.stop()


def test_sigterm_lets_the_request_in_flight_finish(server, tmp_path):
    """No slow endpoint is needed: a client that sends its body slowly keeps a request in flight
    for as long as it likes. SIGTERM arrives between the two halves of the body."""
    started, token = server
    body = b'{"role": "user", "email": "in-flight@example.test", "name": "Mid Request"}'
    head = (
        f"POST /contacts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", started.port), timeout=15) as sock:
        sock.sendall(head + body[:10])
        time.sleep(0.3)  # the worker has the request and waits for the rest of the body
        os.killpg(started.process.pid, signal.SIGTERM)
        time.sleep(0.5)
        assert started.process.poll() is None, "exited with a request in flight"
        sock.sendall(body[10:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), (answer[:500], started.logs())
    assert b"in-flight@example.test" in answer
    assert started.process.wait(15) == 0, started.logs()

    engine = make_engine(f"sqlite:///{tmp_path}/graceful.sqlite3")
    with transaction(engine, write=False) as conn:
        emails = conn.execute(contacts.select().with_only_columns(contacts.c.email)).scalars().all()
    engine.dispose()
    assert emails == ["in-flight@example.test"]
