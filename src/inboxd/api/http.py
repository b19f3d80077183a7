"""The request pipeline every route takes, in this order, each step one function of its own module:

    auth (api/auth.py) → version (api/versions.py) → rate limit (api/rate_limits.py)
    → body (api/bodies.py) → unit of work (one transaction) → the handler, which renders

A handler is a plain function ``(call) -> Response`` wrapped by :func:`endpoint`. It runs inside one
transaction with a :class:`~inboxd.store.scope.Store` bound to the token's workspace, so it can call
the store without awaiting and without ever choosing the workspace. The fast routes of
api/fast_routes.py call the same endpoint: they skip Starlette's router, not a step.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from inboxd.api.auth import authenticate, authenticated, check_token
from inboxd.api.bodies import parse, parse_flag, parse_per_page, read_body
from inboxd.api.rate_limits import admit, admitted
from inboxd.api.types import Request as RequestModel
from inboxd.api.versions import check_operation, declare, mark_deprecated, version_of
from inboxd.domain.clock import Clock
from inboxd.domain.events import Event
from inboxd.domain.versions import Version
from inboxd.render import versions
from inboxd.store import unit_of_work
from inboxd.store.engine import Database
from inboxd.store.scope import Store
from inboxd.store.unit_of_work import AfterCommit, GroupDraw
from inboxd.store.workspaces import WorkspaceRef

log = logging.getLogger("inboxd")

Model = TypeVar("Model", bound=RequestModel)


@dataclass
class Call:
    """One authenticated request, as a handler sees it."""

    request: Request
    store: Store
    workspace: WorkspaceRef
    version: Version  # what the answer is drawn as (render/versions/)
    now: int
    body: dict[str, Any]
    # Work for once the write has committed (keeping its answer as the next document): nothing
    # done before the commit may outlive a rolled-back write.
    then: list[Callable[[], None]] = field(default_factory=list)

    @property
    def path(self) -> dict[str, str]:
        return self.request.path_params

    def query(self, name: str) -> str | None:
        return query(self.request, self.version, name)

    def flag(self, name: str) -> bool:
        return flag(self.request, self.version, name)

    def sent(self, kind: str) -> dict[str, Any]:
        """The body, a ``kind`` of request (the description's schema name), as the newest version
        reads it: what the version asked for lacks is ignored or refused (render/versions/)."""
        return versions.read(kind, self.body, self.version)

    def parsed(self, model: type[Model]) -> Model:
        """The body validated as ``model``, read as the newest version reads it."""
        return parse(model, self.sent(model.kind) if model.kind is not None else self.body)


def query(request: Request, version: Version, name: str) -> str | None:
    """The query parameter ``name``, if ``version`` has it (render/versions/): one a version does
    not describe is ignored there, as Intercom ignores every parameter it does not know."""
    if not versions.reads(version.shape, name):
        return None
    return request.query_params.get(name)


def flag(request: Request, version: Version, name: str) -> bool:
    """A boolean query parameter (false when not given, or not in ``version``)."""
    return parse_flag(query(request, version, name), name)


def json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


# What a handler answers: a response, or (a write) an AfterCommit drawn once the write is done.
Answer = Response | AfterCommit
Handler = Callable[[Call], Answer]


def after_commit(
    call: Call, draw: Callable[[Call], Response], shows: int, together: GroupDraw | None = None
) -> AfterCommit:
    """An answer drawn by ``draw`` once the write has committed, from what it left (store/
    unit_of_work.py); ``shows``: the conversation it shows; ``together``: how it is drawn with
    others of its kind in one go."""

    def drawn(store: Store, now: int) -> Response:
        return draw(Call(call.request, store, call.workspace, call.version, now, call.body, call.then))

    return AfterCommit(call.workspace.id, drawn, shows, together)


# A read's shortcut: answers from what it can check without a transaction, or None (the ordinary
# path then runs). Given the request, the token's workspace and digest, the version asked for, and
# the time. It runs on
# the event loop on both engines (store/cached_reads.py: SQLite's statement takes microseconds, and
# PostgreSQL's round trip is awaited on an async connection).
Shortcut = Callable[[Request, WorkspaceRef, str, Version, int], Awaitable["Response | None"]]


def names(request: Request) -> tuple[str, ...] | None:
    """What a request's path names: its first two segments (`/conversations/5/reply` names
    conversation 5), or None for a path of one (`POST /conversations`). Two writes that name the
    same thing do not share a PostgreSQL batch, where the second would change what the first's
    answer shows (store/unit_of_work.py)."""
    segments = request.url.path.split("/", 3)
    return (segments[1], segments[2]) if len(segments) > 2 and segments[2] else None


def endpoint(
    write: bool,
    shortcut: Shortcut | None = None,
    costly: bool = False,
    operation: str | None = None,
    needs_snapshot: bool = True,
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Turn ``handler(call)`` into a Starlette endpoint that authenticates, reads the body and runs
    the handler in one transaction (a write transaction when ``write``).

    The token is checked before the body is read: a caller without a valid token learns nothing
    about its body (no 400 for bad JSON) and does not get to make the server read 4 MiB.

    ``shortcut`` (reads only) is tried first, where the read would run: it must answer exactly what
    the handler would, or None (store/cached_reads.py).

    ``operation`` (the descriptions' operationId), for the operations some versions lack or
    deprecate (render/versions/changes.py): where the version asked for lacks it, it answers as its
    path did before (api/versions.py ``check_operation``); where it is deprecated, with a
    Deprecation header.

    ``costly`` (reads only): the request decides how much work the read is (a search), so it never
    runs on the event loop, even on SQLite, and it has a time budget (``app.state.read_timeout``,
    ``inboxd serve --search-timeout``): store/unit_of_work.py ``costly_read``.

    ``needs_snapshot=False`` (reads only): the token's check and the handler's one statement each
    answer for themselves, so on PostgreSQL they run without a transaction (no BEGIN, no COMMIT:
    store/transactions.py); a read of several statements sees them in one snapshot."""
    assert shortcut is None or not write
    assert not (costly and write)
    assert needs_snapshot or not (write or costly)

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def run(request: Request) -> Response:
            # Each step is one function; a step that may need the database has a part that answers
            # from this process's memory, and only when it cannot is there anything to await.
            known, digest = authenticated(request)
            workspace = known if known is not None else await authenticate(request, digest)
            version = version_of(request, workspace.default_version)
            if operation is not None:
                check_operation(version, operation)
            engine: Database = request.app.state.engine
            clock: Clock = request.app.state.clock
            if not admitted(request, digest, clock.now()):
                await admit(request, digest, clock.now())
            if shortcut is not None:
                quick = await shortcut(request, workspace, digest, version, clock.now())
                if quick is not None:
                    return quick
            body = await read_body(request)

            def read(store: Store) -> Response:
                check_token(request, store, digest)
                answer = handler(Call(request, store, workspace, version, clock.now(), body))
                assert isinstance(answer, Response)  # only writes draw after a commit
                return answer

            caused: list[Event] = []
            then: list[Callable[[], None]] = []

            def written(store: Store) -> Answer:
                """The work of a write transaction, and the events it caused (those of the attempt
                that commits: a write rolled back and run again causes them anew)."""
                # A write happens when it holds the write lock (SQLite: from BEGIN IMMEDIATE on),
                # not when it started waiting for it: parts are dated in stored order.
                now = clock.now()
                check_token(request, store, digest)
                then.clear()
                answer = handler(Call(request, store, workspace, version, now, body, then))
                if isinstance(answer, AfterCommit):
                    answer.now = now
                caused[:] = store.events
                return answer

            if not write:
                if costly:
                    answer = await unit_of_work.costly_read(engine, workspace.id, read, request.app.state.read_timeout)
                else:
                    answer = await unit_of_work.ordinary_read(engine, workspace.id, read, needs_snapshot)
            else:
                answer = await unit_of_work.write(engine, workspace.id, written, names(request))
                for work in then:
                    work()
                committed(request, caused)
            return answer if operation is None else mark_deprecated(version, operation, answer)

        if operation is not None:
            declare(run, operation)
        return run

    return decorate


def committed(request: Request, events: list[Event]) -> None:
    """Hand the events of a committed write to whatever listens (``app.state.on_events``: nothing
    delivers them yet; tests listen)."""
    listener: Callable[[list[Event]], None] | None = request.app.state.on_events
    if listener is not None and events:
        listener(list(events))


def per_page(call: Call, default: int = 20, maximum: int = 150) -> int:
    return parse_per_page(call.query("per_page"), default, maximum)
