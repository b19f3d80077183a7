"""Which ``Intercom-Version`` values inboxd accepts, and the description each is drawn in.

Every version of the newest description's ``intercom_version`` enum is accepted, and ``Preview``.
Each description inboxd carries (spec/intercom-<shape>.yaml) is a *shape*: 2.7 to 2.16. A version
older than the oldest description is drawn in the oldest shape, ``Preview`` in the newest
(docs/compatibility.md)."""

from __future__ import annotations

from dataclasses import dataclass

# The shapes, oldest first: the descriptions of spec/, one per version. render/ draws the newest;
# render/versions/changes.py takes a document back one shape at a time.
SHAPES: tuple[str, ...] = ("2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "2.13", "2.14", "2.15", "2.16")
NEWEST = SHAPES[-1]
PREVIEW = "Preview"
# spec/intercom-2.16.yaml's `intercom_version` enum, and Preview (spec/intercom-preview.yaml's).
ACCEPTED: tuple[str, ...] = (
    *("1.0", "1.1", "1.2", "1.3", "1.4"),
    *(f"2.{minor}" for minor in range(0, 7)),
    *SHAPES,
    PREVIEW,
)
# What a workspace answers in when a request names no version (the workspace file's default_version).
DEFAULT = "2.10"


@dataclass(frozen=True, slots=True)
class Version:
    """A version a request is answered in: its ``name`` as asked (or the workspace's default), and
    the ``shape`` of the description it is drawn in."""

    name: str
    shape: str


def _shape_of(name: str) -> str:
    if name == PREVIEW:
        return NEWEST
    if name in SHAPES:
        return name
    return SHAPES[0]  # 1.0 - 2.6: older than every description inboxd carries


VERSIONS: dict[str, Version] = {name: Version(name, _shape_of(name)) for name in ACCEPTED}


def version_named(name: str) -> Version | None:
    """The version ``name`` names (exactly: "2.1" is not "2.10"), or None."""
    return VERSIONS.get(name)
