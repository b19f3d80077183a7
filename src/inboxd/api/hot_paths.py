"""The two hottest reads answered in front of Starlette's routing.

``GET /conversations/{id}`` and ``GET /conversations`` are most of what a client sends, and when
their answer is already rendered (api/conversations.py, ``cached_retrieve`` and ``cached_list``: one
statement, no transaction) what is left of a request's cost is the stack around it: the exception
middleware, the router's matching, the route's request/response wrapper and the three ``send``
wrappers they add, each a coroutine frame per request. The profile of issue 7 (bench/BENCHMARKS.md)
put that near a fifth of a worker's Python time on a cached GET.

:class:`HotPaths` sits just inside Starlette's ServerErrorMiddleware (so a bug here is still a 500
``error.list``) and answers those two requests itself **only when every step of the ordinary path
would have answered the same**: the token is one this process knows (TokenCache), the
``Intercom-Version`` header is absent or supported, the shortcut answers (token live as of its
statement, no snooze due, the document of the current version at hand), and the rate limiter
admits the call from memory. Anything else — no token, an unknown, revoked or rate-limited one, a
bad version, a query string it does not know, a cache miss, a limiter that must ask the database —
goes on to the ordinary stack untouched, which refuses, counts or renders exactly as before. The
limiter is asked last, so a request handed on has not been counted.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from inboxd.api.conversations import cached_list, cached_retrieve
from inboxd.api.http import Shortcut, TokenCache, bearer_token, version_supported
from inboxd.api.rate_limits import RateLimiter
from inboxd.domain.clock import Clock
from inboxd.store.workspaces import token_digest

_PREFIX = "/conversations/"
# Query parameters the shortcuts read; any other goes the ordinary way (it may be refused there).
_LIST_QUERY = frozenset([b"per_page", b"starting_after"])


def _query_ok(raw: bytes, allowed: frozenset[bytes]) -> bool:
    if not raw:
        return True
    return all(pair.partition(b"=")[0] in allowed for pair in raw.split(b"&"))


class HotPaths:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            shortcut: Shortcut | None = None
            if path == "/conversations":
                if _query_ok(scope["query_string"], _LIST_QUERY):
                    shortcut = cached_list
            elif path.startswith(_PREFIX) and path[len(_PREFIX) :].isdigit() and not scope["query_string"]:
                shortcut = cached_retrieve
                scope = {**scope, "path_params": {"id": path[len(_PREFIX) :]}}
            if shortcut is not None and await self._answer(shortcut, scope, receive, send):
                return
        await self.app(scope, receive, send)

    async def _answer(self, shortcut: Shortcut, scope: Scope, receive: Receive, send: Send) -> bool:
        token = version = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                token = value.decode("latin-1")
            elif name == b"intercom-version":
                version = value.decode("latin-1")
        secret = bearer_token(token)
        if secret is None or not version_supported(version):
            return False
        request = Request(scope, receive)
        state = request.app.state
        digest = token_digest(secret)
        tokens: TokenCache = state.tokens
        workspace = tokens.get(digest)
        if workspace is None:
            return False
        clock: Clock = state.clock
        now = clock.now()
        response = await shortcut(request, workspace, digest, now)
        if response is None:
            return False
        limiter: RateLimiter | None = state.rate_limiter
        verdict = limiter.check(digest, now) if limiter is not None else None
        if limiter is not None and (verdict is None or not verdict.allowed):
            return False  # not counted: the ordinary path counts it (asking the database) or refuses it
        # The headers the ordinary path sends, in its order: the response's own, then app.RequestId's.
        headers = [*response.raw_headers, (b"x-request-id", str(uuid.uuid4()).encode("ascii"))]
        if verdict is not None:
            headers += verdict.headers(now)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        return True
