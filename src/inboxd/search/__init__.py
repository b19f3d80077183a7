"""Conversation search: the spec's field table as data (:mod:`.fields`), the request
body parsed into a typed, validated tree (:mod:`.query`), and the tokeniser for ``source.body``
(:mod:`.tokens`). The language as inboxd implements it is described in docs/search.md.

This package is pure: no SQL, no HTTP, no store (an import-linter contract in pyproject.toml keeps
it so). Whatever turns a :class:`~inboxd.search.query.Query` into SQL reads the tree and the
constants of :mod:`.fields`; it needs no special case for any field.
"""
