"""The real thing: `inboxd serve` as a subprocess on a loopback port, spoken to over HTTP the way
curl would, stopped and started again on the same database.

Both runs check what a newcomer relies on: the demo token is printed on the first start only, and
what was written before a restart is still there after it. Server output goes to files, not pipes,
so a chatty server can never block on a full pipe; every process is stopped in a `finally`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import spec
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
DEMO_TOKEN_LINE = re.compile(r"^\s+(demo_[A-Za-z0-9_-]+)\s*$", re.MULTILINE)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One `inboxd serve` process; `output` is everything it printed on stdout."""

    def __init__(self, workdir: Path, database_url: str, env: dict[str, str], name: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("INBOXD_")}
        child_env.update(env)
        child_env["PYTHONUNBUFFERED"] = "1"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "inboxd",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--database-url",
                    database_url,
                ],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                cwd=workdir,  # the default ./data/ database, were it used by mistake, stays in tmp
                env=child_env,
                start_new_session=True,  # its own process group: stop() reaches granian's workers too
            )

    @property
    def output(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def logs(self) -> str:
        err = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        return f"--- stdout ---\n{self.output}\n--- stderr ---\n{err}"

    def wait_ready(self) -> None:
        """Until an HTTP request gets an answer: the port accepting is not enough, the worker must
        have imported the app."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"inboxd serve exited with {self.process.returncode}\n{self.logs()}")
            try:
                response = httpx2.get(f"{self.base}/me", timeout=2.0)
                if response.status_code == 401:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"inboxd serve did not answer within {START_TIMEOUT}s\n{self.logs()}")

    def stop(self) -> int:
        """SIGTERM (granian shuts down gracefully), SIGKILL after a while. Signals go to the
        process group only while its leader is unreaped, so the id cannot belong to anyone else."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)
        return self.process.returncode

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Any]:
    started: list[Server] = []

    def start(database_url: str, env: dict[str, str] | None = None) -> Server:
        server = Server(tmp_path, database_url, env or {}, f"run{len(started) + 1}")
        started.append(server)
        server.wait_ready()
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


class Client:
    """curl with a token: every JSON answer is checked against the spec, as in tests/api/."""

    def __init__(self, server: Server, token: str) -> None:
        self.http = httpx2.Client(base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=10.0)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        assert response.headers["content-type"].startswith("application/json"), response.text
        assert uuid.UUID(response.headers["x-request-id"])
        spec.validate(method, path, response.status_code, response.json())
        return response

    def close(self) -> None:
        self.http.close()


def write_some_data(client: Client) -> dict[str, str]:
    contact = client.call("POST", "/contacts", json={"role": "user", "email": "e2e@example.test", "name": "End To End"})
    assert contact.status_code == 200, contact.text
    contact_id = contact.json()["id"]
    created = client.call(
        "POST", "/conversations", json={"from": {"type": "user", "id": contact_id}, "body": "Restart me, please"}
    )
    assert created.status_code == 200, created.text
    conversation_id = created.json()["conversation_id"]
    return {"contact": contact_id, "conversation": conversation_id}


def check_data(client: Client, ids: dict[str, str]) -> None:
    listed = client.call("GET", "/conversations")
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()["conversations"]] == [ids["conversation"]]

    shown = client.call("GET", f"/conversations/{ids['conversation']}")
    assert shown.status_code == 200, shown.text
    conversation = shown.json()
    assert "Restart me, please" in conversation["source"]["body"]
    assert [c["id"] for c in conversation["contacts"]["contacts"]] == [ids["contact"]]

    contact = client.call("GET", f"/contacts/{ids['contact']}")
    assert contact.status_code == 200, contact.text
    assert contact.json()["email"] == "e2e@example.test"


def test_sqlite_demo_token_is_printed_once_and_data_survives_a_restart(servers, tmp_path):
    database_url = f"sqlite:///{tmp_path}/e2e.sqlite3"

    first = servers(database_url)
    tokens = DEMO_TOKEN_LINE.findall(first.output)
    assert len(tokens) == 1, first.logs()
    token = tokens[0]
    client = Client(first, token)
    try:
        assert client.call("GET", "/me").json()["email"] == "ada@demo.inboxd.test"
        ids = write_some_data(client)
        check_data(client, ids)
        # Over the real HTTP server too, a bad token and an oversized body are error.list answers.
        refused = client.call("GET", "/me", headers={"Authorization": "Bearer wrong-token"})
        assert refused.status_code == 401
        too_big = client.call("POST", "/contacts", content=b" " * (4 * 1024 * 1024 + 1))
        assert too_big.status_code == 413
        assert too_big.json()["errors"][0]["code"] == "request_too_large"
    finally:
        client.close()
    assert first.stop() == 0, first.logs()

    second = servers(database_url)
    assert "demo_" not in second.output, second.logs()
    client = Client(second, token)
    try:
        check_data(client, ids)
    finally:
        client.close()


WORKSPACE_FILE = """
[[workspaces]]
name = "Initech"
id_code = "initech"
access_tokens = ["{token}"]

[[workspaces.admins]]
name = "{admin}"
email = "bill@initech.test"

[[workspaces.teams]]
name = "TPS Reports"
admin_emails = ["bill@initech.test"]
"""


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database of its own (the shared `engine` fixture owns inboxd_test), dropped afterwards."""
    if not POSTGRES_URL:
        reason = "PostgreSQL not configured: set INBOXD_TEST_POSTGRES_URL to run the PostgreSQL half"
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (INBOXD_REQUIRE_POSTGRES=1 makes it mandatory)")
        pytest.skip(reason)
    name = f"inboxd_e2e_{os.getpid()}"
    admin = create_engine(make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def test_postgres_workspace_file_and_data_survive_a_restart(servers, postgres_url, tmp_path):
    workspace_file = tmp_path / "workspaces.toml"
    workspace_file.write_text(WORKSPACE_FILE.format(token="initech-token-1", admin="Bill Lumbergh"), encoding="utf-8")
    env = {"INBOXD_WORKSPACE_FILE": str(workspace_file)}

    first = servers(postgres_url, env)
    assert "workspace file" in first.output and "Initech" in first.output, first.logs()
    assert "demo_" not in first.output
    client = Client(first, "initech-token-1")
    try:
        me = client.call("GET", "/me").json()
        assert (me["name"], me["app"]["id_code"]) == ("Bill Lumbergh", "initech")
        ids = write_some_data(client)
        check_data(client, ids)
    finally:
        client.close()
    assert first.stop() == 0, first.logs()

    # Same file again: same admin id, same data.
    second = servers(postgres_url, env)
    assert "demo_" not in second.output
    client = Client(second, "initech-token-1")
    try:
        assert client.call("GET", "/me").json()["id"] == me["id"]
        check_data(client, ids)
    finally:
        client.close()
    assert second.stop() == 0, second.logs()

    # An edited file: the admin renamed in place, the token rotated — the old one stops working.
    workspace_file.write_text(
        WORKSPACE_FILE.format(token="initech-token-2", admin="William Lumbergh"), encoding="utf-8"
    )
    third = servers(postgres_url, env)
    client = Client(third, "initech-token-2")
    try:
        renamed = client.call("GET", "/me").json()
        assert (renamed["id"], renamed["name"]) == (me["id"], "William Lumbergh")
        check_data(client, ids)
        assert client.call("GET", "/me", headers={"Authorization": "Bearer initech-token-1"}).status_code == 401
    finally:
        client.close()
