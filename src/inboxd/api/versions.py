"""The ``Intercom-Version`` header: which versions are accepted, and the default."""

from __future__ import annotations

from starlette.requests import Request

from inboxd.domain.errors import VersionInvalid

# The spec's `intercom_version` enum. Versions are strings: "2.10" is not "2.1".
SUPPORTED_VERSIONS = frozenset(
    ["1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10"]
)
DEFAULT_VERSION = "2.10"


def check_version(request: Request) -> None:
    """No ``Intercom-Version`` header, or one naming a version of the spec's enum. A header sent
    empty names none: refused like any other value (fuzzing)."""
    version = next(
        (value.decode("latin-1") for name, value in request.scope["headers"] if name == b"intercom-version"), None
    )
    if version is not None and version.strip() not in SUPPORTED_VERSIONS:
        raise VersionInvalid(
            f"Intercom-Version {version.strip()!r} is not supported; use one of "
            f"{', '.join(sorted(SUPPORTED_VERSIONS, key=lambda v: tuple(map(int, v.split('.')))))}"
            f" (default {DEFAULT_VERSION})",
            field="Intercom-Version",
        )
