"""The README's curl session, replayed in order on the demo workspace a first `make serve` makes:
every call succeeds and the search example finds the conversation."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import orjson
from starlette.testclient import TestClient

from inboxd.app import create_app
from inboxd.domain.clock import FrozenClock
from inboxd.store import migrate
from inboxd.store.engine import make_engine
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import apply_workspace_file, demo_workspace
from tests.conftest import T0

README = Path(__file__).resolve().parent.parent / "README.md"


def _calls() -> list[tuple[str, str, Any]]:
    """(method, path, body) of each curl command of the README's shell blocks, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    calls = []
    for block in blocks:
        pending = ""
        for line in block.replace("\\\n", " ").splitlines():
            pending += line + "\n"
            try:  # a command ends where its quotes close (the search's JSON spans lines)
                words = shlex.split(pending.replace("$(($(date +%s) + 3600))", "@IN_AN_HOUR@"), comments=True)
            except ValueError:
                continue
            pending = ""
            if not words or words[0] != "curl":
                continue
            method = words[words.index("-X") + 1] if "-X" in words else "GET"
            url = next(w for w in words if w.startswith("http://127.0.0.1:8000"))
            body = words[words.index("-d") + 1] if "-d" in words else None
            calls.append((method, url.removeprefix("http://127.0.0.1:8000"), body))
    return calls


def test_the_readme_session_works_in_order(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/inboxd.sqlite3")
    migrate.upgrade(engine)
    file, token = demo_workspace()
    with transaction(engine, write=True) as conn:
        apply_workspace_file(conn, file, T0)
    clock = FrozenClock(T0)
    calls = _calls()
    assert [path for _, path, _ in calls][:2] == ["/contacts", "/conversations"]
    contact_id = None
    with TestClient(create_app(engine, clock)) as client:
        for method, path, body in calls:
            if body is not None:
                body = body.replace("<contact id>", contact_id or "").replace("@IN_AN_HOUR@", str(clock.now() + 3600))
            response = client.request(
                method,
                path,
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            assert response.status_code == 200, (method, path, response.text)
            answer = orjson.loads(response.content)
            if path == "/contacts":
                contact_id = answer["id"]
            clock.advance(60)
    assert path == "/conversations/search"
    assert answer["total_count"] == 1
    assert answer["conversations"][0]["id"] == "1"
    engine.dispose()
