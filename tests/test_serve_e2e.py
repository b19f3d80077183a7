"""The real thing: `inboxd serve` as a subprocess on a loopback port, spoken to over HTTP the way
curl would, stopped and started again on the same database.

Both runs check what a newcomer relies on: the demo token is printed on the first start only, and
what was written before a restart is still there after it. Server output goes to files, not pipes,
so a chatty server can never block on a full pipe; every process is stopped in a `finally`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests import spec
from tests.server import Server, postgres_database

DEMO_TOKEN_LINE = re.compile(r"^\s+(demo_[A-Za-z0-9_-]+)\s*$", re.MULTILINE)


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
    with postgres_database("inboxd_e2e") as url:
        yield url


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
