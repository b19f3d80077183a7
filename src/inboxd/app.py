"""The ASGI application: routes, the request-id header, and the one error map."""

from __future__ import annotations

import contextlib
import gc
import os
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inboxd.api import (
    admins,
    assignment_rules,
    attachments,
    contacts,
    conversation_parts,
    conversations,
    health,
    messages,
    tags,
    teams,
    ticket_types,
    tickets,
)
from inboxd.api.auth import TokenCache
from inboxd.api.errors import HANDLERS
from inboxd.api.fast_routes import FastRoutes
from inboxd.api.rate_limits import DEFAULT_PER_MINUTE, RateLimiter
from inboxd.api.render_cache import DEFAULT_BUDGET_MB, RenderCache
from inboxd.domain.clock import Clock
from inboxd.operations.snoozes import SnoozeSweeper
from inboxd.search.query import DEFAULT_COUNT_LIMIT, DEFAULT_TIMEOUT
from inboxd.store.cached_reads import CachedReads
from inboxd.store.checkpoints import Checkpointer
from inboxd.store.loop_work import close_loop_engine, on_loop, open_loop_engine
from inboxd.store.threads import THREAD_CONNECTIONS


def _segment_but(*words: str) -> Convertor[str]:
    """One path segment, but not one of a few literal words. `/conversations/search` exists for POST
    only, so `GET /conversations/search` must be a 405 naming POST, not the lookup of a conversation
    whose id is "search"; and `/admins/activity_logs`, an operation inboxd does not serve, must be a
    route-not-found like every other one, not an unknown admin (found by fuzzing the spec). So are the
    literal paths newer descriptions add beside an id (2.16's `/conversations/deleted` and
    `/conversations/attributes`, `/admins/activity_log_event_types`; tests/api/test_unserved.py)."""

    class SegmentBut(Convertor[str]):
        regex = f"(?!(?:{'|'.join(map(re.escape, words))})(?![^/]))[^/]+"

        def convert(self, value: str) -> str:
            return value

        def to_string(self, value: str) -> str:
            return value

    return SegmentBut()


register_url_convertor("conversation_id", _segment_but("search", "redact", "deleted", "attributes"))
register_url_convertor("admin_id", _segment_but("activity_logs", "activity_log_event_types"))

ROUTES = [
    # The conversation routes first, the hottest at the top: Starlette tries routes in order, and
    # each pattern tried costs (docs/decisions.md, Performance: "Small costs").
    Route("/conversations/{id:conversation_id}", conversations.retrieve, methods=["GET"]),
    Route("/conversations", conversations.list_all, methods=["GET"]),
    Route("/conversations/{id}/reply", conversation_parts.reply, methods=["POST"]),
    Route("/conversations/{id}/parts", conversation_parts.manage, methods=["POST"]),
    Route("/conversations", conversations.create, methods=["POST"]),
    Route("/conversations/search", conversations.search, methods=["POST"]),
    Route("/conversations/{id:conversation_id}", conversations.update, methods=["PUT"]),
    Route("/conversations/{id:conversation_id}", conversations.delete, methods=["DELETE"]),
    Route("/conversations/redact", conversation_parts.redact, methods=["POST"]),
    Route("/conversations/{id}/run_assignment_rules", assignment_rules.run, methods=["POST"]),
    Route("/messages", messages.create, methods=["POST"]),
    Route("/conversations/{conversation_id}/tags", conversations.attach_tag, methods=["POST"]),
    Route("/conversations/{conversation_id}/tags/{id}", conversations.detach_tag, methods=["DELETE"]),
    Route("/conversations/{id}/customers", conversations.attach_customer, methods=["POST"]),
    Route("/conversations/{conversation_id}/customers/{contact_id}", conversations.detach_customer, methods=["DELETE"]),
    Route("/conversations/{id}/convert", tickets.convert, methods=["POST"]),
    Route("/healthz", health.healthz, methods=["GET", "HEAD"]),
    Route("/readyz", health.readyz, methods=["GET", "HEAD"]),
    Route("/me", admins.me, methods=["GET"]),
    Route("/admins", admins.list_all, methods=["GET"]),
    Route("/admins/{id:admin_id}", admins.retrieve, methods=["GET"]),
    Route("/teams", teams.list_all, methods=["GET"]),
    Route("/teams/{id}", teams.retrieve, methods=["GET"]),
    Route("/contacts", contacts.create, methods=["POST"]),
    Route("/contacts", contacts.list_all, methods=["GET"]),
    Route("/contacts/{id}", contacts.retrieve, methods=["GET"]),
    Route("/tags", tags.create_or_update, methods=["POST"]),
    Route("/tags", tags.list_all, methods=["GET"]),
    Route("/tags/{id}", tags.retrieve, methods=["GET"]),
    Route("/ticket_types", ticket_types.create, methods=["POST"]),
    Route("/ticket_types", ticket_types.list_all, methods=["GET"]),
    Route("/ticket_types/{id}", ticket_types.retrieve, methods=["GET"]),
    Route("/attachments/{token}/{name}", attachments.download, methods=["GET"]),
    Route("/tickets/{id}", tickets.retrieve, methods=["GET"]),
]


class RequestId:
    """Gives every request a fresh id and echoes it as ``X-Request-Id`` on every response,
    the same id that an ``error.list`` body carries. Also adds the rate-limit headers that
    api/http.py left in the request's state, to every authenticated response (not to a 401)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        rid = str(uuid.uuid4())
        state["request_id"] = rid
        header = (b"x-request-id", rid.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if message["status"] >= 400:  # an error.list names it itself (api/errors.py): once
                    headers = [h for h in headers if h[0].lower() != b"x-request-id"]
                extra = state.get("rate_limit_headers") if message["status"] != 401 else None
                message = {**message, "headers": [*headers, header, *(extra or ())]}
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(
    engine: Engine,
    clock: Clock | None = None,
    rate_limit: int = DEFAULT_PER_MINUTE,
    search_count_limit: int = DEFAULT_COUNT_LIMIT,
    search_timeout: float = DEFAULT_TIMEOUT,
    fast_routes: bool = True,
    document_cache_mb: int = DEFAULT_BUDGET_MB,
) -> Starlette:
    """``rate_limit``: calls per minute per token, enforced per 10-second window; 0 disables.
    ``search_count_limit``: a search's total_count is exact up to it (0: always exact).
    ``search_timeout``: seconds a search may run before it is ended (0: no limit).
    ``document_cache_mb``: the rendered conversations a worker keeps (api/render_cache.py).
    ``fast_routes``: the hottest routes dispatched in front of the router (api/fast_routes.py); off,
    every request goes through Starlette's router (tests compare the two)."""
    clock = clock or Clock()
    cached_reads = CachedReads(engine)
    checkpointer = Checkpointer(engine)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        snooze_sweeper.start()
        if on_loop(engine):
            await open_loop_engine(engine)
        try:
            yield
        finally:
            try:
                snooze_sweeper.close()
                checkpointer.close()
                cached_reads.close()
            finally:
                if on_loop(engine):
                    await close_loop_engine(engine)

    app = Starlette(routes=ROUTES, exception_handlers=HANDLERS, lifespan=lifespan)
    snooze_sweeper = SnoozeSweeper(engine, clock, listener=lambda: app.state.on_events)
    # No path is answered with a redirect (docs/decisions.md): Starlette's trailing-slash redirect
    # wrote its Location from the request's Host header, so a forged Host sent clients elsewhere.
    app.router.redirect_slashes = False
    app.state.cached_reads = cached_reads
    app.state.snooze_sweeper = snooze_sweeper
    app.state.engine = engine
    app.state.clock = clock
    app.state.on_events = None  # called with the events of each committed write (api/http.py)
    app.state.tokens = TokenCache()
    app.state.rate_limiter = RateLimiter(engine, rate_limit) if rate_limit > 0 else None
    app.state.render_cache = RenderCache(document_cache_mb * 1024 * 1024)
    app.state.search_count_limit = search_count_limit or None
    app.state.read_timeout = search_timeout or None  # of costly reads (api/http.py, endpoint)
    if fast_routes:
        app.add_middleware(FastRoutes)  # inside RequestId, which adds its headers to every answer
    app.add_middleware(RequestId)
    return app


def asgi_from_env() -> Any:
    """The app a granian worker imports: settings come from the environment `inboxd serve` set."""
    from inboxd.store.engine import database_url_from_env, make_engine

    rate_limit = int(os.environ.get("INBOXD_RATE_LIMIT") or DEFAULT_PER_MINUTE)
    count_limit = int(os.environ.get("INBOXD_SEARCH_COUNT_LIMIT") or DEFAULT_COUNT_LIMIT)
    timeout = float(os.environ.get("INBOXD_SEARCH_TIMEOUT") or DEFAULT_TIMEOUT)
    document_cache_mb = int(os.environ.get("INBOXD_DOCUMENT_CACHE_MB") or DEFAULT_BUDGET_MB)
    app = create_app(
        make_engine(database_url_from_env(), pool_size=THREAD_CONNECTIONS),
        rate_limit=rate_limit,
        search_count_limit=count_limit,
        search_timeout=timeout,
        document_cache_mb=document_cache_mb,
    )
    # Everything loaded so far (modules, the schema, compiled statements) lives as long as the
    # worker: out of the collector's sight, a full collection no longer walks it (docs/decisions.md,
    # Performance: "Each worker calls `gc.freeze()`").
    gc.collect()
    gc.freeze()
    # A young collection walks every object still alive since the last one: the 64 requests in
    # flight hold thousands. Collected every 10,000 new objects instead of 700, a reply spends fewer
    # instructions (docs/decisions.md, Performance: "Cheaper Python"); cycles are still collected.
    gc.set_threshold(10_000, 20, 100)
    return app
