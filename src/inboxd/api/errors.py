"""The one place that writes error JSON: domain errors, routing errors and
unexpected failures all become Intercom's ``error.list`` with a fresh ``request_id``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from inboxd.api.versions import OperationLacking, methods_of_path, version_named_by
from inboxd.domain.errors import IntercomError
from inboxd.store.database_errors import DATABASE_ERRORS, database_unavailable

log = logging.getLogger("inboxd")

_HTTP_CODES = {
    400: ("parameter_invalid", "Bad request"),
    401: ("unauthorized", "Access Token Invalid"),
    404: ("not_found", "Resource Not Found"),
    405: ("method_not_allowed", "Method Not Allowed"),
    413: ("request_too_large", "Request body too large"),
}


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = str(uuid.uuid4())
        request.state.request_id = rid
    return rid


def error_response(request: Request, status: int, code: str, message: str | None, field: str | None = None) -> Response:
    error: dict[str, str | None] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    rid = request_id(request)
    body = {"type": "error.list", "request_id": rid, "errors": [error]}
    headers = {"X-Request-Id": rid}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="inboxd"'
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


async def intercom_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IntercomError)
    return error_response(request, exc.status, exc.code, exc.message, exc.field)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status, headers = exc.status_code, dict(exc.headers or {})
    if status == 405:
        # The methods the path has in the version asked for: the pipeline's, or, a 405 of the
        # router (which checks no token, so knows no workspace default), the header's if it names
        # one. A path with none in that version is an unknown route.
        version = exc.version if isinstance(exc, OperationLacking) else version_named_by(request)
        allowed = methods_of_path(request, version)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
        else:
            status = 404
            headers.pop("Allow", None)
    code, message = _HTTP_CODES.get(status, ("client_error", exc.detail))
    if status == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    elif status == 404:
        message = f"No route matches {request.method} {request.url.path}"
    response = error_response(request, status, code, message)
    response.headers.update(headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    rid = request_id(request)
    log.exception("unhandled error in %s %s (request %s)", request.method, request.url.path, rid)
    return error_response(request, 500, "server_error", "An unexpected error occurred; see the server log")


async def database_error(request: Request, exc: Exception) -> Response:
    """503 ``service_unavailable`` with ``Retry-After`` when the database cannot be used now (the
    request's transaction was rolled back: nothing of it is stored); anything else is a bug: 500."""
    if not database_unavailable(exc):
        return await server_error(request, exc)
    rid = request_id(request)
    log.warning("database unavailable in %s %s (request %s): %s", request.method, request.url.path, rid, exc)
    response = error_response(request, 503, "service_unavailable", "The database is unavailable; try again shortly")
    response.headers["Retry-After"] = "1"
    return response


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]

HANDLERS: dict[type[Exception], ErrorHandler] = {
    IntercomError: intercom_error,
    HTTPException: http_error,
    **dict.fromkeys(DATABASE_ERRORS, database_error),
    Exception: server_error,
}


def handler_for(exc: Exception) -> ErrorHandler | None:
    """The handler Starlette's exception middleware would pick for ``exc`` (its class's nearest
    ancestor in :data:`HANDLERS`); None for the catch-all, which the outermost middleware applies."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in HANDLERS:
            return HANDLERS[cls]
    return None
