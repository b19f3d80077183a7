"""What every handler shares: the token → workspace step, the version header, the JSON body, one
transaction per request, and a fast JSON response.

A handler is a plain function ``(call) -> Response`` wrapped by :func:`endpoint`. It runs in a worker
thread inside one transaction with a :class:`~inboxd.store.scope.Store` bound to the token's
workspace, so it can call the store without awaiting and without ever choosing the workspace.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from inboxd.api.errors import request_id
from inboxd.domain import conversations
from inboxd.domain.clock import Clock
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import (
    IntercomError,
    ParameterInvalid,
    ParameterNotFound,
    PayloadTooLarge,
    Unauthorized,
    VersionInvalid,
)
from inboxd.store.engine import transaction
from inboxd.store.scope import Store
from inboxd.store.workspaces import WorkspaceRef, workspace_for_token

# The spec's `intercom_version` enum. Versions are strings: "2.10" is not "2.1" (intercom-facts §3).
SUPPORTED_VERSIONS = frozenset(
    ["1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10"]
)
DEFAULT_VERSION = "2.10"
RETRIES = 3  # attempts of one request's transaction (see endpoint)
MAX_BODY_BYTES = 4 * 1024 * 1024  # attachments travel as base64 in JSON; 4 MiB leaves room for ten small files

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


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _check_version(request: Request) -> None:
    version = request.headers.get("intercom-version")
    if version is None or version.strip() == "":
        return
    if version.strip() not in SUPPORTED_VERSIONS:
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
    once for every endpoint, rather than let the database fail on them."""
    if isinstance(value, str):
        if "\x00" in value:
            field = path or "(body)"
            raise ParameterInvalid(f"{field} must not contain NUL characters", field=field)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key, path or "(key)")
            _refuse_nul(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_nul(item, f"{path}.{index}")


class TokenCache:
    """Tokens change only when `inboxd serve` applies the workspace file, before any worker starts,
    so a token once found stays valid for the life of the process; unknown tokens are looked up
    every time."""

    def __init__(self) -> None:
        self._known: dict[str, WorkspaceRef] = {}

    def get(self, token: str) -> WorkspaceRef | None:
        return self._known.get(token)

    def put(self, token: str, workspace: WorkspaceRef) -> None:
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[token] = workspace


def _lookup_token(engine: Engine, token: str) -> WorkspaceRef | None:
    with transaction(engine, write=False) as conn:
        return workspace_for_token(conn, token)


async def _authenticate(request: Request) -> WorkspaceRef:
    token = _bearer(request)
    if token is None:
        raise Unauthorized("Access Token Invalid")
    tokens: TokenCache = request.app.state.tokens
    workspace = tokens.get(token)
    if workspace is None:
        workspace = await run_in_threadpool(_lookup_token, request.app.state.engine, token)
        if workspace is None:
            raise Unauthorized("Access Token Invalid")
        tokens.put(token, workspace)
    return workspace


Handler = Callable[[Call], Response]


def wake_due_snoozes(store: Store, now: int) -> None:
    """A snoozed conversation whose `snoozed_until` has passed *is* open: nobody has to call the
    API for that. inboxd makes it so lazily, before any request of the workspace reads or writes,
    with a `timer_unsnooze` part dated at the snooze's end (docs/decisions.md)."""
    operator = Actor("bot", str(store.admins.operator_id()))
    while True:
        due = store.conversations.due_snoozes(now)
        for conversation in due:
            store.conversations.apply(conversation, conversations.wake(conversation, operator))
        if len(due) < store.conversations.WAKE_BATCH:
            return


def endpoint(write: bool) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Turn ``handler(call)`` into a Starlette endpoint that authenticates, reads the body and runs
    the handler in one transaction (a write transaction when ``write``).

    The token is checked before the body is read: a caller without a valid token learns nothing
    about its body (no 400 for bad JSON) and does not get to make the server read 4 MiB."""

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def run(request: Request) -> Response:
            request_id(request)
            workspace = await _authenticate(request)
            _check_version(request)
            body = await _read_body(request)
            engine: Engine = request.app.state.engine
            clock: Clock = request.app.state.clock

            def once() -> Response:
                now = clock.now()
                if not write:
                    with transaction(engine, write=False) as conn:
                        store = Store(conn, workspace.id)
                        if not store.conversations.any_due_snooze(now):
                            return handler(Call(request, store, workspace, now, body))
                # Writes, and reads that would see a snooze whose time has come: wake those
                # conversations first, in the same transaction that then answers.
                with transaction(engine, write=True) as conn:
                    store = Store(conn, workspace.id)
                    wake_due_snoozes(store, now)
                    return handler(Call(request, store, workspace, now, body))

            def work() -> Response:
                # Two requests racing to insert the same unique row (a contact's external_id, a
                # tag name) or a PostgreSQL deadlock: the loser's transaction was rolled back, so
                # running it again is safe, and the second time it sees the winner's row.
                for attempt in range(RETRIES):
                    try:
                        return once()
                    except (IntegrityError, OperationalError):
                        if attempt == RETRIES - 1:
                            raise
                raise AssertionError("unreachable")

            return await run_in_threadpool(work)

        return run

    return decorate


def per_page(call: Call, default: int = 20, maximum: int = 150) -> int:
    raw = call.query("per_page")
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.strip().isdigit()):
        raise ParameterInvalid("per_page must be an integer", field="per_page")
    value = int(raw)
    if value < 1 or value > maximum:
        raise ParameterInvalid(f"per_page must be between 1 and {maximum}", field="per_page")
    return value
