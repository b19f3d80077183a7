"""What every handler shares: the token → workspace step, the version header, the JSON body, one
transaction per request, and a fast JSON response.

A handler is a plain function ``(call) -> Response`` wrapped by :func:`endpoint`. It runs in a worker
thread inside one transaction with a :class:`~inboxd.store.scope.Store` bound to the token's
workspace, so it can call the store without awaiting and without ever choosing the workspace.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from anyio import CapacityLimiter, to_thread
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from inboxd.api.errors import request_id
from inboxd.api.rate_limits import RateLimiter
from inboxd.api.write_batches import AfterCommit, Ran, Together, write_queue
from inboxd.domain import conversations
from inboxd.domain.clock import Clock
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import (
    IntercomError,
    ParameterInvalid,
    ParameterNotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    VersionInvalid,
)
from inboxd.store import access_tokens
from inboxd.store.engine import transaction, write_gate
from inboxd.store.scope import Store
from inboxd.store.workspaces import WorkspaceRef, token_digest, workspace_for_digest

# The spec's `intercom_version` enum. Versions are strings: "2.10" is not "2.1" (intercom-facts §3).
SUPPORTED_VERSIONS = frozenset(
    ["1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10"]
)
DEFAULT_VERSION = "2.10"
RETRIES = 3  # attempts of one request's transaction (see endpoint)
MAX_BODY_BYTES = 4 * 1024 * 1024  # attachments travel as base64 in JSON; 4 MiB leaves room for ten small files
TOKEN_TTL = 5.0  # seconds the gate remembers a token (TokenCache); revocation does not wait for it

log = logging.getLogger("inboxd")

Model = TypeVar("Model", bound=BaseModel)


@dataclass
class Call:
    """One authenticated request, as a handler sees it."""

    request: Request
    store: Store
    workspace: WorkspaceRef
    now: int
    body: dict[str, Any]

    @property
    def path(self) -> dict[str, str]:
        return self.request.path_params

    def query(self, name: str) -> str | None:
        return self.request.query_params.get(name)


def json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def parse(model: type[Model], data: Any, prefix: str = "") -> Model:
    """Validate ``data`` against a request model; the first problem becomes an Intercom error."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise to_intercom_error(exc, prefix) from None


_TYPE_WORDS = {
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def to_intercom_error(exc: ValidationError, prefix: str = "") -> IntercomError:
    error = exc.errors(include_url=False)[0]
    field = prefix + ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind == "missing":
        return ParameterNotFound(f"{field} is a required parameter", field=field)
    if kind in _TYPE_WORDS:
        return ParameterInvalid(f"{field} must be {_TYPE_WORDS[kind]}", field=field)
    if kind in ("literal_error", "enum"):
        expected = error.get("ctx", {}).get("expected", "")
        return ParameterInvalid(f"{field} must be one of {expected}", field=field)
    if kind in ("greater_than_equal", "less_than_equal"):
        return ParameterInvalid(f"{field} is out of range", field=field)
    if kind == "too_long":
        limit = error.get("ctx", {}).get("max_length")
        return ParameterInvalid(f"{field} has too many items; at most {limit} are allowed", field=field)
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        return ParameterInvalid(f"{field} {message}", field=field)
    return ParameterInvalid(f"{field}: {error['msg']}", field=field)


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def version_supported(version: str | None) -> bool:
    """No ``Intercom-Version`` header, or one naming a version of the spec's enum. A header sent
    empty names none: refused like any other value (fuzzing)."""
    return version is None or version.strip() in SUPPORTED_VERSIONS


def _bearer(request: Request) -> str | None:
    return bearer_token(request.headers.get("authorization"))


def _check_version(request: Request) -> None:
    version = request.headers.get("intercom-version")
    if version is not None and not version_supported(version):
        raise VersionInvalid(
            f"Intercom-Version {version.strip()!r} is not supported; use one of "
            f"{', '.join(sorted(SUPPORTED_VERSIONS, key=lambda v: tuple(map(int, v.split('.')))))}"
            f" (default {DEFAULT_VERSION})",
            field="Intercom-Version",
        )


async def _read_body(request: Request) -> dict[str, Any]:
    if request.method in ("GET", "HEAD"):
        return {}
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"Request body is larger than {MAX_BODY_BYTES} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"Request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ParameterInvalid(f"Request body is not valid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(data, dict):
        raise ParameterInvalid("Request body must be a JSON object")
    if b"\\u0000" in raw:
        _refuse_nul(data, "")
    return data


def _refuse_nul(value: Any, path: str) -> None:
    """PostgreSQL text cannot hold NUL characters and no Intercom field needs one: refuse them here,
    once for every endpoint, rather than let the database fail on them. A loop, not recursion: the
    body may nest as deep as orjson allows (1,024 levels), past Python's recursion limit."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                field = path or "(body)"
                raise ParameterInvalid(f"{field} must not contain NUL characters", field=field)
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                stack.append((item, f"{path}.{key}" if path else key))
                stack.append((key, path or "(key)"))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{index}") for index, item in reversed(list(enumerate(value))))


class TokenCache:
    """Which workspace a token opens, remembered for a few seconds by each process.

    Only a gate: it spares a query before the body is read and decides whether the body is worth
    reading. It is not the authority: every request checks its token again inside its own
    transaction (:func:`endpoint`), so a token revoked with `inboxd token revoke` opens nothing from
    the moment the revocation commits, in every process, whatever this cache still holds.
    Keys are digests: no raw token is kept in memory longer than a request, or compared."""

    def __init__(self, ttl: float = TOKEN_TTL, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._monotonic = monotonic
        self._known: dict[str, tuple[WorkspaceRef, float]] = {}

    def get(self, digest: str) -> WorkspaceRef | None:
        entry = self._known.get(digest)
        if entry is None or entry[1] <= self._monotonic():
            return None
        return entry[0]

    def put(self, digest: str, workspace: WorkspaceRef) -> None:
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[digest] = (workspace, self._monotonic() + self.ttl)

    def drop(self, digest: str) -> None:
        self._known.pop(digest, None)


def _lookup_token(engine: Engine, digest: str) -> WorkspaceRef | None:
    with transaction(engine, write=False) as conn:
        return workspace_for_digest(conn, digest)


def _refuse(request: Request, reason: str) -> Unauthorized:
    """Log a failed attempt (never the token: a short prefix of its digest tells attempts apart)."""
    client = request.client.host if request.client else "?"
    log.warning("authentication failed: %s (%s %s from %s)", reason, request.method, request.url.path, client)
    return Unauthorized("Access Token Invalid")


async def _authenticate(request: Request) -> tuple[WorkspaceRef, str]:
    token = _bearer(request)
    if token is None:
        raise _refuse(request, "no bearer token")
    digest = token_digest(token)
    tokens: TokenCache = request.app.state.tokens
    workspace = tokens.get(digest)
    if workspace is None:
        workspace = await run_in_threadpool(_lookup_token, request.app.state.engine, digest)
        if workspace is None:
            raise _refuse(request, f"unknown token sha256:{digest[:8]}")
        tokens.put(digest, workspace)
    return workspace, digest


def _check_token(request: Request, store: Store, digest: str) -> None:
    """The token is still the workspace's, as of this transaction: one primary-key probe."""
    if not access_tokens.is_live(store.conn, digest, store.workspace_id):
        request.app.state.tokens.drop(digest)
        raise _refuse(request, f"revoked token sha256:{digest[:8]}")


async def _rate_limit(request: Request, digest: str, now: int) -> None:
    """Count the call against its token's window; over the limit → 429. The headers go on the
    response whatever it is (app.RequestId adds them), except a 401."""
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is None:
        return
    verdict = limiter.check(digest, now)
    if verdict is None:
        verdict = await run_in_threadpool(limiter.sync, digest, now)
    request.state.rate_limit_headers = verdict.headers(now)
    if not verdict.allowed:
        raise RateLimited(f"Exceeded rate limit of {verdict.limit} in 10_seconds; the window resets at {verdict.reset}")


Handler = Callable[[Call], Response]


def after_commit(call: Call, draw: Handler, shows: int, together: Together | None = None) -> AfterCommit:
    """An answer drawn by ``draw`` once the write has committed, from what it left (SQLite: the
    batch's snapshot, api/write_batches.py); ``shows``: the conversation it shows; ``together``:
    how it is drawn with others of its kind in one go (api/write_batches.py)."""

    def drawn(snapshot: Connection | None, now: int) -> Response:
        if snapshot is not None:
            return draw(Call(call.request, Store(snapshot, call.workspace.id), call.workspace, now, call.body))
        # No snapshot (PostgreSQL, an in-memory database): the state right after, as a GET sees it.
        with transaction(call.request.app.state.engine, write=False) as conn:
            return draw(Call(call.request, Store(conn, call.workspace.id), call.workspace, now, call.body))

    return AfterCommit(drawn, shows, together)


def wake_due_snoozes(store: Store, now: int) -> None:
    """A snoozed conversation whose `snoozed_until` has passed *is* open: nobody has to call the
    API for that. inboxd makes it so lazily, before any request of the workspace reads or writes,
    with a `timer_unsnooze` part dated at the snooze's end (docs/decisions.md)."""
    operator: Actor | None = None
    while True:
        due = store.conversations.due_snoozes(now)
        if due and operator is None:
            operator = Actor("bot", str(store.admins.operator_id()))
        for conversation in due:
            assert operator is not None
            store.conversations.apply(conversation, conversations.wake(conversation, operator))
        if len(due) < store.conversations.WAKE_BATCH:
            return


# A read's shortcut: answers from what it can check without a transaction, or None (the ordinary
# path then runs). Given the request, the token's workspace and digest, and the time. It runs on
# the event loop on both engines (store/hot.py: SQLite's statement takes microseconds, and
# PostgreSQL's round trip is awaited on an async connection).
Shortcut = Callable[[Request, WorkspaceRef, str, int], Awaitable["Response | None"]]


def endpoint(
    write: bool, shortcut: Shortcut | None = None, costly: bool = False
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Turn ``handler(call)`` into a Starlette endpoint that authenticates, reads the body and runs
    the handler in one transaction (a write transaction when ``write``).

    The token is checked before the body is read: a caller without a valid token learns nothing
    about its body (no 400 for bad JSON) and does not get to make the server read 4 MiB.

    ``shortcut`` (reads only) is tried first, where the read would run: it must answer exactly what
    the handler would, or None (store/hot.py).

    ``costly`` (reads only): the request decides how much work the read is (a search), so it never
    runs on the event loop, even on SQLite; at most :data:`COSTLY_READS` run at a time per process,
    each ended once it has run ``app.state.read_timeout`` seconds (``inboxd serve
    --search-timeout``: search is the one costly read; store/engine.py ``transaction``)."""
    assert shortcut is None or not write
    assert not (costly and write)

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def run(request: Request) -> Response:
            request_id(request)
            workspace, digest = await _authenticate(request)
            engine: Engine = request.app.state.engine
            clock: Clock = request.app.state.clock
            await _rate_limit(request, digest, clock.now())
            _check_version(request)
            if shortcut is not None:
                quick = await shortcut(request, workspace, digest, clock.now())
                if quick is not None:
                    return quick
            body = await _read_body(request)

            budget = request.app.state.read_timeout if costly else None

            def read() -> Response | None:
                """The answer of a read, or None when a due snooze must be woken first (a write)."""
                now = clock.now()
                with transaction(engine, write=False, budget=budget) as conn:
                    store = Store(conn, workspace.id)
                    _check_token(request, store, digest)
                    if store.conversations.any_due_snooze(now):
                        return None
                    return handler(Call(request, store, workspace, now, body))

            def written(conn: Connection) -> Ran:
                """The work of a write transaction, and of a read that would see a snooze whose
                time has come: those conversations are woken first, in the same transaction."""
                # A write happens when it holds the write lock (SQLite: from BEGIN IMMEDIATE on),
                # not when it started waiting for it: parts are dated in stored order.
                now = clock.now()
                store = Store(conn, workspace.id)
                _check_token(request, store, digest)
                wake_due_snoozes(store, now)
                answer = handler(Call(request, store, workspace, now, body))
                if isinstance(answer, AfterCommit):
                    answer.now = now
                return answer, store.finish()

            def attempts() -> Response:
                # Two requests racing to insert the same unique row (a contact's external_id, a
                # tag name) or a PostgreSQL deadlock: the loser's transaction was rolled back, so
                # running it again is safe, and the second time it sees the winner's row.
                for attempt in range(RETRIES):
                    try:
                        with transaction(engine, write=True) as conn:
                            answer, _ = written(conn)
                        break
                    except (IntegrityError, OperationalError):
                        if attempt == RETRIES - 1:
                            raise
                # Committed: whatever happens now, the write is not run again.
                if isinstance(answer, AfterCommit):
                    return answer.draw(None, answer.now)
                return answer

            def work(read_first: bool) -> Response:
                if read_first:
                    answer = read()
                    if answer is not None:
                        return answer
                return attempts()

            if costly:
                return await to_thread.run_sync(work, True, limiter=_costly_reads())
            if engine.dialect.name == "sqlite":
                # A SQLite read in WAL mode never waits for a lock and takes microseconds: run it
                # on the event loop rather than pay a thread hop (docs/decisions.md, Performance).
                # So do writes, queued and run in batches once the loop holds the write gate
                # (api/write_batches.py): a write's statements take tens of microseconds each,
                # and a worker thread running them had to win the GIL back from the loop after
                # every one of them while every other writer waited. PostgreSQL (network round
                # trips) goes to the thread pool.
                if not write:
                    answer = read()
                    if answer is not None:
                        return answer
                gate = write_gate(engine)
                if gate is not None:
                    return await write_queue(engine, gate).submit(written)
                return await run_in_threadpool(work, False)
            return await run_in_threadpool(work, not write)

        return run

    return decorate


# Costly reads one process runs at once, each in a thread and on a connection of its own; the
# others wait their turn. One: their Python work (a search's parsing and SQL building) holds the
# GIL that the event loop needs, and with two at once the loop waited measurably longer
# (docs/decisions.md, Performance). Their turns are not the ordinary thread pool's, so however many
# costly reads arrive, every other request still finds a thread and a connection.
COSTLY_READS = 1
_COSTLY_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = weakref.WeakKeyDictionary()


def _costly_reads() -> CapacityLimiter:
    """The turns of costly reads on the running event loop (an anyio limiter belongs to one)."""
    loop = asyncio.get_running_loop()
    limiter = _COSTLY_LIMITERS.get(loop)
    if limiter is None:
        limiter = _COSTLY_LIMITERS[loop] = CapacityLimiter(COSTLY_READS)
    return limiter


def per_page(call: Call, default: int = 20, maximum: int = 150) -> int:
    return parse_per_page(call.query("per_page"), default, maximum)


def parse_per_page(raw: str | None, default: int = 20, maximum: int = 150) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.strip().isdigit()):
        raise ParameterInvalid("per_page must be an integer", field="per_page")
    # Ten thousand digits are an integer too, but int() refuses strings past 4,300 digits.
    value = int(raw) if len(raw.strip()) <= 6 else maximum + 1
    if value < 1 or value > maximum:
        raise ParameterInvalid(f"per_page must be between 1 and {maximum}", field="per_page")
    return value
