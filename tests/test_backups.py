"""Backups restore (docs/deployment.md, Backups and restores): a database filled through the API,
backed up the way the guide says and restored into a fresh one, serves the same answers byte for
byte, and new writes on it get fresh ids.

PostgreSQL: `pg_dump --format=custom` and `pg_restore` into a new database, run as the guide gives
them (skipped with the reason without PostgreSQL or its client tools; a failure under
INBOXD_REQUIRE_POSTGRES=1). SQLite: the `sqlite3` shell's `.backup` and `VACUUM INTO`, the file
then put where the database goes."""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, make_url, text
from starlette.testclient import TestClient

from inboxd.app import create_app
from inboxd.store.engine import make_engine
from tests import factories
from tests.conftest import ACME_TOKEN, POSTGRES_URL, REQUIRE_POSTGRES, Api
from tests.domain.test_attachments import png

VERSIONS = (None, "2.7", "2.13", "2.16")  # None: the workspace's default (2.10)


def _fill(api: Api) -> dict[str, Any]:
    """Conversations with parts (a stored file, a note, a contact's reply, a close), a tag, a
    ticket, and a deleted conversation, the newest: its id must stay taken after a restore."""
    admin = str(api.get("/me").json()["id"])
    tag = api.post("/tags", json={"name": "vip"}).json()
    ticket_type = factories.ticket_type(api, category="Customer")
    ids, files, tickets = [], [], []
    for n in range(3):
        contact = factories.contact(api)
        conversation = factories.conversation(api, contact["id"], body=f"<p>printer number {n} is on fire</p>")
        cid = conversation["id"]
        ids.append(cid)
        data = base64.b64encode(png(2 + n, 3)).decode()
        attached = [{"name": f"shot-{n}.png", "content_type": "image/png", "data": data}]
        reply = {
            "type": "admin",
            "admin_id": admin,
            "message_type": "comment",
            "body": "On it",
            "attachment_files": attached,
        }
        replied = api.post(f"/conversations/{cid}/reply", json=reply)
        assert replied.status_code == 200, replied.text
        files.append(replied.json()["conversation_parts"]["conversation_parts"][-1]["attachments"][0]["url"])
        note = {"type": "admin", "admin_id": admin, "message_type": "note", "body": "internal"}
        assert api.post(f"/conversations/{cid}/reply", json=note).status_code == 200
        answer = {"type": "user", "intercom_user_id": contact["id"], "message_type": "comment", "body": "Thanks!"}
        assert api.post(f"/conversations/{cid}/reply", json=answer).status_code == 200
        assert api.post(f"/conversations/{cid}/tags", json={"id": tag["id"], "admin_id": admin}).status_code == 200
    close = {"type": "admin", "admin_id": admin, "message_type": "close"}
    assert api.post(f"/conversations/{ids[0]}/parts", json=close).status_code == 200
    ticket = api.post(f"/conversations/{ids[1]}/convert", json={"ticket_type_id": ticket_type["id"]})
    assert ticket.status_code == 200, ticket.text
    tickets.append(ticket.json()["id"])
    deleted = factories.conversation(api)["id"]
    assert api.at("2.13").delete(f"/conversations/{deleted}").status_code == 200
    return {"admin": admin, "ids": ids, "files": files, "tickets": tickets, "deleted": deleted}


def _answers(api: Api, filled: dict[str, Any]) -> dict[str, bytes]:
    """Every answer a client relies on, as bytes: each conversation in several versions, the
    list, a search, the contacts, tags, ticket types, tickets and the stored files."""
    answers: dict[str, bytes] = {}

    def keep(name: str, response: Any) -> None:
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.content

    for version in VERSIONS:
        at = api.at(version)
        for cid in filled["ids"]:
            keep(f"GET conversation {cid} @{version}", at.get(f"/conversations/{cid}"))
        keep(f"GET /conversations @{version}", at.get("/conversations"))
    query = {"query": {"field": "source.body", "operator": "~", "value": "fire"}}
    keep("search", api.at("2.13").post("/conversations/search", json=query))
    keep("contacts", api.get("/contacts"))
    keep("tags", api.get("/tags"))
    keep("ticket types", api.get("/ticket_types"))
    for ticket in filled["tickets"]:
        keep(f"ticket {ticket}", api.get(f"/tickets/{ticket}"))
    for url in filled["files"]:
        keep(url, api.client.get(url))
    gone = api.at("2.13").get(f"/conversations/{filled['deleted']}")
    assert gone.status_code == 404
    return answers


@contextmanager
def _serving(engine: Engine, clock: Any) -> Iterator[Api]:
    """inboxd started on ``engine``: a new app, nothing of the first one's memory."""
    with TestClient(create_app(engine, clock), raise_server_exceptions=True) as client:
        yield Api(client, ACME_TOKEN)


def _fresh_ids_after(api: Api, filled: dict[str, Any], before: dict[str, bytes]) -> None:
    """What the restored database serves, and what it numbers next: above every id it held."""
    assert _answers(api, filled) == before
    new = factories.conversation(api)
    assert int(new["id"]) > int(filled["deleted"]) > max(int(cid) for cid in filled["ids"])
    reply = {"type": "admin", "admin_id": filled["admin"], "message_type": "comment", "body": "After the restore"}
    replied = api.post(f"/conversations/{filled['ids'][0]}/reply", json=reply).json()
    parts = replied["conversation_parts"]["conversation_parts"]
    assert int(parts[-1]["id"]) > max(int(part["id"]) for part in parts[:-1])
    tags = [int(tag["id"]) for tag in api.get("/tags").json()["data"]]
    assert int(api.post("/tags", json={"name": "after"}).json()["id"]) > max(tags)


# -- PostgreSQL -------------------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True) if p.exists()), None
    )
    if found is None:
        reason = f"{name} not found (Debian: the postgresql-client package)"
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (INBOXD_REQUIRE_POSTGRES=1 makes it mandatory)")
        pytest.skip(reason)
    return found


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as the PostgreSQL tools take it (no driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def restored_postgres() -> Iterator[str]:
    """The URL of an empty database to restore into, dropped afterwards."""
    assert POSTGRES_URL is not None
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_restored_{os.getpid()}"
    admin = make_engine(POSTGRES_URL, pool_size=1)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)  # SQLite's backups: the tests below
def test_a_pg_dump_restored_serves_the_same_answers(engine, api, clock, tmp_path, request):
    pg_dump, pg_restore = _pg_tool("pg_dump"), _pg_tool("pg_restore")
    restored_url = request.getfixturevalue("restored_postgres")
    filled = _fill(api)
    before = _answers(api, filled)

    dump = tmp_path / "inboxd.dump"
    source = _libpq(engine.url.render_as_string(hide_password=False))
    subprocess.run([pg_dump, "--format=custom", f"--file={dump}", source], check=True, capture_output=True)
    subprocess.run(
        [pg_restore, "--no-owner", "--exit-on-error", f"--dbname={_libpq(restored_url)}", str(dump)],
        check=True,
        capture_output=True,
    )

    restored = make_engine(restored_url, pool_size=2)
    try:
        with _serving(restored, clock) as served:
            _fresh_ids_after(served, filled, before)
    finally:
        restored.dispose()


# -- SQLite ------------------------------------------------------------------------------------------


def _shell_backup(database: Path, backup: Path) -> None:
    sqlite3_shell = shutil.which("sqlite3")
    if sqlite3_shell is None:
        pytest.skip("the sqlite3 shell is not on PATH (Debian: the sqlite3 package)")
    subprocess.run([sqlite3_shell, str(database), f".backup '{backup}'"], check=True, capture_output=True)


def _vacuum_into(database: Path, backup: Path) -> None:
    with sqlite3.connect(database) as conn:
        conn.execute("VACUUM INTO ?", (str(backup),))
    conn.close()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL's: the pg_dump test
@pytest.mark.parametrize("backup_with", [_shell_backup, _vacuum_into], ids=[".backup", "VACUUM INTO"])
def test_a_sqlite_backup_restored_serves_the_same_answers(engine, api, clock, tmp_path, backup_with):
    filled = _fill(api)
    before = _answers(api, filled)
    assert engine.url.database is not None
    backup = tmp_path / "backup.sqlite3"
    backup_with(Path(engine.url.database), backup)  # while the server still runs: both are online

    place = tmp_path / "restored" / "inboxd.sqlite3"
    place.parent.mkdir()
    shutil.copyfile(backup, place)
    restored = make_engine(f"sqlite:///{place}")
    try:
        with _serving(restored, clock) as served:
            _fresh_ids_after(served, filled, before)
    finally:
        restored.dispose()
