"""Intercom API versions as documents show them: which are accepted (domain/versions.py), what each
changed (changes.py), and how a document drawn in the newest shape is taken back to the one asked
for (chain.py)."""

from inboxd.domain.versions import ACCEPTED, DEFAULT, NEWEST, SHAPES, Version, version_named
from inboxd.render.versions.chain import shaped
from inboxd.render.versions.changes import deprecated, describes

__all__ = [
    "ACCEPTED",
    "DEFAULT",
    "NEWEST",
    "SHAPES",
    "Version",
    "deprecated",
    "describes",
    "shaped",
    "version_named",
]
