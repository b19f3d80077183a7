"""The request's first step: which workspace its bearer token opens.

Every route that takes a token reaches it through :func:`authenticate` — the fast routes of
api/fast_routes.py too — so there is one reading of the ``Authorization`` header. A request carrying
more than one is refused: HTTP stacks disagree on which of several headers counts (the first, the
last, all joined), and a request must never be able to act as two workspaces.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.requests import Request

from inboxd.domain.errors import Unauthorized
from inboxd.store import access_tokens
from inboxd.store.engine import Database
from inboxd.store.scope import Store
from inboxd.store.threads import in_thread
from inboxd.store.transactions import transacted
from inboxd.store.workspaces import WorkspaceRef, token_digest, workspace_for_digest

TOKEN_TTL = 5.0  # seconds the gate remembers a token (TokenCache); revocation does not wait for it

log = logging.getLogger("inboxd")


class TokenCache:
    """Which workspace a token opens, remembered for a few seconds by each process.

    Only a gate: it spares a query before the body is read and decides whether the body is worth
    reading. It is not the authority: every request checks its token again inside its own
    transaction (:func:`check_token`), so a token revoked with `inboxd token revoke` opens nothing
    from the moment the revocation commits, in every process, whatever this cache still holds.
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


def bearer_token(request: Request) -> str:
    """The token of the request's one ``Authorization: Bearer …`` header; anything else — no
    header, another scheme, an empty token, or several headers — is refused."""
    header: bytes | None = None
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            if header is not None:
                raise _refuse(request, "several Authorization headers")
            header = value
    if header is None:
        raise _refuse(request, "no bearer token")
    scheme, _, token = header.decode("latin-1").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _refuse(request, "no bearer token")
    return token


def authenticated(request: Request) -> tuple[WorkspaceRef | None, str]:
    """The request's token checked against what this process knows: its workspace (None when the
    database must be asked: :func:`authenticate`) and its digest. Most requests end here, without
    awaiting anything."""
    digest = token_digest(bearer_token(request))
    tokens: TokenCache = request.app.state.tokens
    return tokens.get(digest), digest


async def authenticate(request: Request, digest: str) -> WorkspaceRef:
    """The workspace a token this process does not know opens, asked of the database."""
    workspace = await in_thread(request.app.state.engine, _lookup_token, request.app.state.engine, digest)
    if workspace is None:
        raise _refuse(request, f"unknown token sha256:{digest[:8]}")
    request.app.state.tokens.put(digest, workspace)
    return workspace


def check_token(request: Request, store: Store, digest: str) -> None:
    """The token is still the workspace's, as of this transaction: one primary-key probe."""
    if not access_tokens.is_live(store.conn, digest, store.workspace_id):
        request.app.state.tokens.drop(digest)
        raise _refuse(request, f"revoked token sha256:{digest[:8]}")


def _lookup_token(engine: Database, digest: str) -> WorkspaceRef | None:
    return transacted(engine, lambda conn: workspace_for_digest(conn, digest))


def _refuse(request: Request, reason: str) -> Unauthorized:
    """Log a failed attempt (never the token: a short prefix of its digest tells attempts apart)."""
    client = request.client.host if request.client else "?"
    log.warning("authentication failed: %s (%s %s from %s)", reason, request.method, request.url.path, client)
    return Unauthorized("Access Token Invalid")
