"""The seeded databases: built once per size and engine, kept (bench/data/ markers say with
which parameters and schema), and copied for each run so that no run's writes reach the next."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import search_bench  # the seed's options and `now` come from there
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from http_bench.paths import ROOT, log
from inboxd import seed as seeding
from inboxd.config import load_workspace_file
from inboxd.store import migrate
from inboxd.store.engine import make_engine
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import apply_workspace_file

NOW: int = search_bench.NOW  # the seeded history ends here (2026-01-01T00:00:00Z)
SEED: dict[str, Any] = {"seed": 42, "now": NOW, "parts": "1-30", "contacts_ratio": 5, "admins": 8, "tags": 36}
TOKEN = "bench-http-token"
WORKSPACE_TOML = f"""\
[[workspaces]]
name = "Bench"
id_code = "bench"
access_tokens = ["{TOKEN}"]

[[workspaces.admins]]
name = "Ada Admin"
email = "ada@bench.test"

[[workspaces.admins]]
name = "Grace Hopper"
email = "grace@bench.test"

[[workspaces.teams]]
name = "Support"
admin_emails = ["ada@bench.test", "grace@bench.test"]

[[workspaces.teams]]
name = "Billing"
admin_emails = ["grace@bench.test"]
"""


def seed_params(size: int) -> dict[str, Any]:
    return {**SEED, "conversations": size, "schema": schema_fingerprint(), "woken": "all"}


def schema_fingerprint() -> str:
    """The newest migration and a digest of every migration script: a migration edited in place
    (before it is released) changes the schema as much as a new one."""
    versions = ROOT / "src/inboxd/store/migrations/versions"
    digest = hashlib.sha256()
    for script in sorted(versions.glob("*.py")):
        digest.update(script.name.encode() + b"\0" + script.read_bytes())
    return f"{migrate.head_revision()}:{digest.hexdigest()[:12]}"


def sqlite_cache(size: int, data: Path) -> Path:
    """The seeded SQLite file of ``size`` conversations, built when missing or stale."""
    path = data / f"http-{size}.sqlite3"
    marker = data / f"http-sqlite-{size}.json"
    recorded = json.loads(marker.read_text()) if marker.exists() else None
    if recorded is not None and recorded.get("params") == seed_params(size) and path.exists():
        return path
    for suffix in ("", "-wal", "-shm", ".write-lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    seconds = fill(engine, size, "sqlite")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    marker.write_text(json.dumps({"params": seed_params(size), "seconds": round(seconds, 1)}))
    return path


def postgres_template(size: int, data: Path, admin_url: str) -> str:
    """The name of the seeded PostgreSQL database (kept; runs copy it), built when missing or stale."""
    name = f"inboxd_bench_http_{size}"
    marker = data / f"http-postgresql-{size}.json"
    recorded = json.loads(marker.read_text()) if marker.exists() else None
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists is not None and recorded is not None and recorded.get("params") == seed_params(size):
            admin.dispose()
            return name
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(database_url(admin_url, name))
    seconds = fill(engine, size, "postgresql")
    engine.dispose()
    marker.write_text(json.dumps({"params": seed_params(size), "seconds": round(seconds, 1)}))
    return name


def database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def fill(engine: Engine, size: int, engine_name: str) -> float:
    """Migrate, declare the workspace, seed ``size`` conversations, wake every snooze, analyse."""
    log(f"seeding {engine_name} with {size:,} conversations (1-30 parts; once, then kept) …")
    migrate.upgrade(engine)
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "workspace.toml"
        file.write_text(WORKSPACE_TOML)
        with transaction(engine, write=True) as conn:
            apply_workspace_file(conn, load_workspace_file(str(file)), NOW)
    options = search_bench.seed_options(SEED, size)
    started = time.monotonic()
    seeding.seed(engine, "bench", options, lambda done: None)
    seconds = time.monotonic() - started
    # The server runs on the wall clock, long after the seed's `now`: every snooze the seed left is
    # due. Wake them all now (as the server's sweep would at start-up), so no measured load meets them.
    search_bench.wake(engine, int(time.time()))
    log(f"  seeded in {seconds:,.1f} s")
    return seconds


def workspace_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM workspaces WHERE id_code = 'bench'")).scalar_one())


@contextlib.contextmanager
def run_copy(engine_name: str, size: int, data: Path, admin_url: str) -> Iterator[str]:
    """A database URL for one run: a copy of the kept data, removed afterwards."""
    if engine_name == "sqlite":
        source = sqlite_cache(size, data)
        target = data / f"http-{size}-run.sqlite3"
        for suffix in ("", "-wal", "-shm", ".write-lock"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, target)
        try:
            yield f"sqlite:///{target}"
        finally:
            for suffix in ("", "-wal", "-shm", ".write-lock"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        return
    template = postgres_template(size, data, admin_url)
    name = f"{template}_run"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        drop_database(conn, name)
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'))
    try:
        yield database_url(admin_url, name)
    finally:
        with admin.connect() as conn:
            drop_database(conn, name)
        admin.dispose()


def drop_database(conn: Any, name: str, attempts: int = 30) -> None:
    """DROP DATABASE after a run. A plain DROP stops autovacuum workers itself (one usually runs
    after a write load) but fails while a client is still connected; WITH (FORCE) ends clients
    but may not end autovacuum workers for a role that is not a superuser. Both, a few times."""
    for attempt in range(attempts):
        for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'):
            try:
                conn.execute(text(sql))
                return
            except (OperationalError, ProgrammingError):
                if attempt == attempts - 1 and "FORCE" in sql:
                    raise
        time.sleep(1)


def postgres_unreachable(admin_url: str) -> str | None:
    """Why PostgreSQL cannot be used (None when it can)."""
    try:
        engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            may = conn.execute(text("SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user")).scalar()
        engine.dispose()
    except Exception as exc:
        return f"cannot connect to {make_url(admin_url).render_as_string(hide_password=True)}: {exc}".splitlines()[0]
    return None if may else "the role may not CREATE DATABASE"


def postgres_version(admin_url: str) -> str:
    try:
        engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            value = str(conn.execute(text("SHOW server_version")).scalar())
        engine.dispose()
        return value
    except Exception:
        return "unreachable"
