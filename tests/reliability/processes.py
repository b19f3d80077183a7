"""Several `inboxd serve` processes on one database, as a team runs them behind a load balancer:
what one process writes the other serves at once, a token revoked is refused by every process at
once, and the rate limit is one budget whichever process a call reaches.

- :class:`Processes`: the servers, started together (as a deployment starts them).
- :func:`read_your_writes`: clients each write to a conversation of their own through one
  process, then at once read it, list and search through the other, which had it cached just
  before: the reader's answer is the writer's.
- :func:`revocation`: readers keep calling every process with a token on the cached GET, the list,
  a search and /me; the token is revoked (the store function `inboxd token revoke` runs): every call
  sent after the commit is refused, and how long after the commit the first refusal came is timed.
- :func:`shared_rate_limit`: a fresh token's calls spread over every process: admitted as one
  budget per window, within the slack docs/security.md states for several processes.

The SIGKILL of one process while the other serves is :func:`driver.crash_campaign` with
``processes=2``. The CI-sized tests are test_processes.py; the long form is long.py.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from inboxd.api.rate_limits import BATCH, per_window
from inboxd.domain.clock import Clock
from inboxd.store import access_tokens
from inboxd.store.engine import make_engine
from inboxd.store.transactions import transaction
from tests.reliability.driver import (
    RATE_LIMIT,
    Record,
    Recorder,
    Server,
    World,
    Writer,
    client,
    setup,
    start_together,
)

WORKSPACE = "reliability"  # the workspace file's id_code (driver.workspace_file_text)


class Processes:
    """``count`` `inboxd serve` on one database, ``workers`` workers each, on ports of their own."""

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        *,
        count: int = 2,
        workers: int = 2,
        rate_limit: int = RATE_LIMIT,
        name: str = "process",
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.servers = [
            Server(workdir, database_url, workers=workers, name=f"{name}-{chr(97 + i)}", rate_limit=rate_limit)
            for i in range(count)
        ]

    @property
    def bases(self) -> list[str]:
        return [server.base for server in self.servers]

    def start(self) -> Processes:
        start_together(self.servers)
        return self

    def close(self) -> None:
        for server in self.servers:
            server.close()

    def server_errors(self) -> int:
        return sum(server.server_errors() for server in self.servers)

    def logs(self) -> str:
        return "\n".join(f"=== {server.base}\n{server.logs()}" for server in self.servers)


def new_token(database_url: str) -> str:
    """A token of the reliability workspace, made as `inboxd token create` makes it."""
    engine = make_engine(database_url)
    try:
        with transaction(engine, write=True) as conn:
            return access_tokens.create(conn, WORKSPACE, Clock().now())[1]
    finally:
        engine.dispose()


def revoke(database_url: str, token: str) -> None:
    """What `inboxd token revoke` does, returning once it has committed."""
    engine = make_engine(database_url)
    try:
        with transaction(engine, write=True) as conn:
            assert access_tokens.revoke(conn, token, Clock().now()) is not None
    finally:
        engine.dispose()


def _search(conversation: str) -> dict[str, Any]:
    return {"query": {"field": "id", "operator": "=", "value": conversation}}


# -- read your writes ---------------------------------------------------------------------------

# The writes each client cycles through (no snooze: the sweep would write to the conversation too,
# and the reader's answer must be exactly the writer's).
WRITES = ("admin_comment", "close", "tag", "update", "open", "contact_comment", "assign", "admin_note")


@dataclass
class ReadYourWritesResult:
    writes: int = 0
    reads: int = 0  # GET, list and search answers compared with a write's answer
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def read_your_writes(
    bases: list[str], database_url: str, *, clients: int, rounds: int, seed: int = 0
) -> ReadYourWritesResult:
    """``clients`` threads, each on a conversation of its own created through the first process;
    each round writes through one process (in turn) and reads through the next one, after reading
    the conversation there twice, listing and searching (so that process has it all cached). Each
    client has a token of its own: a rate limit set low for other checks counts per token."""
    result = ReadYourWritesResult()
    recorder = Recorder()
    shared = setup(bases[0], recorder, contacts=clients, conversations=0, tags=2)
    tokens = [new_token(database_url) for _ in range(clients)]
    lock = threading.Lock()
    failures: list[BaseException] = []
    started = time.monotonic()

    def one(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        connections = [client(base, tokens[index]) for base in bases]
        problems: list[str] = []
        reads = writes = 0
        try:
            contact = shared.contacts[index]
            world = World(admins=shared.admins, teams=shared.teams, tags=shared.tags, contacts=[contact])
            created = Writer(connections[0], recorder, world, rng).create_conversation()
            assert created.acknowledged, created
            conversation = created.response["conversation_id"]
            reader = connections[1 % len(bases)]
            found = reader.get(f"/conversations/{conversation}")
            if found.status_code != 200:
                problems.append(
                    f"{conversation} created through {bases[0]}: GET through {reader.base_url} said {found.status_code}"
                )
            for round_ in range(rounds):
                writer = connections[round_ % len(bases)]
                reader = connections[(round_ + 1) % len(bases)]
                for _ in range(2):
                    reader.get(f"/conversations/{conversation}")
                reader.get("/conversations?per_page=150")
                reader.post("/conversations/search", json=_search(conversation))
                record = Writer(writer, recorder, world, rng).on_conversation(WRITES[round_ % len(WRITES)])
                writes += 1
                if not record.acknowledged:
                    problems.append(f"{record.op} through {record.via}: {record.status} {str(record.response)[:300]}")
                    continue
                found_problems, count = _reads_show(reader, conversation, record)
                problems += found_problems
                reads += count
        except BaseException as exc:
            failures.append(exc)
        finally:
            for connection in connections:
                connection.close()
            with lock:
                result.problems += problems
                result.reads += reads
                result.writes += writes

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise AssertionError(f"a client failed: {failures[0]!r}") from failures[0]
    result.seconds = time.monotonic() - started
    return result


def _reads_show(reader: httpx2.Client, conversation: str, record: Record) -> tuple[list[str], int]:
    """Problems with the reader's GET, list and search right after ``record``'s answer: each must
    be the write's answer (a conversation), or show the tag it applied."""
    where = f"after {record.op} {record.key} through {record.via}, {reader.base_url}"
    got = reader.get(f"/conversations/{conversation}").json()
    page = reader.get("/conversations?per_page=150").json()
    listed = next((c for c in page["conversations"] if c["id"] == conversation), None)
    searched = reader.post("/conversations/search", json=_search(conversation)).json()["conversations"]
    problems = []
    if listed is None or len(searched) != 1:
        return [f"{where}: conversation {conversation} not listed ({listed is None}) or not found ({len(searched)})"], 1
    answer = record.response
    if answer.get("type") == "conversation":
        as_listed = {k: v for k, v in answer.items() if k != "conversation_parts"}
        for name, shown, expected in (
            ("GET", got, answer),
            ("list", listed, as_listed),
            ("search", searched[0], as_listed),
        ):
            if shown != expected:
                differing = sorted(k for k in expected if shown.get(k) != expected[k])
                problems.append(f"{where}: {name} differs from the write's answer in {differing}: stale")
    else:  # a tag applied: its answer is the tag
        applied = {"id": answer["id"], "applied_at": answer["applied_at"]}
        for name, shown in (("GET", got), ("list", listed), ("search", searched[0])):
            tags = [{"id": t["id"], "applied_at": t.get("applied_at")} for t in shown["tags"]["tags"]]
            if applied not in tags:
                problems.append(f"{where}: {name} does not show tag {answer['id']}: stale")
    return problems, 3


# -- revocation ---------------------------------------------------------------------------------

PROBES = ("GET", "list", "search", "me")


@dataclass
class RevocationResult:
    after_commit: int = 0  # calls sent after the revocation committed (all must be refused)
    refused_after: dict[str, float] = field(default_factory=dict)  # process and path → seconds to the first 401
    problems: list[str] = field(default_factory=list)

    @property
    def slowest(self) -> float:
        return max(self.refused_after.values(), default=float("inf"))


def revocation(
    bases: list[str], database_url: str, conversation: str, *, keep_calling: float = 1.0
) -> RevocationResult:
    """A fresh token read with on every process and path until well after it is revoked."""
    token = new_token(database_url)
    result = RevocationResult()
    calls: dict[tuple[str, str], list[tuple[float, float, int]]] = defaultdict(list)
    stop = threading.Event()
    warm = threading.Barrier(len(bases) * len(PROBES) + 1)
    failures: list[BaseException] = []

    def probe(http: httpx2.Client, path: str) -> int:
        if path == "GET":
            return http.get(f"/conversations/{conversation}").status_code
        if path == "list":
            return http.get("/conversations?per_page=20").status_code
        if path == "search":
            return http.post("/conversations/search", json=_search(conversation)).status_code
        return http.get("/me").status_code

    def caller(base: str, path: str) -> None:
        try:
            with client(base, token) as http:
                for _ in range(3):  # the process knows the token and has the answers cached
                    assert probe(http, path) == 200, f"{path} through {base} before the revocation"
                warm.wait()
                while not stop.is_set():
                    sent = time.monotonic()
                    status = probe(http, path)
                    calls[base, path].append((sent, time.monotonic(), status))
        except BaseException as exc:
            failures.append(exc)
            warm.abort()

    threads = [threading.Thread(target=caller, args=(b, p)) for b in bases for p in PROBES]
    for thread in threads:
        thread.start()
    try:
        warm.wait()
        time.sleep(0.1)  # calling at full speed (below the rate limit test_processes.py sets)
        revoke(database_url, token)
        committed = time.monotonic()
        time.sleep(keep_calling)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if failures:
        raise AssertionError(f"a caller failed: {failures[0]!r}") from failures[0]
    for (base, path), made in calls.items():
        after = [(sent, done, status) for sent, done, status in made if sent > committed]
        result.after_commit += len(after)
        wrong = Counter(status for _, _, status in after if status != 401)
        if wrong or not after:
            result.problems.append(f"{path} through {base} after the revocation: {dict(wrong)} of {len(after)} not 401")
        refused = [done for _, done, status in made if status == 401]
        if refused:
            result.refused_after[f"{base} {path}"] = max(0.0, min(refused) - committed)
    return result


# -- rate limits --------------------------------------------------------------------------------


@dataclass
class RateLimitResult:
    limit: int  # per window
    processes: int  # rate limiters counting: processes × workers
    slack: int  # what docs/security.md allows beyond the limit in a window
    admitted: dict[int, int] = field(default_factory=dict)  # window reset → 200s
    refused: dict[int, int] = field(default_factory=dict)  # window reset → 429s
    refused_by: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def shared_rate_limit(
    bases: list[str], database_url: str, conversation: str, *, per_minute: int, workers: int, callers: int = 8
) -> RateLimitResult:
    """A fresh token's calls (the cached GET and /me), ``callers`` threads spread over the
    processes, until as many calls were refused as the window admits."""
    token = new_token(database_url)
    processes = len(bases) * workers
    result = RateLimitResult(per_window(per_minute), processes, processes * (BATCH - 1))
    lock = threading.Lock()
    failures: list[BaseException] = []
    deadline = time.monotonic() + 30.0

    def caller(index: int) -> None:
        base = bases[index % len(bases)]
        try:
            with client(base, token) as http:
                while time.monotonic() < deadline:
                    with lock:
                        if sum(result.refused.values()) >= result.limit:
                            return
                    path = f"/conversations/{conversation}" if index % 2 else "/me"
                    response = http.get(path)
                    reset = int(response.headers["x-ratelimit-reset"])
                    with lock:
                        if response.status_code == 200:
                            result.admitted[reset] = result.admitted.get(reset, 0) + 1
                        elif response.status_code == 429 and response.headers.get("retry-after"):
                            result.refused[reset] = result.refused.get(reset, 0) + 1
                            result.refused_by[base] += 1
                        else:
                            result.problems.append(
                                f"{path} through {base}: {response.status_code} {response.text[:200]}"
                            )
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise AssertionError(f"a caller failed: {failures[0]!r}") from failures[0]
    for reset, admitted in sorted(result.admitted.items()):
        if admitted > result.limit + result.slack:
            result.problems.append(f"window ending {reset}: {admitted} admitted, limit {result.limit} + {result.slack}")
    if not result.refused:
        result.problems.append("nothing was refused")
    return result


# -- the long form ------------------------------------------------------------------------------


@dataclass
class ProcessesResult:
    """`make reliability`'s figures for the checks above, one engine."""

    engine: str
    workers: int
    processes: int
    writes: int = 0
    reads: int = 0
    revocations: int = 0
    calls_after_revocation: int = 0
    first_refusal: list[float] = field(default_factory=list)  # seconds after each commit, slowest path
    rate_limit: int = 0
    rate_slack: int = 0
    admitted: list[int] = field(default_factory=list)  # per run, in the window where calls were refused
    lost: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def processes_campaign(
    workdir: Path,
    database_url: str,
    *,
    workers: int = 2,
    count: int = 2,
    clients: int = 16,
    rounds: int = 50,
    revocations: int = 10,
    rate_runs: int = 3,
    per_minute: int = 6_000,
) -> ProcessesResult:
    """Read-your-writes rounds, ``revocations`` revocations, ``rate_runs`` spent rate limits
    (fresh tokens throughout), on ``count`` processes started once with ``--rate-limit per_minute``."""
    from sqlalchemy.engine import make_url

    result = ProcessesResult(make_url(database_url).get_backend_name(), workers, count)
    started = time.monotonic()
    group = Processes(workdir, database_url, count=count, workers=workers, rate_limit=per_minute).start()
    try:
        writes = read_your_writes(group.bases, database_url, clients=clients, rounds=rounds)
        result.writes, result.reads = writes.writes, writes.reads
        result.problems += writes.problems
        conversation = setup(group.bases[0], Recorder(), contacts=1, conversations=1, tags=0).live[0]
        for _ in range(revocations):
            revoked = revocation(group.bases, database_url, conversation)
            result.revocations += 1
            result.calls_after_revocation += revoked.after_commit
            result.first_refusal.append(revoked.slowest)
            result.problems += revoked.problems
        for _ in range(rate_runs):
            spent = shared_rate_limit(group.bases, database_url, conversation, per_minute=per_minute, workers=workers)
            result.rate_limit, result.rate_slack = spent.limit, spent.slack
            result.admitted.append(max(spent.admitted[reset] for reset in spent.refused))
            result.problems += spent.problems
            time.sleep(10.0)  # the next run in a window of its own
        if group.server_errors():
            result.problems.append(f"the servers logged {group.server_errors()} tracebacks\n{group.logs()}")
    finally:
        group.close()
    result.seconds = time.monotonic() - started
    return result
