"""HTTP load benchmark of inboxd (issue 7): requests per second and latency of the conversation
endpoints, served by ``inboxd serve --workers 2``, next to a ceiling measured in the same run.
Run with the project's interpreter (``make bench`` runs it with BENCH_HTTP_ARGS)::

    .venv/bin/python bench/http_bench.py                  # everything, writes bench/BENCHMARKS.md
    .venv/bin/python bench/http_bench.py --engines sqlite --duration 5 --soak 0 --no-write

Load generator: wrk (C, event-driven), from loopback, 1 thread at c=1 and 2 threads above, a
warm-up run then a measured run per endpoint and concurrency; Lua scripts generated per run pick
random ids, send the POST bodies, and print one JSON line of results from ``done()``.

Data: 100,000 conversations seeded once by ``inboxd seed``'s code (fixed --seed and --now, 1-30
parts) into a workspace ``bench``, then the snoozes woken for good; kept under bench/data/ (SQLite)
and as the PostgreSQL database ``inboxd_bench_http_<N>``. Every run serves a copy of it (a file
copy; ``CREATE DATABASE … TEMPLATE``), so the writes measured here never reach the kept data.

Measured at each concurrency: GET /conversations/{id} (random ids among conversations with 8-12
parts), GET /conversations?per_page=20 cycling pages 1-5 by their cursors, three searches of
bench/search_bench.py, an admin reply, and close/open through POST /conversations/{id}/parts
(each request a real state change); the ceiling (bench/ceiling.py: the same stack answering a
pre-encoded document of the size of a GET response); the workers' resident memory, a soak, and
the start-up time and memory on the 1M database of bench/search_bench.py. See bench/README.md.
"""

from __future__ import annotations

import argparse
import bisect
import concurrent.futures
import contextlib
import dataclasses
import datetime
import hashlib
import html
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(BENCH))

import search_bench  # noqa: E402  (the search queries, and the seed's `now`, come from there)

from inboxd import seed as seeding  # noqa: E402
from inboxd.config import load_workspace_file  # noqa: E402
from inboxd.operations.snoozes import sweep  # noqa: E402
from inboxd.store import migrate  # noqa: E402
from inboxd.store import tables as schema_tables  # noqa: E402
from inboxd.store.engine import make_engine, transaction  # noqa: E402
from inboxd.store.tables import conversation_documents  # noqa: E402
from inboxd.store.workspaces import apply_workspace_file  # noqa: E402

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
# The three searches (names in search_bench.queries): fast ones, so the HTTP figures are not
# the search planner's (bench/search_bench.py measures that).
SEARCHES = {
    "search-open": ("POST /conversations/search: state = open", "state = open"),
    "search-window": ("POST /conversations/search: 30-day window", "created_at in a 30-day range"),
    "search-rare": ("POST /conversations/search: rare body word", f"body word, rare ({search_bench.RARE})"),
}
GET_PARTS = (8, 12)  # GET ids: conversations with this many parts ("~10")
WORKERS = 2
TARGET_GET, TARGET_LIST, TARGET_WRITES = 0.40, 0.30, 2000.0  # × ceiling, × ceiling, requests/s
TARGET_RSS_MB, TARGET_STARTUP_S = 200.0, 2.0
FLAT_GROWTH = 0.10  # soak: a worker is "flat" when its last sample is within 10 % of its first
BIG_DB = BENCH / "data/search-1000000.sqlite3"
LABELS = {
    "get": "GET /conversations/{id}",
    "list": "GET /conversations?per_page=20, pages 1-5",
    **{k: label for k, (label, _) in SEARCHES.items()},
    "reply": "POST /conversations/{id}/reply (admin comment)",
    "parts": "POST /conversations/{id}/parts (close ⇄ open)",
}
MARK_START, MARK_END = "<!-- http-results:start -->", "<!-- http-results:end -->"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def shown(path: Path) -> str:
    """A path as the report shows it: relative to the repository when inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# -- data -----------------------------------------------------------------------------------------


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
    sweep(engine, int(time.time()))
    if engine.dialect.name == "sqlite":
        with transaction(engine, write=True) as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
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


@dataclasses.dataclass
class Targets:
    """What the loads ask for, read from the run's database before the server starts."""

    get_ids: list[str]
    reply_ids: list[str]
    close_ids: list[str]
    admin_id: str
    workspace: int


def targets(url: str) -> Targets:
    engine = make_engine(url)
    ws = workspace_id(engine)
    low, high = GET_PARTS
    with engine.connect() as conn:
        get_ids = sorted(
            int(i)
            for i in conn.execute(
                text(
                    "SELECT conversation_id FROM conversation_parts WHERE workspace_id = :w "
                    "GROUP BY conversation_id HAVING count(*) BETWEEN :low AND :high"
                ),
                {"w": ws, "low": low, "high": high},
            ).scalars()
        )
        everything = [
            int(i)
            for i in conn.execute(
                text("SELECT id FROM conversations WHERE workspace_id = :w ORDER BY id"), {"w": ws}
            ).scalars()
        ]
        admin = conn.execute(
            text("SELECT id FROM admins WHERE workspace_id = :w AND email = 'ada@bench.test'"), {"w": ws}
        ).scalar_one()
    engine.dispose()
    rng = random.Random(7)
    rng.shuffle(get_ids)
    get_ids = get_ids[:20_000]
    taken = set(get_ids)
    writes = [i for i in everything if i not in taken]
    rng.shuffle(writes)
    # Close/open needs few ids (each comes round again only after all the others of its wrk thread);
    # replies get the rest, so each conversation grows by about one part per run.
    close_count = min(10_000, len(writes) // 2)
    return Targets(
        get_ids=[str(i) for i in get_ids],
        close_ids=[str(i) for i in writes[:close_count]],
        reply_ids=[str(i) for i in writes[close_count:]],
        admin_id=str(admin),
        workspace=ws,
    )


# -- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(stat.parent.name))
    return sorted(out)


def started_at(pid: int) -> int | None:
    """The process's start time (clock ticks after boot), None when it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Server:
    """A server process (inboxd serve, the ceiling): started, awaited on /readyz, stopped with SIGTERM."""

    def __init__(self, name: str, argv: list[str], port: int, logs: Path, env: dict[str, str] | None = None) -> None:
        self.name, self.argv, self.port = name, argv, port
        self.log_path = logs / f"{name}.log"
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 120.0) -> float:
        """Spawn and wait until GET /readyz answers 200; the seconds that took."""
        started = time.monotonic()
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT)
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.ready():
                seconds = time.monotonic() - started
                # every worker up (granian starts them one after the other)
                while len(self.workers()) < WORKERS and time.monotonic() - started < timeout:
                    time.sleep(0.01)
                return seconds
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/readyz", timeout=2) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def workers(self) -> list[int]:
        return children(self.process.pid) if self.process is not None else []

    def rss(self) -> dict[int, float]:
        return {pid: mb for pid in self.workers() if (mb := rss_mb(pid)) is not None}

    def stop(self) -> None:
        """SIGTERM, as an orchestrator would. granian 2.8's main process can wait forever for a
        worker that was still starting when the signal came (it never hears of it and keeps
        serving): after 10 s the workers get SIGTERM themselves, and whatever is left is killed."""
        if self.process is None or self.process.poll() is not None:
            return
        workers = {pid: started_at(pid) for pid in self.workers()}

        def left() -> list[int]:  # the same processes (a pid may be reused once one has gone)
            return [pid for pid, start in workers.items() if start is not None and started_at(pid) == start]

        def signal_workers(number: int) -> None:
            for pid in left():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, number)

        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log(f"{self.name}: still running 10 s after SIGTERM; SIGTERM to its workers")
            signal_workers(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        deadline = time.monotonic() + 10
        while left() and time.monotonic() < deadline:
            time.sleep(0.05)
        signal_workers(signal.SIGKILL)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def get(self, path: str, token: str = TOKEN) -> bytes:
        request = urllib.request.Request(
            self.base + path, headers={"Authorization": f"Bearer {token}", "Intercom-Version": "2.10"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body: bytes = response.read()
            return body


def inboxd_serve(url: str, port: int, logs: Path, name: str, workspace_file: Path | None) -> Server:
    argv = [sys.executable, "-m", "inboxd", "serve", "--workers", str(WORKERS), "--database-url", url]
    argv += ["--port", str(port), "--rate-limit", "0", "--host", "127.0.0.1"]
    if workspace_file is not None:
        argv += ["--workspace-file", str(workspace_file)]
    return Server(name, argv, port, logs)


class Sampler:
    """Samples the workers' resident memory every ``interval`` seconds in a thread."""

    def __init__(self, server: Server, interval: float = 0.5) -> None:
        self.server, self.interval = server, interval
        self.peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid, mb in self.server.rss().items():
                self.peak[pid] = max(self.peak.get(pid, 0.0), mb)
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# -- wrk ------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Figure:
    requests: int
    seconds: float
    errors: dict[str, int]
    p50_ms: float
    p99_ms: float
    noop: int | None = None  # close/open: answers that changed nothing (must be 0)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + (self.noop or 0)

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "rps": round(self.rps, 1), "error_count": self.error_count}


def lua_string(value: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in value
    return f"[{level}[{value}]{level}]"


LUA_COMMON = """
counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Intercom-Version"] = "2.10"
wrk.headers["Accept"] = "application/json"
NTHREADS = {threads}

function lines_of(path)
  local out = {{}}
  local n = 0
  for line in io.lines(path) do
    if n % NTHREADS == (tid or 0) then out[#out + 1] = line end
    n = n + 1
  end
  return out
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {{"requests": %.0f, "duration_us": %.0f, "connect": %.0f, "read": %.0f, "write": %.0f, ' ..
    '"status": %.0f, "timeout": %.0f, "p50_us": %.0f, "p99_us": %.0f}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def lua_get(ids_file: Path, prefix: str = "/conversations/") -> str:
    """GET a random id of the file on every request (every thread sees all ids)."""
    return f"""
function init(args)
  math.randomseed(4242 + (tid or 0))
  pool = {{}}
  for line in io.lines({lua_string(str(ids_file))}) do
    pool[#pool + 1] = wrk.format("GET", {lua_string(prefix)} .. line)
  end
end
function request()
  return pool[math.random(#pool)]
end
"""


def lua_cycle(paths: list[str]) -> str:
    """GET the paths in turn (each thread from its own starting point)."""
    items = ", ".join(f'wrk.format("GET", {lua_string(p)})' for p in paths)
    return f"""
function init(args)
  pool = {{{items}}}
  i = tid or 0
end
function request()
  i = i % #pool + 1
  return pool[i]
end
"""


def lua_post(path: str, body: str) -> str:
    return f"""
wrk.method = "POST"
wrk.path = {lua_string(path)}
wrk.body = {lua_string(body)}
wrk.headers["Content-Type"] = "application/json"
"""


def lua_reply(ids_file: Path, admin_id: str, offset: int) -> str:
    """An admin comment on each id of this thread's share in turn, from ``offset`` on."""
    body = json.dumps({"type": "admin", "admin_id": admin_id, "message_type": "comment", "body": "On it, thanks!"})
    return f"""
wrk.headers["Content-Type"] = "application/json"
BODY = {lua_string(body)}
function init(args)
  ids = lines_of({lua_string(str(ids_file))})
  i = {offset} % #ids
end
function request()
  i = i % #ids + 1
  return wrk.format("POST", "/conversations/" .. ids[i] .. "/reply", nil, BODY)
end
"""


def lua_parts(ids_file: Path, admin_id: str) -> str:
    """Close or open each id of this thread's share in turn: lines are "<id> close|open" with the
    action its current state allows. The next action of an id is set from the state its last
    answer shows (response()), never when a request is built: wrk builds one request per thread
    that it never sends, and flipping there made that id's next request a no-op (closing a closed
    conversation is no transition in inboxd)."""
    close = json.dumps({"message_type": "close", "type": "admin", "admin_id": admin_id})
    reopen = json.dumps({"message_type": "open", "admin_id": admin_id})
    return f"""
wrk.headers["Content-Type"] = "application/json"
BODIES = {{close = {lua_string(close)}, open = {lua_string(reopen)}}}
function init(args)
  ids, acts, at = {{}}, {{}}, {{}}
  for _, line in ipairs(lines_of({lua_string(str(ids_file))})) do
    local id, act = line:match("^(%S+) (%S+)$")
    ids[#ids + 1] = id
    acts[#acts + 1] = act
    at[id] = #ids
  end
  i = 0
end
function request()
  i = i % #ids + 1
  return wrk.format("POST", "/conversations/" .. ids[i] .. "/parts", nil, BODIES[acts[i]])
end
function response(status, headers, body)
  local id = body:match('^{{"type":"conversation","id":"(%d+)"')
  local state = body:match('"state":"(%a+)"')
  if id and state and at[id] then
    acts[at[id]] = state == "closed" and "open" or "close"
  end
end
"""


def lua_mix(ids_file: Path, list_paths: list[str], search_bodies: list[str]) -> str:
    """The soak: of every 10 requests, 8 GET a random id, 1 a list page (1-5 in turn), 1 a search."""
    lists = ", ".join(f'wrk.format("GET", {lua_string(p)})' for p in list_paths)
    searches = ", ".join(f'wrk.format("POST", "/conversations/search", H, {lua_string(b)})' for b in search_bodies)
    return f"""
function init(args)
  math.randomseed(77 + (tid or 0))
  H = {{}}  -- wrk.format takes these instead of wrk.headers, not on top of them
  for k, v in pairs(wrk.headers) do H[k] = v end
  H["Content-Type"] = "application/json"
  gets = {{}}
  for line in io.lines({lua_string(str(ids_file))}) do
    gets[#gets + 1] = wrk.format("GET", "/conversations/" .. line)
  end
  lists = {{{lists}}}
  searches = {{{searches}}}
  n, l, s = 0, 0, 0
end
function request()
  n = n + 1
  local k = n % 10
  if k == 0 then
    l = l % #lists + 1
    return lists[l]
  elseif k == 5 then
    s = s % #searches + 1
    return searches[s]
  end
  return gets[math.random(#gets)]
end
"""


class Wrk:
    def __init__(self, workdir: Path, timeout_s: int) -> None:
        self.workdir, self.timeout_s = workdir, timeout_s
        self.binary = shutil.which("wrk") or "wrk"
        self.count = 0

    def script(self, body: str, connections: int, token: str = TOKEN) -> Path:
        self.count += 1
        path = self.workdir / f"load-{self.count}.lua"
        path.write_text(LUA_COMMON.format(token=token, threads=threads(connections)) + body)
        return path

    def command(self, url: str, script: Path, connections: int, seconds: int) -> list[str]:
        t = threads(connections)
        argv = [self.binary, "-t", str(t), "-c", str(connections), "-d", f"{seconds}s"]
        return [*argv, "--timeout", f"{self.timeout_s}s", "-s", str(script), url]

    def run(self, url: str, script: Path, connections: int, seconds: int) -> Figure:
        done = subprocess.run(self.command(url, script, connections, seconds), capture_output=True, text=True)
        return parse_wrk(done.stdout, done.stderr)


def threads(connections: int) -> int:
    return 1 if connections <= 1 else 2


def parse_wrk(stdout: str, stderr: str) -> Figure:
    for line in stdout.splitlines():
        if line.startswith("WRKJSON "):
            raw = json.loads(line[len("WRKJSON ") :])
            errors = {k: int(raw[k]) for k in ("connect", "read", "write", "status", "timeout") if raw[k]}
            return Figure(
                requests=int(raw["requests"]),
                seconds=raw["duration_us"] / 1e6,
                errors=errors,
                p50_ms=raw["p50_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
            )
    raise RuntimeError(f"wrk printed no result:\n{stdout}\n{stderr}")


# -- measuring ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Load:
    key: str
    label: str
    url_path: str  # the URL wrk is given (the script may choose other paths)
    script: Callable[[int], str]  # concurrency -> Lua body, built just before each wrk run
    before: Callable[[], None] | None = None  # called before each wrk run (close/open: states)
    check: Callable[[Figure], None] | None = None  # called after each wrk run


class Run:
    """One benchmark run: options, the wrk driver, the results, the log."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args, self.workdir = args, workdir
        self.wrk = Wrk(workdir, args.timeout)
        self.concurrency = [int(c) for c in args.concurrency.split(",")]
        # --loads: measure only these (a quick look; the report then lacks the others' figures).
        self.only = set(args.loads.split(",")) if args.loads else None
        self.results: dict[str, Any] = {
            "engines": {},
            "ceiling": {},
            "skipped": {},
            "big": {},
            "soak": None,
            "profiles": [],
            "notes": [],
        }

    def wanted(self, load: Load) -> bool:
        return self.only is None or load.key in self.only

    def measure(self, server_base: str, load: Load, engine: str, figures: dict[str, dict[int, Figure]]) -> None:
        for c in self.concurrency:
            if self.args.warmup > 0:
                self._once(server_base, load, c, self.args.warmup)
            figure = self._once(server_base, load, c, self.args.duration)
            figures.setdefault(load.key, {})[c] = figure
            flag = "  ✗ ERRORS " + json.dumps(figure.errors) if figure.errors else ""
            if figure.noop:
                flag += f"  ✗ {figure.noop} answers changed nothing"
            log(
                f"{engine:>10}  {load.label:<48} c={c:<3} {figure.rps:>9,.0f} rps  "
                f"p50 {figure.p50_ms:7.2f}  p99 {figure.p99_ms:7.2f} ms{flag}"
            )

    def _once(self, base: str, load: Load, c: int, seconds: int) -> Figure:
        if load.before is not None:
            load.before()
        script = self.wrk.script(load.script(c), c)
        figure = self.wrk.run(base + load.url_path, script, c, seconds)
        if load.check is not None:
            load.check(figure)
        return figure


def answers(server: Server, token: str) -> bool:
    try:
        server.get("/conversations?per_page=1", token)
    except urllib.error.HTTPError:
        return False
    return True


def list_paths(server: Server, token: str = TOKEN) -> list[str]:
    """Pages 1-5 of GET /conversations?per_page=20, by the cursors the pages give."""
    paths = ["/conversations?per_page=20"]
    for _ in range(4):
        page = json.loads(server.get(paths[-1], token))
        cursor = page["pages"]["next"]["starting_after"]
        paths.append("/conversations?per_page=20&starting_after=" + urllib.parse.quote(cursor, safe=""))
    return paths


def search_bodies(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        specs = search_bench.queries(engine)
    finally:
        engine.dispose()
    out = {}
    for key, (_, name) in SEARCHES.items():
        if name not in specs:
            raise SystemExit(f"bench/search_bench.py has no query named {name!r} any more: update SEARCHES")
        out[key] = json.dumps({"query": specs[name]["query"], "pagination": {"per_page": 20}})
    return out


def measure_engine(run: Run, engine_name: str, url: str, logs: Path) -> bytes:
    """Every load on one engine; returns a GET response of median size (the ceiling's document)."""
    args = run.args
    t = targets(url)
    files = run.workdir
    (files / f"{engine_name}-get.txt").write_text("\n".join(t.get_ids) + "\n")
    (files / f"{engine_name}-reply.txt").write_text("\n".join(t.reply_ids) + "\n")
    workspace_file = files / "workspace.toml"
    workspace_file.write_text(WORKSPACE_TOML)
    searches = search_bodies(url)
    probe = make_engine(url)
    server = inboxd_serve(url, free_port(), logs, f"inboxd-{engine_name}", workspace_file)
    result: dict[str, Any] = {"figures": {}, "get_ids": len(t.get_ids)}
    run.results["engines"][engine_name] = result
    try:
        result["startup_s"] = server.start()
        result["rss_idle"] = sorted(server.rss().values())
        sample = sorted(
            (server.get(f"/conversations/{i}") for i in t.get_ids[:21]),
            key=len,
        )[len(t.get_ids[:21]) // 2]
        result["document_bytes"] = len(sample)
        paths = list_paths(server)
        result["first_views"] = first_views(server, t.get_ids, probe)
        log(
            f"{engine_name:>10}  first view of {len(t.get_ids):,} conversations (render + store): "
            f"{result['first_views']['rps']:,.0f} rps; {result['first_views']['stored']:,} documents stored"
        )
        figures: dict[str, dict[int, Figure]] = {}
        result["figures"] = figures
        get_file = files / f"{engine_name}-get.txt"
        loads = [
            Load("get", LABELS["get"], "/", lambda c: lua_get(get_file)),
            Load("list", LABELS["list"], "/", lambda c: lua_cycle(paths)),
            *(search_load(key, label, searches[key]) for key, (label, _) in SEARCHES.items()),
        ]
        with Sampler(server) as sampler:
            for load in filter(run.wanted, loads):
                run.measure(server.base, load, engine_name, figures)
            if args.profile:
                for load in filter(run.wanted, loads[:2]):
                    profile(run, server, load, engine_name, figures)
            if args.soak > 0 and engine_name == "sqlite":
                run.results["soak"] = soak(run, server, get_file, paths, list(searches.values()))
            writes = write_loads(run, engine_name, t, probe)
            for load in filter(run.wanted, writes):
                run.measure(server.base, load, engine_name, figures)
            if args.profile and run.wanted(writes[0]):
                profile(run, server, writes[0], engine_name, figures)  # the reply: where a write's time goes
        result["rss_peak"] = sorted(sampler.peak.values())
    finally:
        server.stop()
        probe.dispose()
    return sample


def first_views(server: Server, ids: list[str], probe: Engine, clients: int = 8) -> dict[str, Any]:
    """GET every conversation of the GET set once, then wait for their rendered documents to be
    stored (store/documents.py): the GET figures are those of a server whose conversations have
    been viewed since their last change, its steady state. The rate of these first views (each a
    render) is reported beside them; a Python client is fast enough here (~2 ms a request)."""
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for _ in pool.map(lambda i: server.get(f"/conversations/{i}"), ids):
            pass
    seconds = time.monotonic() - started
    wanted = [int(i) for i in ids]
    stored = 0
    for _ in range(100):  # the writer thread batches; give it up to 10 s
        with probe.connect() as conn:
            stored = int(
                conn.execute(
                    select(func.count())
                    .select_from(conversation_documents)
                    .where(conversation_documents.c.conversation_id.in_(wanted))
                ).scalar_one()
            )
        if stored >= len(wanted):
            break
        time.sleep(0.1)
    return {"rps": len(ids) / seconds, "seconds": seconds, "stored": stored, "clients": clients}


def search_load(key: str, label: str, body: str) -> Load:
    return Load(key, label, "/conversations/search", lambda c: lua_post("/conversations/search", body))


def write_loads(run: Run, engine_name: str, t: Targets, probe: Engine) -> list[Load]:
    """Reply and close/open, each request checked against the parts it wrote."""
    files = run.workdir
    reply_file, parts_file = files / f"{engine_name}-reply.txt", files / f"{engine_name}-parts.txt"
    sent = {"reply": 0}

    def reply_script(c: int) -> str:
        return lua_reply(reply_file, t.admin_id, sent["reply"] // threads(c))

    def count_reply(figure: Figure) -> None:
        sent["reply"] += figure.requests

    since = {"t": 0, "count": 0}

    def parts_count() -> int:
        with probe.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM conversation_parts WHERE workspace_id = :w "
                        "AND part_type IN ('close', 'open') AND created_at >= :t"
                    ),
                    {"w": t.workspace, "t": since["t"]},
                ).scalar_one()
            )

    def states() -> None:
        """Before each wrk run: the action each id's current state allows (the previous run may
        have stopped anywhere in its round), and the parts written so far."""
        time.sleep(0.3)  # requests wrk abandoned at its end finish on the server
        if not since["t"]:
            since["t"] = int(time.time()) - 1
        with probe.connect() as conn:
            state: dict[int, str] = dict(
                conn.execute(
                    text("SELECT id, state FROM conversations WHERE workspace_id = :w"), {"w": t.workspace}
                ).all()
            )
        lines = [f"{i} {'open' if state[int(i)] == 'closed' else 'close'}" for i in t.close_ids]
        parts_file.write_text("\n".join(lines) + "\n")
        since["count"] = parts_count()

    def check_parts(figure: Figure) -> None:
        time.sleep(0.3)
        written = parts_count() - since["count"]
        answered = figure.requests - figure.errors.get("status", 0)
        figure.noop = max(0, answered - written)

    return [
        Load(
            "reply",
            LABELS["reply"],
            "/",
            reply_script,
            check=count_reply,
        ),
        Load(
            "parts",
            LABELS["parts"],
            "/",
            lambda c: lua_parts(parts_file, t.admin_id),
            before=states,
            check=check_parts,
        ),
    ]


def measure_ceiling(run: Run, document: bytes, get_file: Path, logs: Path) -> None:
    body = run.workdir / "ceiling.json"
    body.write_bytes(document)
    port = free_port()
    argv = [sys.executable, str(BENCH / "ceiling.py"), "--body", str(body), "--port", str(port)]
    argv += ["--workers", str(WORKERS)]
    server = Server("ceiling", argv, port, logs)
    figures: dict[str, dict[int, Figure]] = {}
    try:
        server.start()
        load = Load("ceiling", f"ceiling: {len(document):,}-byte document", "/", lambda c: lua_get(get_file))
        run.measure(server.base, load, "ceiling", figures)
    finally:
        server.stop()
    run.results["ceiling"] = {"figures": figures.get("ceiling", {}), "document_bytes": len(document)}


def profile(run: Run, server: Server, load: Load, engine_name: str, figures: dict[str, dict[int, Figure]]) -> None:
    """py-spy on one worker during an extra run of ``load`` at the highest concurrency (the
    measured figures are not taken under the profiler)."""
    c = max(run.concurrency)
    out_dir = run.args.profile_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{engine_name}-{load.key}-c{c}.svg"
    entry: dict[str, Any] = {"engine": engine_name, "load": load.label, "file": str(out.resolve())}
    run.results["profiles"].append(entry)
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        entry["error"] = "py-spy is not installed (`pip install -e '.[bench]'`; make bench does)"
        log(f"profile: {entry['error']}")
        return
    worker = server.workers()[0]
    seconds = run.args.duration
    argv = [spy, "record", "--pid", str(worker), "--duration", str(seconds + 1), "--rate", "100"]
    argv += ["--format", "flamegraph", "--output", str(out), "--nonblocking"]
    spy_run = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(0.5)
    figure = run.wrk.run(server.base + load.url_path, run.wrk.script(load.script(c), c), c, seconds)
    output, _ = spy_run.communicate(timeout=seconds + 60)
    entry["rps_under_profiler"] = round(figure.rps)
    if spy_run.returncode != 0 or not out.exists():
        entry["error"] = "py-spy could not record (ptrace not permitted?): " + " ".join(output.split())[-300:]
        log(f"profile: {entry['error']}")
        return
    entry["top"] = flame_summary(out)
    log(f"profile: {out} ({out.stat().st_size // 1024} KiB)")


def flame_summary(svg: Path, count: int = 8) -> dict[str, list[tuple[str, float]]]:
    """Where the samples of a py-spy flame graph went, in % of all samples: ``self``, the functions
    the samples were in (leaves), and ``inboxd``, inboxd's own functions including what they
    called (entry points and middleware left out). Read from the frames' sample positions
    (``fg:x``/``fg:w``), so a function on a stack twice is counted once."""
    text = svg.read_text(errors="replace")
    frames: list[tuple[str, float, int, int]] = []
    pattern = r'<title>(.*?)</title><rect x="[^"]*" y="([\d.]+)"[^>]*?fg:x="(\d+)" fg:w="(\d+)"'
    for match in re.finditer(pattern, text):
        name = re.sub(r" \([\d,]+ samples?, [\d.]+%\)$", "", html.unescape(match.group(1)))
        name = re.sub(r":\d+\)$", ")", name).replace("site-packages/", "")
        frames.append((name, float(match.group(2)), int(match.group(3)), int(match.group(4))))
    roots = [f for f in frames if f[0] == "all"]
    if not roots:
        return {"self": [], "inboxd": []}
    total, root_y = roots[0][3], roots[0][1]
    rows = sorted({f[1] for f in frames}, reverse=root_y != min(f[1] for f in frames))
    depth = {y: i for i, y in enumerate(rows)}
    by_depth: dict[int, list[tuple[int, int]]] = {}
    for _, y, x, w in frames:
        by_depth.setdefault(depth[y], []).append((x, w))
    for spans in by_depth.values():
        spans.sort()
    own: dict[str, int] = {}
    covered: dict[str, list[tuple[int, int]]] = {}
    for name, y, x, w in frames:
        children = by_depth.get(depth[y] + 1, [])
        i = bisect.bisect_left(children, (x, -1))
        inner = 0
        while i < len(children) and children[i][0] < x + w:
            inner += children[i][1]
            i += 1
        own[name] = own.get(name, 0) + w - inner
        covered.setdefault(name, []).append((x, x + w))
    skip = ("inboxd/__main__.py", "inboxd/cli.py", "inboxd/app.py")
    mine = {
        name: _union(spans)
        for name, spans in covered.items()
        if "(inboxd/" in name and not any(k in name for k in skip)
    }

    def top(values: dict[str, int]) -> list[tuple[str, float]]:
        ranked = sorted(values.items(), key=lambda kv: -kv[1])
        return [(name, 100 * n / total) for name, n in ranked[:count] if name != "all"]

    return {"self": top(own), "inboxd": top(mine)}


def _union(spans: list[tuple[int, int]]) -> int:
    length, end = 0, -1
    for a, b in sorted(spans):
        if b > end:
            length += b - max(a, end)
            end = b
    return length


def soak(run: Run, server: Server, get_file: Path, paths: list[str], searches: list[str]) -> dict[str, Any]:
    """Mixed GET/list/search at the highest concurrency for --soak seconds, the workers' memory
    every 10 s."""
    c = max(run.concurrency)
    seconds = run.args.soak
    log(f"soak: {seconds} s of mixed GET/list/search at c={c} …")
    script = run.wrk.script(lua_mix(get_file, paths, searches), c)
    process = subprocess.Popen(
        run.wrk.command(server.base + "/", script, c, seconds),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    samples: list[tuple[int, dict[int, float]]] = []
    started = time.monotonic()
    while process.poll() is None:
        elapsed = time.monotonic() - started
        if elapsed >= 10 * (len(samples) + 1):
            samples.append((round(elapsed), server.rss()))
        time.sleep(0.2)
    stdout, stderr = process.communicate()
    figure = parse_wrk(stdout, stderr)
    workers: dict[int, list[float]] = {}
    for _, sample in samples:
        for pid, mb in sample.items():
            workers.setdefault(pid, []).append(mb)
    per_worker = {
        str(pid): {
            "first": values[0],
            "last": values[-1],
            "max": max(values),
            "flat": values[-1] <= values[0] * (1 + FLAT_GROWTH),
        }
        for pid, values in workers.items()
    }
    log(f"soak: {figure.rps:,.0f} rps, errors {figure.error_count}; RSS MB " + json.dumps(per_worker))
    return {
        "seconds": seconds,
        "concurrency": c,
        "figure": figure,
        "samples": [(t, sorted(s.values())) for t, s in samples],
        "workers": per_worker,
    }


def big_database(run: Run, logs: Path) -> None:
    """Start-up time and worker memory on the 1M SQLite database of bench/search_bench.py, read-only."""
    if not run.args.big_db:
        run.results["skipped"]["1M database"] = "--big-db ''"
        return
    path = Path(run.args.big_db)
    if not path.exists():
        run.results["skipped"]["1M database"] = f"{path} does not exist (make bench-search creates it)"
        return
    head = migrate.head_revision()
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            current = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
            present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            size = int(conn.execute("SELECT count(*) FROM conversations").fetchone()[0])
            ids = [str(r[0]) for r in conn.execute("SELECT id FROM conversations ORDER BY random() LIMIT 20000")]
    except sqlite3.Error as exc:
        run.results["skipped"]["1M database"] = f"{path} cannot be read: {exc}"
        return
    if current != [head]:
        run.results["skipped"]["1M database"] = (
            f"{path.name} is at migration {','.join(current)}, this code at {head}: serving it would migrate "
            "it (a write to bench/search_bench.py's data); `make bench-search` rebuilds it"
        )
        return
    missing = sorted(set(schema_tables.metadata.tables) - present)
    if missing:
        run.results["skipped"]["1M database"] = (
            f"{path.name} lacks the table(s) {', '.join(missing)} of this code (a migration changed since it "
            "was built); `make bench-search` rebuilds it"
        )
        return
    marker = path.parent / f"sqlite-{size}.json"  # search_bench's: written once its seed is complete
    if path.name.startswith("search-") and (
        not marker.exists() or json.loads(marker.read_text())["params"].get("schema") != search_bench.migrate_head()
    ):
        run.results["skipped"]["1M database"] = f"{path.name} is being built by bench/search_bench.py (no marker)"
        return
    # `inboxd serve` gets a plain URL: it cannot take a read-only URI (`file:…?mode=ro&uri=true`; see
    # the report of this benchmark's author); with no workspace file and the schema at head, its
    # start only reads (the migration step takes the write lock for an instant and writes nothing).
    url = f"sqlite:///{path.resolve()}"
    big: dict[str, Any] = {"path": shown(path)}
    big["conversations"] = size
    run.results["big"] = big
    startups, idle = [], []
    for attempt in range(3):
        server = inboxd_serve(url, free_port(), logs, f"inboxd-1M-{attempt}", None)
        try:
            startups.append(server.start())
            idle.append(sorted(server.rss().values()))
        finally:
            server.stop()
    big["startup_s"] = startups
    big["rss_ready"] = idle[-1]
    log(f"1M: start-up to /readyz {', '.join(f'{s:.2f}' for s in startups)} s; RSS at ready {idle[-1]} MB")
    ids_file = run.workdir / "big-ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    port = free_port()
    read_only = f"sqlite:///file:{path.resolve()}?mode=ro&uri=true"  # frozen_serve runs no migration
    argv = [sys.executable, str(BENCH / "frozen_serve.py"), "--database-url", read_only, "--now", str(NOW)]
    argv += ["--port", str(port), "--workers", str(WORKERS)]
    server = Server("inboxd-1M-frozen", argv, port, logs)
    try:
        server.start()
        # bench/search_bench.py's database opens with its token; one of this script's with ours
        token = next((t for t in (getattr(search_bench, "TOKEN", TOKEN), TOKEN) if answers(server, t)), TOKEN)
        c = max(run.concurrency)
        seconds = max(3 * run.args.duration, 30)
        script = lua_mix(ids_file, list_paths(server, token), list(search_bodies(read_only).values()))
        with Sampler(server) as sampler:
            figure = run.wrk.run(server.base + "/", run.wrk.script(script, c, token), c, seconds)
        big["get"] = figure
        big["seconds"] = seconds
        big["rss_peak"] = sorted(sampler.peak.values())
        big["rss_after"] = sorted(server.rss().values())
        log(
            f"1M: mixed GET/list/search c={c} {figure.rps:,.0f} rps, errors {figure.error_count}; "
            f"worker RSS peak {big['rss_peak']} MB"
        )
    finally:
        server.stop()


# -- report ---------------------------------------------------------------------------------------


def machine(pg_version: str) -> dict[str, str]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "?"

    wrk_version = "?"
    with contextlib.suppress(OSError):
        done = subprocess.run([shutil.which("wrk") or "wrk", "-v"], capture_output=True, text=True, check=False)
        wrk_version = (done.stdout + done.stderr).splitlines()[0].strip()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": search_bench._cpu(),
        "memory": _memory(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "packages": ", ".join(
            f"{p} {version(p)}" for p in ("granian", "starlette", "orjson", "sqlalchemy", "psycopg", "py-spy")
        ),
        "load generator": wrk_version,
        "load average at start (1/5/15 min; other work on the machine skews the figures)": " ".join(
            f"{x:.2f}" for x in os.getloadavg()
        ),
    }


def _memory() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return "?"


def postgres_version(admin_url: str) -> str:
    try:
        engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            value = str(conn.execute(text("SHOW server_version")).scalar())
        engine.dispose()
        return value
    except Exception:
        return "unreachable"


def mb(values: list[float]) -> str:
    return " + ".join(f"{v:.0f}" for v in values) + " MB" if values else "?"


def report(run: Run, command: str) -> str:
    r = run.results
    args = run.args
    ceiling: dict[int, Figure] = r["ceiling"].get("figures", {})
    lines = [
        "## HTTP load (`make bench`)",
        "",
        "Written by `bench/http_bench.py` (how it works: [README.md](README.md#http-make-bench)); "
        "edit outside the `http-results` markers.",
        "",
        f"- command: `{command}`",
        *(f"- {k}: {v}" for k, v in r["machine"].items()),
        f"- data: {args.conversations:,} conversations (`inboxd seed --seed {SEED['seed']} --now {NOW} "
        f"--parts-per-conversation {SEED['parts']}`, snoozes woken), a copy per run; "
        f"server: `inboxd serve --workers {WORKERS} --rate-limit 0`",
        f"- wrk from loopback, {'1 thread at c=1, 2 above' if 1 in run.concurrency else '2 threads'}; "
        f"{args.warmup} s warm-up then {args.duration} s measured per row; latency in ms (wrk's p50/p99, "
        "no coordinated-omission correction); errors = socket errors + timeouts + HTTP ≥ 400"
        " (+ close/open answers that changed nothing)",
        f"- ceiling: bench/ceiling.py (granian + Starlette, {WORKERS} workers, no database) answering "
        f"a pre-encoded {r['ceiling'].get('document_bytes', 0):,}-byte document, the median-size "
        "GET /conversations/{id} response of this run; ratio = rps / ceiling rps at the same concurrency",
        "",
    ]
    if r["skipped"]:
        lines += [*(f"- skipped: {k}: {v}" for k, v in r["skipped"].items()), ""]
    if ceiling:
        lines += ["### ceiling", "", "| c | rps | p50 | p99 | errors |", "|---:|---:|---:|---:|---:|"]
        for c, f in sorted(ceiling.items()):
            lines.append(f"| {c} | {f.rps:,.0f} | {f.p50_ms:.2f} | {f.p99_ms:.2f} | {f.error_count} |")
        lines.append("")
    for engine_name, e in r["engines"].items():
        lines += [
            f"### {engine_name}",
            "",
            f"GET ids: {e.get('get_ids', 0):,} conversations with {GET_PARTS[0]}-{GET_PARTS[1]} parts "
            f"(median response {e.get('document_bytes', 0):,} bytes); start-up to /readyz "
            f"{e.get('startup_s', 0):.2f} s; worker RSS idle {mb(e.get('rss_idle', []))}, "
            f"peak over the run {mb(e.get('rss_peak', []))}.",
            "",
            *(
                [
                    f"GET is measured after every one of those conversations was fetched once (its rendered "
                    f"document is then stored: store/documents.py), the steady state of a running server. Those "
                    f"first views (each a render) ran at {fv['rps']:,.0f} rps ({fv['clients']} Python clients); "
                    f"{fv['stored']:,} documents were stored.",
                    "",
                ]
                if (fv := e.get("first_views"))
                else []
            ),
            "| endpoint | c | rps | p50 | p99 | errors | × ceiling |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for key, by_c in e["figures"].items():
            for c, f in sorted(by_c.items()):
                ratio = f"{f.rps / ceiling[c].rps:.2f}" if c in ceiling and ceiling[c].rps else "—"
                err = f"{f.error_count} ✗" if f.error_count else "0"
                cells = [
                    LABELS.get(key, key),
                    str(c),
                    f"{f.rps:,.0f}",
                    f"{f.p50_ms:.2f}",
                    f"{f.p99_ms:.2f}",
                    err,
                    ratio,
                ]
                lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if r["soak"]:
        s = r["soak"]
        f = s["figure"]
        lines += [
            f"### soak (sqlite): {s['seconds']} s of mixed GET 8 : list 1 : search 1 at c={s['concurrency']}",
            "",
            f"{f.rps:,.0f} rps, p50 {f.p50_ms:.2f} ms, p99 {f.p99_ms:.2f} ms, errors {f.error_count}. "
            "Worker RSS (MB) every 10 s: "
            + "; ".join(f"{t} s: {', '.join(f'{v:.0f}' for v in vals)}" for t, vals in s["samples"]),
            "",
        ]
    if r["big"]:
        b = r["big"]
        lines += [
            f"### start-up and memory on {b['path']} ({b['conversations']:,} conversations)",
            "",
            "- start-up, spawn of `inboxd serve --workers 2` to /readyz 200: "
            + ", ".join(f"{s:.2f}" for s in b["startup_s"])
            + f" s; worker RSS at ready {mb(b['rss_ready'])}",
        ]
        if "get" in b:
            g = b["get"]
            lines.append(
                f"- {b['seconds']} s of the soak's mix (GET by random id 8 : list page 1 : search 1) at "
                f"c={max(run.concurrency)}, served by bench/frozen_serve.py (inboxd's app, the clock at the seed's "
                f"now, the file read-only): {g.rps:,.0f} rps, p99 {g.p99_ms:.2f} ms, errors {g.error_count}; "
                f"worker RSS peak {mb(b['rss_peak'])}, after {mb(b['rss_after'])}"
            )
        lines.append("")
    if r["profiles"]:
        lines += ["### profiles (py-spy, one worker, an extra run at the highest concurrency)", ""]
        for p in r["profiles"]:
            if "error" in p:
                lines.append(f"- {p['engine']}, {p['load']}: {p['error']}")
                continue
            link = os.path.relpath(p["file"], args.output.resolve().parent)
            lines.append(
                f"- {p['engine']}, {p['load']} ({p['rps_under_profiler']:,} rps under the profiler): "
                f"[{shown(Path(p['file']))}]({link})"
            )
            for kind, what in (("self", "samples in"), ("inboxd", "inboxd's functions, with what they call")):
                shares = "; ".join(f"`{name}` {share:.0f} %" for name, share in p["top"][kind][:6])
                lines.append(f"  - {what}: {shares}")
        lines.append("")
    lines += ["### verdict", "", *verdicts(run), ""]
    return "\n".join(lines)


def verdicts(run: Run) -> list[str]:
    r = run.results
    ceiling: dict[int, Figure] = r["ceiling"].get("figures", {})
    top = max(run.concurrency)
    out: list[str] = []

    def line(ok: bool | None, text: str) -> None:
        out.append(f"- {'✓' if ok else '✗' if ok is not None else '–'} {text}")

    for engine_name, e in r["engines"].items():
        figures = e["figures"]
        for key, target, what in (("get", TARGET_GET, "GET /conversations/{id}"), ("list", TARGET_LIST, "list page")):
            f = figures.get(key, {}).get(top)
            if f is None or top not in ceiling:
                line(None, f"{engine_name}: {what} ≥ {target:.2f} × ceiling at c={top}: not measured")
                continue
            ratio = f.rps / ceiling[top].rps
            where = next(
                (
                    f" (profile: {shown(Path(p['file']))})"
                    for p in r["profiles"]
                    if p["load"] == LABELS[key] and p["engine"] == engine_name and "error" not in p
                ),
                "",
            )
            if ratio >= target:
                where = ""
            # The targets are the SQLite run's; PostgreSQL is held to the same ratios as a comparison.
            compared = "" if engine_name == "sqlite" else " (a comparison: the targets are SQLite's)"
            line(
                ratio >= target,
                f"{engine_name}: {what} ≥ {target:.2f} × ceiling at c={top}: {ratio:.2f}{compared}{where}",
            )
        for key, what in (("reply", "reply"), ("parts", "close")):
            f = figures.get(key, {}).get(top)
            if f is None:
                continue
            ok: bool | None = f.rps >= TARGET_WRITES if engine_name == "sqlite" else None
            note = "" if engine_name == "sqlite" else " (the target is SQLite's; for information)"
            line(ok, f"{engine_name}: {what} ≥ {TARGET_WRITES:,.0f} requests/s at c={top}: {f.rps:,.0f}{note}")
    big = r["big"]
    # The targets name the 1M database; a smaller one (--big-db) is reported, not judged.
    judged = bool(big) and big["conversations"] >= 1_000_000
    if big and "rss_peak" in big:
        peak = max(big["rss_peak"], default=0.0)
        elsewhere = ", ".join(
            f"{name} {max(e['rss_peak']):.0f} MB" for name, e in r["engines"].items() if e.get("rss_peak")
        )
        line(
            peak < TARGET_RSS_MB if judged else None,
            f"each worker under {TARGET_RSS_MB:.0f} MB serving the 1M database: peak {peak:.0f} MB"
            + ("" if judged else f" on {big['conversations']:,} conversations, not judged")
            + (f" (for comparison, peak over the {run.args.conversations:,} runs: {elsewhere})" if elsewhere else ""),
        )
    else:
        line(None, f"each worker under {TARGET_RSS_MB:.0f} MB serving the 1M database: not measured (skipped)")
    if r["soak"]:
        workers = r["soak"]["workers"]
        flat = all(w["flat"] for w in workers.values()) and bool(workers)
        detail = ", ".join(f"{w['first']:.0f} → {w['last']:.0f} MB (max {w['max']:.0f})" for w in workers.values())
        line(
            flat,
            f"worker memory flat over the {r['soak']['seconds']} s soak (end within 10 % of first sample): {detail}",
        )
    else:
        line(None, "worker memory flat over a soak: not measured (--soak 0)")
    if big and "startup_s" in big:
        worst = max(big["startup_s"])
        line(
            worst < TARGET_STARTUP_S if judged else None,
            f"start-up under {TARGET_STARTUP_S:.0f} s on the 1M database: {worst:.2f} s (worst of 3)"
            + ("" if judged else f" on {big['conversations']:,} conversations, not judged"),
        )
    else:
        line(None, f"start-up under {TARGET_STARTUP_S:.0f} s on the 1M database: not measured (skipped)")
    errors = total_errors(run)
    line(errors == 0, f"no request failed: {errors} errors")
    return out


def all_figures(run: Run) -> Iterator[Figure]:
    r = run.results
    for e in r["engines"].values():
        for by_c in e["figures"].values():
            yield from by_c.values()
    yield from r["ceiling"].get("figures", {}).values()
    if r["soak"]:
        yield r["soak"]["figure"]
    if r["big"] and "get" in r["big"]:
        yield r["big"]["get"]


def total_errors(run: Run) -> int:
    return sum(f.error_count for f in all_figures(run))


def write_markdown(path: Path, block: str) -> None:
    """Replace what is between the markers (append them when absent), in one quick read-modify-write:
    the rest of the file is edited by hand, by others, meanwhile."""
    section = f"{MARK_START}\n{block}\n{MARK_END}"
    old = path.read_text() if path.exists() else ""
    if MARK_START in old and MARK_END in old:
        start = old.index(MARK_START)
        end = old.index(MARK_END, start) + len(MARK_END)
        new = old[:start] + section + old[end:]
    else:
        new = old + ("" if old.endswith("\n") or not old else "\n") + "\n" + section + "\n"
    path.write_text(new)


def to_json(value: Any) -> Any:
    if isinstance(value, Figure):
        return value.as_json()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


# -- main -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000, help="size of the seeded database")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--concurrency", default="1,16,64", help="wrk connections, comma-separated")
    parser.add_argument(
        "--loads",
        default="",
        help="only these loads (a quick look): comma-separated keys of get, list, search-open, search-window, "
        "search-rare, reply, parts",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per endpoint and concurrency")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each measured run (0: none)")
    parser.add_argument("--timeout", type=int, default=10, help="wrk's request timeout, seconds")
    parser.add_argument("--soak", type=int, default=0, help="seconds of mixed load for the memory soak (0: none)")
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="py-spy flame graphs of GET and list at the highest concurrency (--profile-dir)",
    )
    parser.add_argument("--profile-dir", type=Path, default=BENCH / "profiles")
    parser.add_argument(
        "--big-db",
        default=str(BIG_DB),
        help="the 1M SQLite database for start-up time and memory ('' skips); opened read-only",
    )
    parser.add_argument("--data", type=Path, default=BENCH / "data", help="where the seeded databases are kept")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("INBOXD_BENCH_POSTGRES_URL", "postgresql+psycopg://inboxd:inboxd@127.0.0.1/postgres"),
        help="a database of a role that may CREATE DATABASE (env INBOXD_BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--output", type=Path, default=BENCH / "BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print the results, leave BENCHMARKS.md alone")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    parser.add_argument("--prepare", action="store_true", help="only seed the databases that are missing or stale")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk; `make bench` does it as root)")
    args.data.mkdir(parents=True, exist_ok=True)
    engines = [e for e in args.engines.split(",") if e]

    pg_reason = postgres_unreachable(args.postgres_url) if "postgresql" in engines else None
    if args.prepare:
        sqlite_cache(args.conversations, args.data)
        if "postgresql" in engines and pg_reason is None:
            postgres_template(args.conversations, args.data, args.postgres_url)
        return 0
    with tempfile.TemporaryDirectory(prefix="inboxd-http-bench-") as tmp:
        workdir = Path(tmp)
        run = Run(args, workdir)
        run.results["machine"] = machine(postgres_version(args.postgres_url) if "postgresql" in engines else "not used")
        if pg_reason is not None:
            log(f"PostgreSQL skipped: {pg_reason}")
            run.results["skipped"]["postgresql"] = pg_reason
            engines.remove("postgresql")
        logs = workdir
        document: bytes | None = None
        try:
            for engine_name in engines:
                with run_copy(engine_name, args.conversations, args.data, args.postgres_url) as url:
                    sample = measure_engine(run, engine_name, url, logs)
                if document is None:
                    document = sample
                    measure_ceiling(run, document, workdir / f"{engine_name}-get.txt", logs)
            big_database(run, logs)
        except Exception:
            for log_file in sorted(logs.glob("*.log")):
                log(f"--- {log_file.name} (last lines)\n" + "\n".join(log_file.read_text().splitlines()[-20:]))
            raise
        command = " ".join([".venv/bin/python", "bench/http_bench.py", *sys.argv[1:]])
        block = report(run, command)
        print(block)
        if args.json is not None:
            args.json.write_text(json.dumps(to_json(run.results), indent=1, default=str))
        if not args.no_write:
            write_markdown(args.output, block)
            log(f"wrote {args.output}")
        errors = total_errors(run)
        if errors:
            log(f"✗ {errors} requests failed: the figures above are flagged")
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
