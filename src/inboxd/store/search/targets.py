"""What each search field is in SQL: its column, JSON member or related table, the source author's
subqueries, and the created-at range of a query (store/search/compiler.py uses them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import BigInteger, Boolean, Float, TypeEngine

from inboxd.search.fields import FieldType
from inboxd.search.query import Value
from inboxd.store.search_index import created_day
from inboxd.store.tables import (
    DAY_SECONDS,
    admins,
    contacts,
    conversation_contacts,
    conversation_tags,
    conversation_teammates,
    conversations,
)

c = conversations.c

# Fields that are plain columns of `conversations`.
_COLUMNS: dict[str, KeyedColumnElement[Any]] = {
    "created_at": c.created_at,
    "updated_at": c.updated_at,
    "source.type": c.source_type,
    "source.delivered_as": c.source_delivered_as,
    "source.subject": c.source_subject,
    "source.author.type": c.source_author_type,
    "source.url": c.source_url,
    "admin_assignee_id": c.admin_assignee_id,
    "team_assignee_id": c.team_assignee_id,
    # Intercom's channel the conversation started on; inboxd's sources carry it as their type.
    "channel_initiated": c.source_type,
    "read": c.read,
    "state": c.state,
    "waiting_since": c.waiting_since,
    "snoozed_until": c.snoozed_until,
    "priority": c.priority,
    "ai_agent_participated": c.ai_agent_participated,
    "source.author.id": c.source_author_id,
    "statistics.last_closed_by_id": c.stat_last_closed_by_id,
}
# Numeric-string ids held in integer columns: compared as integers so that indexes serve them.
_INTEGER_IDS: dict[str, KeyedColumnElement[Any]] = {"id": c.id, "source.id": c.source_id}

# Multi-valued fields: the related table, its value column, and whether values are integers.
_MULTI = {
    "contact_ids": (conversation_contacts, conversation_contacts.c.contact_id, False),
    "teammate_ids": (conversation_teammates, conversation_teammates.c.admin_id, True),
    "tag_ids": (conversation_tags, conversation_tags.c.tag_id, True),
}

_JSON_TYPES = {
    FieldType.STRING: "as_string",
    FieldType.INTEGER: "as_integer",
    FieldType.DATE: "as_integer",
    FieldType.NUMBER: "as_float",
    FieldType.BOOLEAN: "as_boolean",
}


def _json_member(column: Any, key: str, field_type: FieldType) -> ColumnElement[Any]:
    """PostgreSQL: the member called ``key`` (a bound parameter of ``->`` / ``->>``) as ``field_type``."""
    return getattr(column[key], _JSON_TYPES[field_type])()  # type: ignore[no-any-return]


# SQLite's json_each types of the values each field type reads.
_SQLITE_KINDS = {
    FieldType.STRING: ("text",),
    FieldType.INTEGER: ("integer",),
    FieldType.DATE: ("integer",),
    FieldType.NUMBER: ("integer", "real"),
    FieldType.BOOLEAN: ("true", "false"),
}
_SQL_TYPES: dict[FieldType, TypeEngine[Any]] = {
    FieldType.STRING: String(),
    FieldType.INTEGER: BigInteger(),
    FieldType.DATE: BigInteger(),
    FieldType.NUMBER: Float(),
    FieldType.BOOLEAN: Boolean(),
}


def _sqlite_member(column: Any, key: str, part: str, field_type: FieldType | None = None) -> ColumnElement[Any]:
    """SQLite: the ``type`` or ``value`` of the member called ``key`` in a JSON object, SQL NULL when
    there is none (or, given ``field_type``, when its value is of another JSON type). The member is
    found by comparing json_each's decoded names with ``key``, a bound parameter, not by a JSON path:
    a path would need the name quoted into it, SQLite's path syntax has no way to quote a ``"``, and
    SQLite before 3.45 compares a path's name with the object's text as stored, where the standard
    library's encoder writes "é" as ``\\u00e9``."""
    members = func.json_each(column).table_valued("key", "value", "type")
    found = select(members.c[part]).where(members.c.key == bindparam(None, key, type_=String()))
    if field_type is None:
        return found.scalar_subquery()
    found = found.where(members.c.type.in_(_SQLITE_KINDS[field_type]))
    return type_coerce(found.scalar_subquery(), _SQL_TYPES[field_type])


def _author_attribute(name: str) -> ColumnElement[Any]:
    """The source author's name or email, from whichever table holds the author. No bound values:
    :class:`SourceAuthor` renders it once and repeats the text."""
    admin_value = (
        select(getattr(admins.c, name))
        .where(admins.c.workspace_id == c.workspace_id, cast(admins.c.id, String) == c.source_author_id)
        .scalar_subquery()
    )
    contact_value = (
        select(getattr(contacts.c, name))
        .where(contacts.c.workspace_id == c.workspace_id, contacts.c.id == c.source_author_id)
        .scalar_subquery()
    )
    admin_kinds: tuple[ColumnElement[Any], ...] = (literal_column("'admin'"), literal_column("'bot'"))
    return case((c.source_author_type.in_(admin_kinds), admin_value), else_=contact_value)


class SourceAuthor(ColumnElement[str]):
    """:func:`_author_attribute` as a query names it: a query may name the author hundreds of times
    (15 × 15 filters, docs/search.md), and building and compiling its two subqueries again for
    each filter was most of the Python work of such a query, work no budget can stop midway
    (store/budget.py). Compiled once per enclosing SELECT of a statement, the text then repeated."""

    __visit_name__ = "inboxd_source_author"
    inherit_cache = True
    _traverse_internals = [("name", InternalTraversal.dp_string)]  # noqa: RUF012  (SQLAlchemy's protocol)
    type = String()

    def __init__(self, name: str) -> None:
        self.name = name


@compiles(SourceAuthor)
def _compile_source_author(element: SourceAuthor, compiler: SQLCompiler, **kw: Any) -> str:
    # One rendering per enclosing SELECT: what the subqueries correlate with is that SELECT's FROM.
    rendered: dict[tuple[str, int], str] = compiler.__dict__.setdefault("_inboxd_source_author", {})
    key = (element.name, id(compiler.stack[-1]["selectable"]) if compiler.stack else 0)
    if key not in rendered:
        rendered[key] = compiler.process(_author_attribute(element.name), **kw)
    return rendered[key]


def _integer_ids(value: Value) -> list[int]:
    """The values that can be ids of an integer column; other strings can match no row."""
    values = value if isinstance(value, tuple) else (value,)
    return [int(v) for v in values if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 18]


@dataclass
class CreatedRange:
    """A created_at range at the top of a query, and what ``conversation_days`` says of it."""

    lo: int | None  # the first second in the range (None: unbounded)
    hi: int | None  # the last second in the range
    days: int = 0  # days with conversations in the range, edge days included
    inside: int = 0  # conversations created on those days (at least the range's)
    newer: int = 0  # conversations created on later days (the walk passes them first)
    span: tuple[int, int] | None = None  # every conversation in the range has an id in it
    # Whether the range holds exactly the conversations whose ids are in ``span``: its edge days
    # are whole, and no conversation of another day has an id between (ids given in time order).
    exact: bool = False

    @property
    def day_bounds(self) -> tuple[int | None, int | None]:
        return (
            created_day(self.lo) if self.lo is not None else None,
            created_day(self.hi) if self.hi is not None else None,
        )

    def whole(self, day: int) -> bool:
        """Whether the range holds all of ``day`` (days up to 0 are never taken whole: truncation
        puts both sides of 0 in day 0)."""
        if day <= 0:
            return False
        start = day * DAY_SECONDS
        return (self.lo is None or self.lo <= start) and (self.hi is None or self.hi >= start + DAY_SECONDS - 1)


def first_column(conn: Connection, query: Select[Any]) -> list[Any]:
    """The first column of ``query``'s rows, fetched by the driver in one call: SQLAlchemy's row
    objects were a large share of the time of reading a few thousand ids (docs/decisions.md,
    Performance, "Small costs")."""
    result = conn.execute(query)
    try:
        return [row[0] for row in result.cursor.fetchall()]
    finally:
        result.close()
