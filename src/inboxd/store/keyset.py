"""Keyset pages: every list inboxd serves is walked newest first by a sort key and the row's id
(conversations by ``(updated_at, id)``, contacts by ``(created_at, id)``), and the next page starts
after the previous page's last key. This module is the one statement of that rule, for SQLAlchemy
expressions and for the raw statement of store/cached_reads.py (tests/store/test_keyset.py holds
them equal); api/cursors.py encodes the key into the opaque cursor clients see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_

# The same condition for a DBAPI statement: {sort} and {id} are the columns, {last_sort} and
# {last_id} the previous page's last key: the driver's placeholders (parameters: sort key, sort
# key, id) or columns of the statement's own.
AFTER_SQL = " AND ({sort} < {last_sort} OR ({sort} = {last_sort} AND {id} < {last_id}))"


def after(sort: ColumnElement[Any], row_id: ColumnElement[Any], key: tuple[Any, ...]) -> ColumnElement[bool]:
    """Rows after ``key`` (the previous page's last ``(sort, id)``) in newest-first order."""
    last_sort, last_id = key
    return or_(sort < last_sort, and_(sort == last_sort, row_id < last_id))


def newest_first(sort: ColumnElement[Any], row_id: ColumnElement[Any]) -> tuple[ColumnElement[Any], ...]:
    return (sort.desc(), row_id.desc())
