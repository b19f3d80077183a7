"""Intercom API versions as documents show them: which are accepted (domain/versions.py), what each
changed (changes.py), how a document drawn in the newest shape is taken back to the one asked
for and how a request sent in an older one is read as the newest (chain.py)."""

from inboxd.domain.versions import ACCEPTED, DEFAULT, NEWEST, SHAPES, Version, version_named
from inboxd.render.versions.chain import read, shaped
from inboxd.render.versions.changes import deprecated, describes, reads

__all__ = [
    "ACCEPTED",
    "DEFAULT",
    "NEWEST",
    "SHAPES",
    "Version",
    "deprecated",
    "describes",
    "read",
    "reads",
    "shaped",
    "version_named",
]
