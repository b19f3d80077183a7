"""The ``Intercom-Version`` header: the version a request is answered in (render/versions/)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

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


def check_operation(version: Version, operation: str) -> None:
    """An operation the version's description lacks answers as an unknown route does (api/errors.py)."""
    if not describes(version.shape, operation):
        raise HTTPException(404)


def mark_deprecated(version: Version, operation: str, response: Response) -> Response:
    """An operation the version deprecated says so (RFC 9745's Deprecation, and when it goes)."""
    if deprecated(version.shape, operation):
        response.headers["Deprecation"] = "true"
        if operation in _SUNSET:
            response.headers["Sunset"] = _SUNSET[operation]
    return response
