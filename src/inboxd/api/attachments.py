"""Attachment files: `GET /attachments/{token}/{name}` serves the bytes a reply's `attachment_files`
carried, and :func:`base_url` gives the origin the `part_attachment` URLs point at.

Not an Intercom operation: Intercom serves attachments from its own signed URLs, and so do we. The
token in the URL is the capability (docs/decisions.md, "Attachments"), so no Authorization header
is asked for: the URL must work in an ``<img src>`` and in a browser tab, which send none.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from inboxd.domain.attachments import shown_inline
from inboxd.domain.errors import NotFound
from inboxd.store.attachments import load_by_token
from inboxd.store.engine import Database
from inboxd.store.threads import in_thread

# A host name, IPv4 or bracketed IPv6 address, and an optional port: a Host header that is anything
from inboxd.store.transactions import transacted

# else (a path, a user, spaces) must not end up inside the URLs we hand out.
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9 !#$&+,.=@^_`{}~()\[\]-]")

# The file behind a token never changes, so clients may keep it; "private" keeps shared caches
# (proxies, CDNs) from holding a copy of a conversation's files.
_CACHE_CONTROL = "private, max-age=31536000, immutable"
# Defence in depth for a file served from our origin: even if a browser were to render it as a
# document (HTML, SVG), it runs no script and loads nothing (GitHub serves user content the same way).
_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


_SCOPE_KEY = "inboxd.base_url"


def base_url(request: Request) -> str:
    """``scheme://host[:port]`` that this request reached, for the URLs of attachments.

    ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` are *not* read: any client can send them, and a
    URL built from them could point a reader's browser elsewhere. Behind a TLS-terminating proxy,
    the proxy passes the Host header on and the scheme comes from the ASGI scope, which granian's
    trusted-proxy wrapper (``granian.utils.proxies``) sets from ``X-Forwarded-Proto`` for the
    proxies it is told to trust. An app given ``state.public_url`` uses that instead."""
    # Asked by the cache's key and by the render of one request alike: found once, kept in its scope.
    known: str | None = request.scope.get(_SCOPE_KEY)
    if known is not None:
        return known
    public = getattr(request.app.state, "public_url", None)
    if isinstance(public, str) and public:
        found = public.rstrip("/")
    else:
        # The scope's scheme, not request.url, which parses the whole URL on every GET for one word
        # of it (docs/decisions.md, Performance: "Small costs").
        scheme = "https" if request.scope.get("scheme") in ("https", "wss") else "http"
        host = request.headers.get("host", "")
        if not _HOST.fullmatch(host):
            host = _server_host(request, scheme)
        found = f"{scheme}://{host}"
    request.scope[_SCOPE_KEY] = found
    return found


def _server_host(request: Request, scheme: str) -> str:
    """The address the server listens on, for a request without a usable Host header (HTTP/1.0)."""
    server = request.scope.get("server")
    if not server:
        return "localhost"
    address, port = str(server[0]), server[1]
    if ":" in address:
        address = f"[{address}]"
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return address
    return f"{address}:{port}"


def _load(engine: Database, token: str) -> dict[str, Any] | None:
    return transacted(engine, lambda conn: load_by_token(conn, token))


async def download(request: Request) -> Response:
    token = request.path_params["token"]
    name = request.path_params["name"]
    row = await in_thread(request.app.state.engine, _load, request.app.state.engine, token)
    # The name is part of the URL as in Intercom's; a wrong name is as unknown as a wrong token.
    if row is None or row["name"] != name:
        raise NotFound("Resource Not Found")
    content_type: str = row["content_type"]
    headers = {
        # Set as a header rather than as media_type: Starlette would append "; charset=utf-8" to a
        # text/* type and so relabel a file whose encoding we do not know.
        "Content-Type": content_type,
        "Content-Disposition": _disposition(name, inline=shown_inline(content_type)),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": _CACHE_CONTROL,
        "Content-Security-Policy": _CSP,
    }
    return Response(row["data"], headers=headers)


def _disposition(name: str, inline: bool) -> str:
    """RFC 6266: an ASCII ``filename`` for old clients, the exact name as ``filename*`` (RFC 8187)."""
    fallback = _UNSAFE_FILENAME.sub("_", name)
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
