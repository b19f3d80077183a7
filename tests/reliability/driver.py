"""Drive a real `inboxd serve` over HTTP the way production load does, and remember every answer.

- :class:`Server`: one `inboxd serve` subprocess (one or more workers) in a process group of its
  own, which can be killed with SIGKILL in the middle of requests and started again on the same
  port and database.
- :class:`Load`: writer threads sending creates, replies, notes, closes, opens, snoozes,
  assignments and tags at full speed. Every request is a :class:`Record` with its answer; a
  request that got no answer (the server died under it) is recorded as such: its outcome is
  unknown, and either outcome is allowed — but never half of it.
- :func:`burst`: N requests released at the same instant behind a barrier (concurrency tests).
- :func:`crash_campaign`: load, SIGKILL, restart, verify; repeated. :func:`burst_campaign`:
  rounds of bursts on fresh conversations, verified at the end.

What a record must imply about the database afterwards is checked by ``checks.py``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

TOKEN = "reliability-token-1"
ADMINS = 6
TEAMS = 2
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
REQUEST_TIMEOUT = 90.0  # above SQLite's 30 s busy timeout and the PostgreSQL pool's 30 s wait
KEY_PREFIX = "rel:"  # every body a driver writes starts with this and carries its request's key
MAX_LOAD_SECONDS = 60.0  # between two kills, whatever the request count reached
RATE_LIMIT = 100_000_000  # calls per minute per token
RETIRE_AT = 300  # a conversation with this many parts takes no more writes: GET shows at most 500


def workspace_file_text(token: str = TOKEN) -> str:
    """One workspace: ``ADMINS`` admins spread over ``TEAMS`` teams."""
    lines = ["[[workspaces]]", 'name = "Reliability"', 'id_code = "reliability"', f'access_tokens = ["{token}"]']
    for i in range(ADMINS):
        lines += ["[[workspaces.admins]]", f'name = "Admin {i}"', f'email = "admin{i}@reliability.test"']
    for t in range(TEAMS):
        emails = ", ".join(f'"admin{i}@reliability.test"' for i in range(ADMINS) if i % TEAMS == t)
        lines += ["[[workspaces.teams]]", f'name = "Team {t}"', f"admin_emails = [{emails}]"]
    return "\n".join(lines) + "\n"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- databases ----------------------------------------------------------------------------------


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory}/reliability.sqlite3"


@contextlib.contextmanager
def postgres_database(base_url: str, name: str) -> Iterator[str]:
    """A fresh database ``name`` beside the one ``base_url`` names (the role needs CREATEDB),
    dropped afterwards; yields its URL."""
    admin = create_engine(make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        drop_database(admin, name)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
        finally:
            drop_database(admin, name)
    finally:
        admin.dispose()


def drop_database(admin: Engine, name: str, attempts: int = 30) -> None:
    """DROP DATABASE … WITH (FORCE), which PostgreSQL 15 refuses while an autovacuum worker is in
    the database (not a process a non-superuser may terminate): retried until the worker is done."""
    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except ProgrammingError:
            if attempt == attempts - 1:
                raise
            time.sleep(1.0)


def durability_settings(database_url: str) -> dict[str, str]:
    """What makes a commit durable, as the database in use reports it."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with contextlib.closing(sqlite3.connect(url.database or "")) as conn:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        # synchronous is per connection: inboxd sets it on each of its own (store/engine.py).
        return {"journal_mode": mode, "synchronous": "NORMAL (set by inboxd on every connection)"}
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = ("synchronous_commit", "fsync", "full_page_writes", "wal_sync_method", "server_version")
            return {name: str(conn.execute(text(f"SHOW {name}")).scalar()) for name in names}
    finally:
        engine.dispose()


def sqlite_integrity(database_url: str) -> str:
    """SQLite's own verdict on the file (``ok`` or the first problems)."""
    path = make_url(database_url).database or ""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
        return ", ".join(row[0] for row in conn.execute("PRAGMA integrity_check").fetchall())


# -- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_workspace_file(directory: Path) -> Path:
    path = directory / "reliability-workspace.toml"
    path.write_text(workspace_file_text(), encoding="utf-8")
    return path


class Server:
    """`inboxd serve` on a fixed loopback port; start() again after kill() to restart it on the
    same port and database. Output goes to files (appended across restarts), never to pipes."""

    def __init__(
        self, workdir: Path, database_url: str, *, workers: int = 1, name: str = "inboxd", rate_limit: int = RATE_LIMIT
    ) -> None:
        self.workdir = workdir
        self.database_url = database_url
        self.workers = workers
        self.rate_limit = rate_limit
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workspace_file = write_workspace_file(workdir)
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> Server:
        assert self.process is None or self.process.poll() is not None, "already running"
        env = {k: v for k, v in os.environ.items() if not k.startswith("INBOXD_")}
        env.update(PYTHONUNBUFFERED="1", INBOXD_WORKSPACE_FILE=str(self.workspace_file))
        # Rate limiting stays on (its shared counters are written under the same load) with a
        # quota no run reaches unless one is asked for: a 429 would be a refusal, not a lost write.
        env["INBOXD_RATE_LIMIT"] = str(self.rate_limit)
        command = [sys.executable, "-m", "inboxd", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--database-url", self.database_url, "--workers", str(self.workers)]
        for attempt in itertools.count():
            with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
                self.process = subprocess.Popen(
                    command,
                    stdout=out,
                    stderr=err,
                    stdin=subprocess.DEVNULL,
                    cwd=self.workdir,
                    env=env,
                    start_new_session=True,  # its own process group: kill() reaches granian's workers
                )
            self.starts += 1
            try:
                self._wait_ready()
                return self
            except _ExitedEarly:
                # The port may still be held for a moment by the killed process group.
                if attempt >= 5 or "ddress already in use" not in self.logs():
                    raise AssertionError(f"inboxd serve exited early\n{self.logs()}") from None
                time.sleep(0.5)
        raise AssertionError("unreachable")

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise _ExitedEarly()
            try:
                if httpx2.get(f"{self.base}/me", timeout=2.0).status_code == 401:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"inboxd serve did not answer within {START_TIMEOUT}s\n{self.logs()}")

    def kill(self) -> None:
        """SIGKILL to the whole process group, then wait until none of its processes runs: a
        worker still writing to SQLite after its restart would not be a process-kill test.
        Signals go to the group only while its leader is unreaped, so the id cannot belong to
        anyone else."""
        assert self.process is not None
        pgid = self.process.pid
        self._signal(signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _live_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        """The end of a run: SIGKILL too. A graceful stop is not what is tested here, and granian
        (2.8) with two workers can hang on SIGTERM sent just after start (a worker still starting
        misses the shutdown), which would cost a STOP_TIMEOUT per test."""
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def _signal(self, sig: int) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def logs(self) -> str:
        out = self.stdout_path.read_text(encoding="utf-8", errors="replace")
        err = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        return f"--- stdout ---\n{out[-4000:]}\n--- stderr ---\n{err[-8000:]}"

    def server_errors(self) -> int:
        """Tracebacks the server logged (unhandled errors become 500s and are logged)."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace").count("Traceback")


class _ExitedEarly(Exception):
    pass


def _live_members(pgid: int) -> bool:
    """Whether a process of group ``pgid`` is still running (zombies do not count). Linux /proc."""
    proc = Path("/proc")
    if not proc.is_dir():
        time.sleep(0.5)
        return False
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


# -- requests and what became of them -----------------------------------------------------------


@dataclass
class Record:
    """One request and its answer. ``status`` None: the connection broke before an answer came
    (the outcome is unknown); a request that never reached the server is not recorded."""

    op: str
    key: str
    method: str
    path: str
    body: dict[str, Any] | None
    conversation: str | None = None
    status: int | None = None
    response: Any = None
    error: str | None = None
    started: float = 0.0
    finished: float = 0.0
    via: str = ""  # the base URL of the server it was sent to

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


_KEYS = itertools.count(1)  # next() on a count is atomic under the GIL


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.records: list[Record] = []

    def key(self) -> str:
        return f"k{next(_KEYS)}"  # unique in the process, whichever recorder asks

    def add(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)

    def snapshot(self) -> list[Record]:
        with self._lock:
            return list(self.records)


class NotSent(Exception):
    """The connection could not be made: the request never reached a server."""


_TLS = ssl.create_default_context()  # shared: building one (loading the CA store) per client is costly CPU


def client(base: str, token: str = TOKEN) -> httpx2.Client:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx2.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT, verify=_TLS)


def send(
    http: httpx2.Client,
    recorder: Recorder | None,
    op: str,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    key: str = "",
    conversation: str | None = None,
) -> Record:
    record = Record(
        op, key, method, path, body, conversation, started=time.monotonic(), via=str(http.base_url).rstrip("/")
    )
    try:
        response = http.request(method, path, json=body)
    except httpx2.ConnectError as exc:
        raise NotSent(str(exc)) from exc
    except httpx2.TransportError as exc:
        record.error = f"{type(exc).__name__}: {exc}"
    else:
        record.status = response.status_code
        try:
            record.response = response.json()
        except ValueError:
            record.response = response.text
    record.finished = time.monotonic()
    if recorder is not None:
        recorder.add(record)
    return record


def get_json(http: httpx2.Client, path: str) -> Any:
    response = http.get(path)
    if response.status_code != 200:
        raise AssertionError(f"GET {path} → {response.status_code}: {response.text[:500]}")
    return response.json()


# -- the workload -------------------------------------------------------------------------------


@dataclass
class World:
    """What the writers know: admins, teams, tags, contacts, and the conversations that take writes."""

    admins: list[str]
    teams: list[str]
    tags: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    owner: dict[str, str] = field(default_factory=dict)  # conversation id → its contact
    live: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pick(self, rng: random.Random) -> tuple[str, str]:
        with self.lock:
            pool = self.live[-4:] if rng.random() < 0.5 else self.live  # a few hot conversations
            conversation = rng.choice(pool)
            return conversation, self.owner[conversation]

    def add_conversation(self, conversation: str, contact: str) -> None:
        with self.lock:
            self.owner[conversation] = contact
            self.live.append(conversation)

    def retire(self, conversation: str) -> None:
        with self.lock:
            if conversation in self.live and len(self.live) > 1:
                self.live.remove(conversation)


def setup(base: str, recorder: Recorder, *, contacts: int = 8, conversations: int = 6, tags: int = 4) -> World:
    """Contacts, tags and first conversations, through the API, recorded like any other write."""
    with client(base) as http:
        world = World(
            admins=[a["id"] for a in get_json(http, "/admins")["admins"]],
            teams=[t["id"] for t in get_json(http, "/teams")["teams"]],
        )
        rng = random.Random(0)
        for _ in range(contacts):
            _ok(Writer(http, recorder, world, rng).create_contact())
        for i in range(tags):
            _ok(Writer(http, recorder, world, rng).create_tag(f"tag-{i}"))
        for _ in range(conversations):
            _ok(Writer(http, recorder, world, rng).create_conversation())
    return world


def _ok(record: Record) -> None:
    if not record.acknowledged:
        raise AssertionError(f"setup request failed: {record}")


# Relative weights of the operations a writer chooses from.
MIX: dict[str, int] = {
    "create_conversation": 8,
    "admin_comment": 16,
    "admin_note": 4,
    "contact_comment": 16,
    "close": 12,
    "open": 8,
    "snooze": 8,
    "assign": 10,
    "tag": 6,
    "create_tag": 1,
    "create_contact": 1,
    "update": 4,
    "read": 12,
    "list": 2,
    "search": 2,
}


class Writer:
    """One client's operations; each builds a request with a fresh key, sends and records it."""

    def __init__(self, http: httpx2.Client, recorder: Recorder, world: World, rng: random.Random) -> None:
        self.http, self.recorder, self.world, self.rng = http, recorder, world, rng

    def _send(
        self, op: str, method: str, path: str, body: dict[str, Any] | None, key: str, conversation: str | None = None
    ) -> Record:
        return send(self.http, self.recorder, op, method, path, body or None, key=key, conversation=conversation)

    def create_contact(self) -> Record:
        key = self.recorder.key()
        body = {"role": "user", "email": f"{key}@reliability.test", "name": KEY_PREFIX + key}
        record = self._send("create_contact", "POST", "/contacts", body, key)
        if record.acknowledged:
            with self.world.lock:
                self.world.contacts.append(record.response["id"])
        return record

    def create_tag(self, name: str | None = None) -> Record:
        key = self.recorder.key()
        name = name or f"tag-{self.rng.randrange(8)}"  # a small set: creators race on one name
        record = self._send("create_tag", "POST", "/tags", {"name": name}, key)
        if record.acknowledged:
            with self.world.lock:
                if record.response["id"] not in self.world.tags:
                    self.world.tags.append(record.response["id"])
        return record

    def create_conversation(self) -> Record:
        key = self.recorder.key()
        with self.world.lock:
            contact = self.rng.choice(self.world.contacts)
        body = {"from": {"type": "user", "id": contact}, "body": KEY_PREFIX + key}
        record = self._send("create_conversation", "POST", "/conversations", body, key)
        if record.acknowledged:
            self.world.add_conversation(record.response["conversation_id"], contact)
        return record

    def on_conversation(self, op: str) -> Record:
        conversation, contact = self.world.pick(self.rng)
        key = self.recorder.key()
        admin = self.rng.choice(self.world.admins)
        text = KEY_PREFIX + key
        method, path = "POST", f"/conversations/{conversation}/parts"
        body: dict[str, Any]
        if op in ("admin_comment", "admin_note"):
            path = f"/conversations/{conversation}/reply"
            kind = "comment" if op == "admin_comment" else "note"
            body = {"type": "admin", "admin_id": admin, "message_type": kind, "body": text}
        elif op == "contact_comment":
            path = f"/conversations/{conversation}/reply"
            body = {"type": "user", "intercom_user_id": contact, "message_type": "comment", "body": text}
        elif op == "close":
            body = {"message_type": "close", "type": "admin", "admin_id": admin, "body": text}
        elif op == "open":
            body = {"message_type": "open", "admin_id": admin}
        elif op == "snooze":
            # Short snoozes wake during the run (a timer_unsnooze part written by whichever
            # request comes next); long ones stay snoozed.
            until = int(time.time()) + self.rng.choice((6, 6, 3600))
            body = {"message_type": "snoozed", "admin_id": admin, "snoozed_until": until}
        elif op == "assign":
            if self.rng.random() < 0.5:
                body = {"message_type": "assignment", "type": "admin", "admin_id": admin}
                body["assignee_id"] = self.rng.choice(self.world.admins)
            else:
                body = {"message_type": "assignment", "type": "team", "admin_id": admin}
                body["assignee_id"] = self.rng.choice(self.world.teams)
            body["body"] = text
        elif op == "tag":
            with self.world.lock:
                tag = self.rng.choice(self.world.tags)
            path = f"/conversations/{conversation}/tags"
            body = {"id": tag, "admin_id": admin}
        elif op == "update":
            method, path, body = "PUT", f"/conversations/{conversation}", {"title": text, "read": True}
        elif op == "read":
            method, path, body = "GET", f"/conversations/{conversation}", {}
        else:
            raise ValueError(op)
        record = self._send(op, method, path, body or None, key, conversation)
        if record.acknowledged and isinstance(record.response, dict):
            count = record.response.get("statistics", {}).get("count_conversation_parts", 0)
            if count >= RETIRE_AT:
                self.world.retire(conversation)
        return record

    def run(self, op: str) -> Record:
        if op == "create_contact":
            return self.create_contact()
        if op == "create_tag":
            return self.create_tag()
        if op == "create_conversation":
            return self.create_conversation()
        if op == "list":
            return self._send(op, "GET", "/conversations?per_page=20", {}, "")
        if op == "search":
            query = {"field": "state", "operator": "=", "value": self.rng.choice(("open", "closed", "snoozed"))}
            return self._send(op, "POST", "/conversations/search", {"query": query}, "")
        return self.on_conversation(op)


class Load:
    """``writers`` threads, each with its own connection, sending :data:`MIX` at full speed.

    pause() returns once every writer is parked (no request in flight); a writer whose request
    broke (the server was killed) reconnects and parks until resume().

    With several servers (``base`` a list: processes on one database), writer ``i`` sends to
    server ``i mod n``; a request its server refuses to connect (killed, not restarted yet) goes to
    the next one that accepts, as a load balancer sends it: it never reached the first, so it is
    sent once all the same."""

    def __init__(self, base: str | list[str], world: World, recorder: Recorder, *, writers: int, seed: int = 0) -> None:
        self.bases = [base] if isinstance(base, str) else list(base)
        self.world = world
        self.recorder = recorder
        self.writers = writers
        self.seed = seed
        self._cond = threading.Condition()
        self._running = False
        self._stopping = False
        self._parked = 0
        self._threads: list[threading.Thread] = []
        self.failures: list[BaseException] = []
        self.ops, self.weights = list(MIX), list(MIX.values())

    def start(self) -> Load:
        self._running = True
        for i in range(self.writers):
            thread = threading.Thread(target=self._writer, args=(i,), name=f"writer-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _park(self) -> bool:
        """Wait for resume(); False when the load is stopping."""
        with self._cond:
            self._parked += 1
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._running or self._stopping)
            self._parked -= 1
            return not self._stopping

    def _writer(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        at = index % len(self.bases)
        home, others = self.bases[at], self.bases[at + 1 :] + self.bases[:at]
        http = client(home)
        fallbacks = [client(b) for b in others]
        try:
            while True:
                if not self._running and not self._park():
                    return
                op = rng.choices(self.ops, self.weights)[0]
                record = None
                for connection in (http, *fallbacks):
                    try:
                        record = Writer(connection, self.recorder, self.world, rng).run(op)
                        break
                    except NotSent:
                        continue
                if record is None or (record.via == home and record.status is None):
                    # Its server is gone: drop the dead connections; wait for the restart (or,
                    # with several servers, go on through the others meanwhile).
                    http.close()
                    http = client(home)
                    time.sleep(0.02)
        except BaseException as exc:  # reported by stop()
            self.failures.append(exc)
            with self._cond:
                self._parked += 1
                self._cond.notify_all()
        finally:
            http.close()
            for connection in fallbacks:
                connection.close()

    def pause(self, timeout: float = 2 * REQUEST_TIMEOUT) -> None:
        with self._cond:
            self._running = False
            if not self._cond.wait_for(lambda: self._parked >= self.writers, timeout):
                raise AssertionError(f"writers did not stop within {timeout}s")
        self._raise_failures()

    def resume(self) -> None:
        with self._cond:
            self._running = True
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._running = False
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(2 * REQUEST_TIMEOUT)
        self._raise_failures()

    def _raise_failures(self) -> None:
        if self.failures:
            raise AssertionError(f"a writer failed: {self.failures[0]!r}") from self.failures[0]


# -- bursts -------------------------------------------------------------------------------------


def op_of(body: dict[str, Any]) -> str:
    """The Writer operation a reply or parts body is (what checks.effect expects of its answer)."""
    kind = body.get("message_type")
    if kind in ("comment", "note"):
        return "contact_comment" if body.get("type") != "admin" else f"admin_{kind}"
    return {"close": "close", "open": "open", "snoozed": "snooze", "assignment": "assign"}.get(str(kind), "other")


Request = tuple[str, str, dict[str, Any] | None]  # method, path, JSON body


def burst(base: str | list[str], requests: list[Request], recorder: Recorder) -> list[Record]:
    """Send every request at the same instant, each from its own thread and connection (opened
    beforehand), and return their records in the order given. Several servers (``base`` a list):
    request ``i`` goes to server ``i mod n``."""
    bases = [base] if isinstance(base, str) else base
    barrier = threading.Barrier(len(requests))
    out: list[Record | None] = [None] * len(requests)
    errors: list[BaseException] = []

    def one(index: int, method: str, path: str, body: dict[str, Any] | None) -> None:
        try:
            with client(bases[index % len(bases)]) as http:
                http.get("/me")  # the connection is open before the barrier falls
                barrier.wait()
                key = str((body or {}).get("body", "")).removeprefix(KEY_PREFIX)
                conversation = path.split("/")[2] if path.startswith("/conversations/") else None
                op = op_of(body or {})
                out[index] = send(http, recorder, op, method, path, body, key=key, conversation=conversation)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=one, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise AssertionError(f"burst failed: {errors[0]!r}") from errors[0]
    return [record for record in out if record is not None]


def reply_requests(conversation: str, contact: str, admins: list[str], count: int, tag: str) -> list[Request]:
    """``count`` replies to one conversation: contacts' comments, admins' comments, a few notes."""
    requests: list[Request] = []
    for i in range(count):
        text = f"{KEY_PREFIX}{tag}-{i}"
        if i % 2:
            body = {"type": "user", "intercom_user_id": contact, "message_type": "comment", "body": text}
        else:
            kind = "note" if i % 8 == 0 else "comment"
            body = {"type": "admin", "admin_id": admins[i % len(admins)], "message_type": kind, "body": text}
        requests.append(("POST", f"/conversations/{conversation}/reply", body))
    return requests


def state_change_requests(
    conversation: str, contact: str, admins: list[str], teams: list[str], count: int, tag: str, turn: int = 0
) -> list[Request]:
    """``count`` requests that change one conversation's state: close, open, snooze (an hour:
    nothing wakes during the burst), assign to an admin, to a team, and a contact's comment."""
    until = int(time.time()) + 3600
    requests: list[Request] = []
    for i in range(count):
        admin = admins[i % len(admins)]
        text = f"{KEY_PREFIX}{tag}-{i}"
        path = f"/conversations/{conversation}/parts"
        body: dict[str, Any]
        match i % 6:
            case 0:
                body = {"message_type": "close", "type": "admin", "admin_id": admin, "body": text}
            case 1:
                body = {"message_type": "open", "admin_id": admin}
            case 2:
                body = {"message_type": "snoozed", "admin_id": admin, "snoozed_until": until + i}
            case 3:
                body = {"message_type": "assignment", "type": "admin", "admin_id": admin, "body": text}
                body["assignee_id"] = admins[(i + turn) % len(admins)]
            case 4:
                body = {"message_type": "assignment", "type": "team", "admin_id": admin, "body": text}
                body["assignee_id"] = teams[(i + turn) % len(teams)]
            case _:
                body = {"type": "user", "intercom_user_id": contact, "message_type": "comment", "body": text}
                path = f"/conversations/{conversation}/reply"
        requests.append(("POST", path, body))
    return requests


# -- crash campaigns ----------------------------------------------------------------------------


@dataclass
class CampaignResult:
    engine: str
    workers: int
    processes: int = 1  # `inboxd serve` processes on the database, each with ``workers`` workers
    kills: int = 0
    sent: int = 0
    acknowledged: int = 0
    unanswered: int = 0  # in flight when the server died: outcome unknown, all-or-nothing checked
    unanswered_applied: int = 0  # of those, found applied (with a key to look for)
    lost: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    conversations: int = 0
    parts: int = 0
    time_inversions: int = 0
    # Several processes: requests the others answered while one was down (killed, restarting),
    # and how many of those were not a 2xx (each is also a problem).
    served_during_kills: int = 0
    failed_during_kills: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    settings: dict[str, str] = field(default_factory=dict)


ALONE_REQUESTS = 20  # answered by the others after a kill before the killed process is started again


def start_together(servers: list[Server]) -> list[Server]:
    """Start every server at the same moment (as a deployment starts its processes), each in a
    thread of its own; returns once all answer, or raises the first failure."""
    failures: list[BaseException] = []

    def start(server: Server) -> None:
        try:
            server.start()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        for server in servers:
            server.close()
        raise failures[0]
    return servers


def crash_campaign(
    workdir: Path,
    database_url: str,
    *,
    kills: int,
    writers: int,
    requests_per_kill: tuple[int, int],
    workers: int = 1,
    processes: int = 1,
    seed: int = 0,
    report: Callable[[str], None] = log,
) -> CampaignResult:
    """Start inboxd, load it at full speed, SIGKILL it mid-load (after a number of requests drawn
    from ``requests_per_kill``: the same volume on a fast or a busy machine), restart it, verify
    everything acknowledged so far; ``kills`` times. Stops at the first check that finds problems.

    ``processes`` > 1: that many `inboxd serve` on the one database, the writers spread over them;
    each kill takes the next process in turn while the others serve on, and every request they
    were sent from the kill until the killed one answers again must be a 2xx. The check then runs
    through the restarted process and through each of the others, whose caches lived through it."""
    from tests.reliability import checks

    engine = make_url(database_url).get_backend_name()
    result = CampaignResult(engine=engine, workers=workers, processes=processes)
    rng = random.Random(seed)
    recorder = Recorder()
    names = (
        [f"{engine}-w{workers}"] if processes == 1 else [f"{engine}-w{workers}-{chr(97 + i)}" for i in range(processes)]
    )
    servers = start_together([Server(workdir, database_url, workers=workers, name=name) for name in names])
    started = time.monotonic()
    load: Load | None = None
    try:
        world = setup(servers[0].base, recorder)
        load = Load([s.base for s in servers], world, recorder, writers=writers, seed=seed).start()
        for kill in range(1, kills + 1):
            victim = servers[(kill - 1) % processes]
            others = [s for s in servers if s is not victim]
            before = len(recorder.snapshot())
            target, loading = before + rng.randint(*requests_per_kill), time.monotonic()
            while len(recorder.records) < target and time.monotonic() - loading < MAX_LOAD_SECONDS:
                time.sleep(0.01)
            loaded = time.monotonic() - loading
            killed_at = time.monotonic()
            victim.kill()  # mid-load: writers have requests in flight
            alone = len(recorder.snapshot()) + ALONE_REQUESTS
            while others and len(recorder.records) < alone and time.monotonic() - killed_at < MAX_LOAD_SECONDS:
                time.sleep(0.01)
            if not others:
                load.pause()  # no process to serve meanwhile: the writers wait for the restart
            restart = time.monotonic()
            victim.start()  # with several processes, the writers go on through the others meanwhile
            restarted = time.monotonic() - restart
            back_at = time.monotonic()
            load.pause()
            records = recorder.snapshot()
            during = len(records) - before
            bases = {s.base for s in others}
            problems = []
            for r in records:
                if r.via in bases and killed_at <= r.started <= back_at:
                    result.served_during_kills += 1
                    if not r.acknowledged:
                        result.failed_during_kills += 1
                        problems.append(
                            f"{r.via} answered {r.op} {r.key} with {r.status or r.error} while {victim.base} was down"
                        )
            verdict = checks.verify(victim.base, records)
            for other in others:
                verdict.problems += [f"through {other.base}: {p}" for p in checks.verify(other.base, records).problems]
            verdict.problems += problems
            result.kills = kill
            if engine == "sqlite" and (integrity := sqlite_integrity(database_url)) != "ok":
                verdict.problems.append(f"PRAGMA integrity_check: {integrity}")
            label = f"w{workers}" if processes == 1 else f"{processes} processes of w{workers}"
            which = f" (process {servers.index(victim) + 1} of {processes})" if processes > 1 else ""
            report(
                f"{engine} {label} kill {kill}/{kills}{which} after {loaded:.1f}s ({during} requests), "
                f"restarted in {restarted:.1f}s, checked in {time.monotonic() - back_at:.1f}s: "
                f"{verdict.summary()}"
            )
            if verdict.problems:
                break
            load.resume()
        load.stop()
        result.problems = verdict.problems
        result.lost = verdict.lost
        result.conversations, result.parts = verdict.conversations, verdict.parts
        result.time_inversions = verdict.time_inversions
        result.unanswered_applied = verdict.unanswered_applied
        records = recorder.snapshot()
        result.sent = len(records)
        result.acknowledged = sum(r.acknowledged for r in records)
        result.unanswered = sum(r.status is None for r in records)
        result.statuses = Counter(str(r.status) if r.status is not None else "no answer" for r in records)
        for server in servers:
            if server.server_errors():
                result.problems.append(f"the server logged {server.server_errors()} tracebacks\n{server.logs()}")
        result.settings = durability_settings(database_url)
        result.seconds = time.monotonic() - started
        return result
    finally:
        if load is not None:
            with contextlib.suppress(AssertionError):
                load.stop()
        for server in servers:
            server.close()


# -- concurrency campaigns ----------------------------------------------------------------------


@dataclass
class BurstResult:
    engine: str
    workers: int
    processes: int = 1
    clients: int = 0
    bursts: int = 0
    sent: int = 0
    acknowledged: int = 0
    lost: int = 0
    slowest: float = 0.0  # seconds, one request of a burst
    statuses: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def burst_campaign(
    workdir: Path,
    database_url: str,
    *,
    workers: int,
    rounds: int,
    clients: int = 32,
    processes: int = 1,
    report: Callable[[str], None] = log,
) -> BurstResult:
    """``rounds`` times, on a fresh conversation: ``clients`` replies at once, then ``clients``
    state changes at once, twice; everything checked against one serial history at the end.
    ``processes`` > 1: that many `inboxd serve` on the database, each burst spread over them."""
    from tests.reliability import checks

    engine = make_url(database_url).get_backend_name()
    result = BurstResult(engine=engine, workers=workers, processes=processes, clients=clients)
    recorder = Recorder()
    names = [f"bursts-{engine}-w{workers}-{chr(97 + i)}" for i in range(processes)]
    servers = start_together([Server(workdir, database_url, workers=workers, name=name) for name in names])
    server = servers[0]
    started = time.monotonic()
    try:
        world = setup(server.base, recorder, contacts=2, conversations=0, tags=0)
        for round_ in range(rounds):
            with client(server.base) as http:
                _ok(Writer(http, recorder, world, random.Random(round_)).create_conversation())
            conversation = world.live[-1]
            contact = world.owner[conversation]
            batches = [reply_requests(conversation, contact, world.admins, clients, f"r{round_}")]
            batches += [
                state_change_requests(conversation, contact, world.admins, world.teams, clients, f"s{round_}{t}", t)
                for t in range(2)
            ]
            for requests in batches:
                records = burst([s.base for s in servers], requests, recorder)
                result.bursts += 1
                result.slowest = max(result.slowest, *(r.finished - r.started for r in records))
        verdict = checks.verify(server.base, recorder.snapshot())
        records = recorder.snapshot()
        result.sent = len(records)
        result.acknowledged = sum(r.acknowledged for r in records)
        result.statuses = Counter(str(r.status) for r in records)
        result.lost, result.problems = verdict.lost, verdict.problems
        for other in servers[1:]:  # through the others too: their caches saw every write go by
            result.problems += [f"through {other.base}: {p}" for p in checks.verify(other.base, records).problems]
        for each in servers:
            if each.server_errors():
                result.problems.append(f"the server logged {each.server_errors()} tracebacks\n{each.logs()}")
        result.seconds = time.monotonic() - started
        slowest = f"slowest {result.slowest:.2f}s"
        label = f"w{workers}" if processes == 1 else f"{processes} processes of w{workers}"
        report(f"{engine} {label} bursts: {result.bursts} of {clients}, {slowest}: {verdict.summary()}")
        return result
    finally:
        for each in servers:
            each.close()
