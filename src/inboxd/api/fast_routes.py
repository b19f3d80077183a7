"""The two hottest routes, dispatched in front of Starlette's router.

``GET /conversations/{id}`` and ``GET /conversations`` are most of what a client sends, and when
their answer is already rendered what is left of a request's cost is the stack around it: the
exception middleware, the router's matching, the route's request/response wrapper and the ``send``
wrappers they add, each a coroutine frame per request (bench/BENCHMARKS.md has the profile).

:class:`FastRoutes` skips only that stack. It matches the two paths itself and calls the very
endpoint the router would have called (api/conversations.py ``retrieve`` and ``list_all``), so the
request takes every step of the one pipeline of api/http.py — authentication, version, rate limit,
the document cache, the transaction — and an error becomes the response the router's exception
middleware would have sent, through the same handlers (api/errors.py). It sits inside
app.RequestId, which adds the request id and rate-limit headers to its answers as to every other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from inboxd.api import conversations
from inboxd.api.errors import handler_for

_PREFIX = "/conversations/"

Endpoint = Callable[[Request], Awaitable[Response]]


class FastRoutes:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path == "/conversations":
                await self._dispatch(conversations.list_all, scope, receive, send)
                return
            if path.startswith(_PREFIX) and path[len(_PREFIX) :].isdigit():
                scope = {**scope, "path_params": {"id": path[len(_PREFIX) :]}}
                await self._dispatch(conversations.retrieve, scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _dispatch(endpoint: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as exc:
            handler = handler_for(exc)
            if handler is None:
                raise  # a bug: Starlette's ServerErrorMiddleware answers it, as on every route
            response = await handler(request, exc)
        await response(scope, receive, send)
