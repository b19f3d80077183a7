"""Opaque ``starting_after`` cursors (cursors encode the sort key, never an offset).

Like Intercom's, a cursor is URL-safe base64 of a JSON array: the last row's sort key followed by
the number of the page it ended. Cursors only walk forward.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import orjson

from inboxd.domain.errors import ParameterInvalid
from inboxd.render.pages import Page

# Every integer of a sort key is a BigInteger column (store/tables/): a wider one cannot be bound
# (SQLite raises OverflowError, PostgreSQL "bigint out of range"), so no cursor of ours holds one;
# nor a string with a NUL character, which PostgreSQL text cannot hold.
_KEY_MIN, _KEY_MAX = -(2**63), 2**63 - 1
# The most rows a page asked for by number (2.11's contact lists: ``page``) may skip: an offset is
# read row by row, so deeper pages are walked with cursors.
MAX_SKIPPED = 10_000
# The highest page a walk answers: a bound no real walk reaches (two billion pages), which keeps
# `pages.page` inside the 32-bit integer typed clients read it as.
MAX_PAGE = 2**31 - 1


def _in_range(value: Any, kind: type) -> bool:
    if not isinstance(value, kind) or isinstance(value, bool):
        return False
    if isinstance(value, int):
        return _KEY_MIN <= value <= _KEY_MAX
    return not isinstance(value, str) or "\x00" not in value


def encode(key: list[Any], page: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([*key, page])).decode("ascii").rstrip("=")


def decode(cursor: str, shape: tuple[type, ...], field: str = "starting_after") -> tuple[tuple[Any, ...], int]:
    """The sort key and page number inside ``cursor``, checked against the key's ``shape``: each
    integer inside what its column holds, and the page one a walk can follow (below MAX_PAGE)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        value = None
    if (
        not isinstance(value, list)
        or len(value) != len(shape) + 1
        or not all(_in_range(v, t) for v, t in zip(value, (*shape, int), strict=True))
        or not 1 <= value[-1] < MAX_PAGE
    ):
        raise ParameterInvalid(f"{field} is not a cursor this server returned", field=field)
    return tuple(value[:-1]), value[-1]


def walk(
    cursor: str | None,
    limit: int,
    shape: tuple[type, ...],
    fetch: Callable[[int, tuple[Any, ...] | None], list[dict[str, Any]]],
    key: Callable[[dict[str, Any]], list[Any]],
    field: str = "starting_after",
    first: int = 1,
) -> Page:
    """One page of a keyset walk: ``fetch(n, after)`` returns up to n rows after the key ``after``.
    Without a cursor the page is numbered ``first`` (a page asked for by number: ``fetch`` skips
    the pages before it); the cursor of its last row walks on from there.

    One row more than the page is fetched, so "is there a next page" costs no second query.
    """
    after, page = None, first
    if cursor:
        after, last_page = decode(cursor, shape, field)
        page = last_page + 1
    rows = fetch(limit + 1, after)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, page, limit, encode(key(rows[-1]), page) if more else None)
