"""The ``Intercom-Version`` header: the version a request is answered in (render/versions/)."""

from __future__ import annotations

from starlette.requests import Request

from inboxd.domain.errors import VersionInvalid
from inboxd.render.versions import ACCEPTED, Version, version_named


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
