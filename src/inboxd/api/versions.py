"""The ``Intercom-Version`` header: the version a request is answered in (render/versions/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from inboxd.domain.errors import VersionInvalid
from inboxd.render.versions import ACCEPTED, Version, deprecated, describes, version_named

# Intercom serves the deprecated operations until it removes them; run_assignment_rules goes on
# 2026-12-31 (RFC 8594's Sunset, an HTTP date).
_SUNSET = {"autoAssignConversation": "Thu, 31 Dec 2026 23:59:59 GMT"}


def version_of(request: Request, default: str) -> Version:
    """The version the header names, or ``default`` (the workspace's) when it names none. A
    header sent empty names none of the accepted: refused like any other value (fuzzing)."""
    header = next(
        (value.decode("latin-1") for name, value in request.scope["headers"] if name == b"intercom-version"), None
    )
    name = default if header is None else header.strip()
    version = version_named(name)
    if version is None:
        raise VersionInvalid(
            f"Intercom-Version {name!r} is not supported; use one of {', '.join(ACCEPTED)} (default {default})",
            field="Intercom-Version",
        )
    return version


# The endpoints of the operations some versions lack (api/http.py ``endpoint``), by operationId.
_OPERATIONS: dict[Callable[..., Any], str] = {}


def declare(endpoint: Callable[..., Any], operation: str) -> None:
    """``endpoint`` serves ``operation``, which some versions lack."""
    _OPERATIONS[endpoint] = operation


class OperationLacking(HTTPException):
    """The version asked for lacks the operation: the path answers as it did before the version
    added it (api/errors.py), a 405 naming the methods it has in ``version``, or, a path of none,
    an unknown route's 404."""

    def __init__(self, version: Version) -> None:
        super().__init__(405)
        self.version = version


def check_operation(version: Version, operation: str) -> None:
    if not describes(version.shape, operation):
        raise OperationLacking(version)


def methods_of_path(request: Request, version: Version | None) -> list[str]:
    """Every method some route serves on the request's path (Starlette's own ``Allow`` names only
    the first route whose path matched, and a path such as /conversations has one route per
    method), in ``version`` when it is known: not one whose operation the version lacks."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is Match.NONE:
            continue
        endpoint = getattr(route, "endpoint", None)
        operation = _OPERATIONS.get(endpoint) if endpoint is not None else None
        if version is None or operation is None or describes(version.shape, operation):
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def version_named_by(request: Request) -> Version | None:
    """The version the request's header names, if it names one inboxd accepts; the workspace's
    default needs the token, which a request the router refused never had checked."""
    header = next((value for name, value in request.scope["headers"] if name == b"intercom-version"), None)
    return version_named(header.decode("latin-1").strip()) if header is not None else None


def mark_deprecated(version: Version, operation: str, response: Response) -> Response:
    """An operation the version deprecated says so (RFC 9745's Deprecation, and when it goes)."""
    if deprecated(version.shape, operation):
        response.headers["Deprecation"] = "true"
        if operation in _SUNSET:
            response.headers["Sunset"] = _SUNSET[operation]
    return response
