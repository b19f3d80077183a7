"""Conversation search: the typed tree of inboxd.search compiled to SQLAlchemy Core, run on indexes.

Each field of ``search/fields.py`` maps to one SQL expression in :func:`_target` (a column, a JSON
member, a scalar subquery, or a related table for the multi-valued and tokenised fields); each
operator then has one meaning for every field, the one the module docstring of ``search/fields.py``
states (negations are exact complements and match null, range and text operators never do).

Plans. Results come newest-updated first, ``(updated_at, id)`` descending, the order of
``GET /conversations``. Two plans can produce that order (docs/search.md): *walk*
the ``(workspace_id, updated_at, id)`` index newest first, testing each conversation, which finds a
page in a few rows when matches are common; or *read the matches first* from a narrower index and
sort them, which wins when they are few. Both touch about the same number of rows when a filter
matches ``sqrt((per_page + 1) × conversations)`` of them (:attr:`Planner.threshold`), so
:class:`Planner` decides per filter from what it can learn cheaply:

* a body word, from ``token_stats`` (how many conversations carry it);
* a contact, teammate or tag, by reading at most ``threshold + 1`` of its index entries;
* a ``created_at`` range at the top of the query, from ``conversation_days`` (conversations per
  day of creation, with their lowest and highest id): how many it holds, how many were created after
  it (which a walk would have to pass before reaching it), how many days it spans, in O(days).

Related values with few conversations are read first and handed to the page as a list of ids (no
correlated probe per conversation); beside a ``created_at`` range they are read only between the
range's ids. A range is walked, sorted (ordering on an expression no index serves), or, when it is
the whole query, read as each day's first page from the (workspace, created day, updated_at) index
and merged: days × page entries, whatever the range holds. An ``OR`` whose branches are inboxes
(a state and an assignee each) merges each branch's first page from its own index. ``OR`` of one
multi-valued field is one ``IN``. ``total_count`` is exact up to a limit the caller gives
(docs/search.md): counted in the same pass as the page when the page sorts its matches anyway, from
``token_stats``, ``conversation_days`` or the related index when the query is one filter, a
``UNION`` of the inboxes, else by reading at most ``limit + 1`` matches.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
    type_coerce,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import BigInteger, Boolean, Float, TypeEngine

from inboxd.search.fields import NEGATIONS, Field, FieldType
from inboxd.search.query import Filter, Group, Item, Node, Value
from inboxd.store import keyset
from inboxd.store.search_index import created_day
from inboxd.store.tables import (
    CREATED_DAY,
    DAY_SECONDS,
    MAX_TOKEN_LENGTH,
    admins,
    contacts,
    conversation_contacts,
    conversation_days,
    conversation_tags,
    conversation_teammates,
    conversation_tokens,
    conversations,
    token_stats,
    workspaces,
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
    """:func:`_author_attribute` as a query names it: a query may name the author thousands of times
    (15 × 15 × 15 filters, docs/search.md), and building and compiling its two subqueries again for
    each filter was most of the Python work of such a query, work no budget can stop midway
    (store/engine.py). Compiled once per enclosing SELECT of a statement, the text then repeated."""

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


class Planner:
    """What the compiler needs to know about the data, each fact looked up once and cheaply."""

    # A range of more days than this is not merged day by day (SQLite caps a compound SELECT at 500).
    MERGE_DAYS = 400
    # What reading one day's first page costs beyond its rows, in index entries (the seek).
    MERGE_SEEK = 4
    # What looking a conversation up by id costs, in index entries read in order (a seek in the
    # wide table against a step along an index: ~2 µs against ~0.15 µs on SQLite at 1M).
    ROW_COST = 10

    def __init__(self, conn: Connection, workspace_id: int, per_page: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id
        self.per_page = per_page
        self._documents: dict[tuple[str, ...], int] = {}  # asked by the compiler, then for the count

    @functools.cached_property
    def size(self) -> int:
        """How many conversations the workspace holds (kept by the transaction that adds one)."""
        found = self.conn.execute(
            select(workspaces.c.conversation_count).where(workspaces.c.id == self.workspace_id)
        ).scalar()
        return int(found or 0)

    @functools.cached_property
    def threshold(self) -> int:
        """How many matches make both plans touch about as many rows (module docstring)."""
        return max(int(math.sqrt((self.per_page + 1) * max(self.size, 1))), self.per_page + 1)

    def created(self, lo: int | None, hi: int | None) -> CreatedRange:
        """The range's days, conversations and ids, from ``conversation_days``: O(days), one query."""
        found = CreatedRange(lo, hi)
        if lo is not None and hi is not None and lo > hi:
            return found
        d = conversation_days.c
        first, last = found.day_bounds
        inside = and_(d.day >= first if first is not None else true(), d.day <= last if last is not None else true())
        later = d.day > last if last is not None else false()
        earlier = d.day < first if first is not None else false()
        row = self.conn.execute(
            select(
                func.count(case((inside, 1))),
                func.sum(case((inside, d.conversations))),
                func.sum(case((later, d.conversations))),
                func.min(case((inside, d.first_id))),
                func.max(case((inside, d.last_id))),
                func.max(case((earlier, d.last_id))),
                func.min(case((later, d.first_id))),
            ).where(d.workspace_id == self.workspace_id)
        ).one()
        found.days, found.inside, found.newer = int(row[0]), int(row[1] or 0), int(row[2] or 0)
        if row[3] is not None:
            found.span = low, high = (int(row[3]), int(row[4]))
            found.exact = (
                (first is None or found.whole(first))
                and (last is None or found.whole(last))
                and (row[5] is None or int(row[5]) < low)
                and (row[6] is None or int(row[6]) > high)
            )
        return found

    def created_days(self, created: CreatedRange) -> list[int]:
        """The days of the range that have conversations, newest first."""
        d = conversation_days.c
        first, last = created.day_bounds
        query = select(d.day).where(d.workspace_id == self.workspace_id)
        if first is not None:
            query = query.where(d.day >= first)
        if last is not None:
            query = query.where(d.day <= last)
        return [int(day) for day in self.conn.execute(query.order_by(d.day.desc())).scalars()]

    def created_count(self, created: CreatedRange, bounds: list[ColumnElement[bool]]) -> int:
        """Exactly how many conversations the range holds: its whole days from ``conversation_days``,
        the (at most two) days it cuts counted from the index, each at most a day's conversations."""
        if created.days == 0:
            return 0
        d = conversation_days.c
        first, last = created.day_bounds
        edges = {day for day in (first, last) if day is not None and not created.whole(day)}
        whole = [d.day.not_in(sorted(edges))] if edges else []
        total = self.conn.execute(
            select(func.coalesce(func.sum(d.conversations), 0)).where(
                d.workspace_id == self.workspace_id,
                d.day >= first if first is not None else true(),
                d.day <= last if last is not None else true(),
                *whole,
            )
        ).scalar_one()
        scope = c.workspace_id == self.workspace_id
        for day in edges:
            total += self._count_up_to(and_(scope, CREATED_DAY == day, *bounds), None)  # noqa: SIM300
        return int(total)

    def over(self, queries: list[Select[Any]], bound: int) -> bool:
        """Whether one of ``queries`` selects more than ``bound`` rows (each read at most bound + 1)."""
        for query in queries:
            rows = query.limit(bound + 1).subquery()
            if int(self.conn.execute(select(func.count()).select_from(rows)).scalar_one()) > bound:
                return True
        return False

    def documents(self, words: tuple[str, ...]) -> int:
        """How many conversations carry one of ``words`` at most (exact for one word)."""
        if words not in self._documents:
            found = self.conn.execute(
                select(func.coalesce(func.sum(token_stats.c.documents), 0)).where(
                    token_stats.c.workspace_id == self.workspace_id, token_stats.c.token.in_(words)
                )
            ).scalar()
            self._documents[words] = int(found or 0)
        return self._documents[words]

    def few(self, ids: Select[Any]) -> list[int] | None:
        """The conversation ids ``ids`` selects, when they are at most :attr:`threshold`; else None."""
        found = set(_first_column(self.conn, ids.limit(self.threshold + 1)))
        return sorted(found) if len(found) <= self.threshold else None

    def _count_up_to(self, condition: ColumnElement[bool], bound: int | None) -> int:
        rows: Select[Any] = select(literal_column("1")).select_from(conversations).where(condition)
        if bound is not None:
            rows = rows.limit(bound)
        return int(self.conn.execute(select(func.count()).select_from(rows.subquery())).scalar_one())


class Compiler:
    def __init__(self, workspace_id: int, planner: Planner, dialect: str) -> None:
        self.workspace_id = workspace_id
        self.planner = planner
        self.dialect = dialect
        # Set while compiling: the ids a related filter's values were read as (see Plan.known).
        self.read_first: dict[Filter, list[int]] = {}
        self.probes = False  # whether the condition tests another table per conversation
        # Set by Search.where when the query is an AND with a created_at range: the ids its
        # conversations lie between, and the AND's own filters (identities), which only need their
        # matches within those ids (the range drops the others).
        self.span: tuple[int, int] | None = None
        self.top: set[int] = set()

    def node(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, Group):
            children = _merge_related_ors(node.children) if node.operator == "OR" else node.children
            parts = [self.node(child) for child in children]
            if len(parts) == 1:
                return parts[0]
            return and_(*parts) if node.operator == "AND" else or_(*parts)
        return self.filter(node)

    def filter(self, item: Filter) -> ColumnElement[bool]:
        positive = NEGATIONS.get(item.operator)
        if positive is not None:
            if item.value is None:
                return self._is_null(item.field, negate=True)
            # The exact complement: what the positive operator does not match, nulls included (SQL's
            # NOT would keep a null comparison null, which WHERE drops).
            return not_(func.coalesce(self._positive(Filter(item.field, positive, item.value)), false()))
        if item.value is None:
            return self._is_null(item.field, negate=False)
        return self._positive(item)

    # -- null -----------------------------------------------------------------------------------

    def _is_null(self, field: Field, negate: bool) -> ColumnElement[bool]:
        if field.name in _MULTI or field.tokenised:
            found = self._related(field, None)
            return found if negate else not_(found)
        if field.custom_attribute is not None:
            # "is null": the attribute is absent or holds JSON null, whatever type the query implies.
            kind = self._json_kind(c.custom_attributes, field.custom_attribute)
            missing = or_(kind.is_(None), kind == "null")
            return not_(missing) if negate else missing
        target = self._scalar(field)
        return target.is_not(None) if negate else target.is_(None)

    # -- positive operators ---------------------------------------------------------------------

    def _positive(self, item: Filter) -> ColumnElement[bool]:
        """``=``, ``IN``, ``~``, ``^``, ``$`` and the ranges; null never matches them."""
        if item.field.name in _MULTI or item.field.tokenised:
            return self._related(item.field, item)
        if item.field.name in _INTEGER_IDS:
            return self._integer_id(_INTEGER_IDS[item.field.name], item)
        return _compare(self._scalar(item.field), item, self.dialect)

    def _scalar(self, field: Field) -> ColumnElement[Any]:
        name = field.name
        attribute = field.custom_attribute
        if attribute is not None:
            return self._typed_json(c.custom_attributes, attribute, field.type)
        if name in _COLUMNS:
            return _COLUMNS[name]
        if name in _INTEGER_IDS:
            return cast(_INTEGER_IDS[name], String)
        if name == "open":
            return case((c.state == "closed", false()), else_=true())
        if name.startswith("statistics."):
            return c[f"stat_{name.removeprefix('statistics.')}"]
        if name in ("source.author.name", "source.author.email"):
            self.probes = True
            return SourceAuthor(name.rsplit(".", 1)[1])
        if name.startswith("conversation_rating."):
            key = {"admin_d": "admin_id", "score": "rating"}.get(name.split(".", 1)[1], name.split(".", 1)[1])
            return self._typed_json(c.conversation_rating, key, field.type)
        if name.startswith("ai_agent."):
            return self._typed_json(c.ai_agent, name.split(".", 1)[1], field.type)
        raise AssertionError(f"search field {name} has no SQL target")  # fields.py and this table agree (tested)

    def _json_kind(self, column: Any, key: str) -> ColumnElement[Any]:
        """The JSON type name of a member (SQLite: text, integer, real, true, false, null;
        PostgreSQL: string, number, boolean, null), SQL NULL when absent."""
        if self.dialect == "sqlite":
            return _sqlite_member(column, key, "type")
        return func.json_typeof(column.op("->")(key))

    def _typed_json(self, column: Any, key: str, field_type: FieldType) -> ColumnElement[Any]:
        """A JSON member as a value of ``field_type``, or null when the stored value has another JSON
        type (a custom attribute stored as "5" is no Integer 5, and 5.5 is no Integer)."""
        if self.dialect == "sqlite":
            return _sqlite_member(column, key, "value", field_type)
        guard = (
            self._json_kind(column, key)
            == {
                FieldType.STRING: "string",
                FieldType.INTEGER: "number",
                FieldType.DATE: "number",
                FieldType.NUMBER: "number",
                FieldType.BOOLEAN: "boolean",
            }[field_type]
        )
        if field_type in (FieldType.INTEGER, FieldType.DATE):
            guard = and_(guard, column[key].as_string().regexp_match("^-?[0-9]+$"))
        return case((guard, _json_member(column, key, field_type)), else_=None)

    def _integer_id(self, column: KeyedColumnElement[Any], item: Filter) -> ColumnElement[bool]:
        if item.operator in ("=", "IN"):
            numbers = _integer_ids(item.value)
            return column.in_(numbers) if numbers else false()
        return _compare(cast(column, String), item, self.dialect)

    def _related(self, field: Field, item: Filter | None) -> ColumnElement[bool]:
        """A related row (contact, teammate, tag or body word) matching ``item`` (any row when None)."""
        table, value, numeric = _related_table(field)
        owner = table.c.conversation_id == c.id
        scope = table.c.workspace_id == self.workspace_id
        if item is None:
            self.probes = True
            return exists().where(scope, owner)
        if item.operator in ("=", "IN"):
            wanted = _wanted(item)
            if not wanted:
                return false()
            condition = value.in_(wanted)
            ids_query = select(table.c.conversation_id).where(scope, condition)
            if len(wanted) > 1:
                # A conversation carrying two of the values must count once against the bound (one
                # value: the primary key makes its conversations distinct already).
                ids_query = ids_query.distinct()
            within = self.span is not None and id(item) in self.top
            if within:
                assert self.span is not None
                ids_query = ids_query.where(table.c.conversation_id.between(*self.span))
            if field.tokenised and self.planner.documents(wanted) <= self.planner.threshold:
                # token_stats says how many conversations carry the words: no probe needed.
                few: list[int] | None = sorted(set(_first_column(self.planner.conn, ids_query)))
            elif field.tokenised and not within:
                few = None
            elif not within and self.planner.over(
                [select(table.c.conversation_id).where(scope, value == one) for one in wanted]
                if len(wanted) > 1
                else [],
                self.planner.threshold,
            ):
                # One of the values alone has too many: no need to gather the others' (distinct) ids.
                few = None
            else:
                few = self.planner.few(ids_query)
            if few is not None:
                # Few conversations: their ids, read first (module docstring).
                self.read_first[item] = few
                return self._id_list(few)
            self.probes = True
            return exists().where(scope, owner, condition)
        target: ColumnElement[Any] = cast(value, String) if numeric else value
        self.probes = True
        return exists().where(scope, owner, _compare(target, item, self.dialect, folded=field.tokenised))

    def _id_list(self, ids: list[int], tested: bool = False) -> ColumnElement[bool]:
        """``conversations.id`` in ``ids``, as one bound value whatever its length (SQLite caps the
        number of parameters; PostgreSQL plans an array as well as a list). ``tested``: the ids
        are a test on rows another index reads (``id + 0``: no engine looks the ids up instead)."""
        if not ids:
            return false()
        target: ColumnElement[Any] = c.id + 0 if tested else c.id
        if self.dialect == "postgresql":
            return target == any_(bindparam(None, ids, type_=ARRAY(BigInteger)))
        listed: Select[Any] = select(literal_column("value")).select_from(
            func.json_each(bindparam(None, orjson.dumps(ids).decode()))
        )
        return target.in_(listed)


def _compare(target: ColumnElement[Any], item: Filter, dialect: str, folded: bool = False) -> ColumnElement[bool]:
    value: Value = item.value
    operator = item.operator
    if operator == "=":
        return target == value
    if operator == "IN":
        assert isinstance(value, tuple)
        return target.in_(value)
    if operator in (">", ">=", "<", "<="):
        return {">": target > value, ">=": target >= value, "<": target < value, "<=": target <= value}[operator]
    # ~ ^ $: case-insensitive; the parser folded the value, so only the column side is folded.
    # (SQLite's lower() folds ASCII only: docs/search.md.) Token columns are folded already.
    text = target if folded else func.lower(target)
    assert isinstance(value, str)
    if operator == "~":
        return text.contains(value, autoescape=True)
    if operator == "^":
        return text.startswith(value, autoescape=True)
    if operator == "$":
        return text.endswith(value, autoescape=True)
    raise AssertionError(f"operator {operator} reached the compiler")


def _merge_related_ors(children: tuple[Node, ...]) -> tuple[Node, ...]:
    """``tag_ids = a OR tag_ids = b`` is ``tag_ids IN (a, b)``: one look-up, one index range, instead
    of one probe per value (the same for every multi-valued field and for body words). Other
    filters on the field (``!=``, ``~`` …) stay as they are."""
    merged: dict[str, list[Item]] = {}
    out: list[Node | str] = []  # a field name marks where that field's merged filter goes
    for child in children:
        if (
            isinstance(child, Filter)
            and (child.field.multi or child.field.tokenised)
            and child.operator in ("=", "IN")
            and child.value is not None
        ):
            if child.field.name not in merged:
                merged[child.field.name] = []
                out.append(child.field.name)
            merged[child.field.name].extend(child.value if isinstance(child.value, tuple) else (child.value,))
        else:
            out.append(child)
    fields = {
        child.field.name: child.field for child in children if isinstance(child, Filter) and child.field.name in merged
    }
    return tuple(
        Filter(fields[node], "IN", tuple(dict.fromkeys(merged[node]))) if isinstance(node, str) else node
        for node in out
    )


def _conjuncts(root: Node) -> tuple[Node, ...]:
    return root.children if isinstance(root, Group) and root.operator == "AND" else (root,)


@dataclass
class Plan:
    """A compiled search: its condition, how to order the page, and what is known of its count."""

    where: ColumnElement[bool]
    # Read every match and sort: the matches come from a narrower index than the walk's.
    sort: bool = False
    count_in_page: bool = False  # sorting, and testing a match probes another table (Search._sorted_page)
    # The query is one related filter: its count comes from the related table (or is known).
    related: Filter | None = None
    known: int | None = None  # the exact number of matches, when planning learnt it
    total: int | None = None  # counted by the page query itself (sorting plans)
    # A lone created_at range of many conversations: each of these days' first page from the
    # (workspace_id, created day, updated_at) index, merged (Search._merged_page).
    days: list[int] | None = None
    # An OR whose every branch (with the AND's other filters) is an inbox: each branch's first page
    # from its own (assignee, state, updated_at) index, merged; counted as a UNION of the branches.
    branches: list[ColumnElement[bool]] | None = None


# A search of more filters than this compiles its statements each time instead of keeping them in
# the engine's cache of compiled statements (SQLAlchemy's, 500 of them): a kept statement holds its
# SQL and every bound parameter, megabytes at the limits of docs/search.md, so a few hundred queries
# of different shapes would otherwise keep gigabytes in every worker (docs/decisions.md).
UNCACHED_FILTERS = 32


def _filters(node: Node) -> int:
    return sum(_filters(child) for child in node.children) if isinstance(node, Group) else 1


class Search:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id
        self.dialect = conn.dialect.name

    def where(self, root: Node | None, per_page: int) -> Plan:
        """Compile ``root`` (None: every conversation) into a :class:`Plan` for pages of ``per_page``."""
        if root is None:
            return Plan(c.workspace_id == self.workspace_id)
        if self.dialect == "postgresql":
            # psycopg prepares a statement run five times; PostgreSQL then tries five custom plans
            # and switches to a generic one when its estimate is no worse. For a search's bound
            # arrays and ranges the generic plan can be ruinous (frequent word AND 30 days at 1M:
            # 11 ms for ten runs, 330 ms from the eleventh on). Plans made for the values, in
            # this transaction only.
            self.conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        if _filters(root) > UNCACHED_FILTERS:
            # For the rest of this transaction only (the option is the Connection's, which ends with it).
            self.conn.execution_options(compiled_cache=None)
        planner = Planner(self.conn, self.workspace_id, per_page)
        compiler = Compiler(self.workspace_id, planner, self.conn.dialect.name)
        if isinstance(root, Group) and root.operator == "OR":
            merged = _merge_related_ors(root.children)
            root = merged[0] if len(merged) == 1 else Group("OR", merged)
        conjuncts = _conjuncts(root)
        ranges = _created_ranges(conjuncts)
        created = planner.created(*_range_bounds(ranges)) if ranges else None
        if created is not None and created.span is not None and len(ranges) < len(conjuncts):
            compiler.span, compiler.top = created.span, {id(item) for item in conjuncts}
        plan = Plan(and_(c.workspace_id == self.workspace_id, compiler.node(root), *_day_bounds(created)))
        read_first = any(item in compiler.read_first for item in conjuncts)
        if created is not None:
            bounds = [compiler.filter(item) for item in ranges]
            lone = len(ranges) == len(conjuncts)
            step = self._range_plan(created, planner, lone and not read_first)
            if step == "merge":
                plan.days = planner.created_days(created)
            plan.sort = step == "sort"
            if lone:
                plan.known = planner.created_count(created, bounds)
        if read_first:
            plan.sort, plan.days = True, None
        inboxes = None if plan.sort or plan.days is not None else _inbox_branches(root)
        if inboxes is not None:
            plan.branches = [
                and_(c.workspace_id == self.workspace_id, compiler.node(Group("AND", tuple(branch))))
                for branch in inboxes
            ]
        if created is not None and created.exact and read_first:
            self._merge_read_first(plan, created, conjuncts, ranges, planner, compiler)
        if plan.sort:
            # The sort reads every match anyway: count them in the same pass when a second pass
            # would probe another table again or look up conversations by id again.
            plan.count_in_page = compiler.probes or (read_first and plan.known is None and len(conjuncts) > 1)
        if (
            isinstance(root, Filter)
            and (root.field.multi or root.field.tokenised)
            and root.operator in ("=", "IN")
            and root.value is not None
        ):
            plan.related = root
            if root in compiler.read_first:
                plan.known = len(compiler.read_first[root])
            elif root.field.tokenised and len(words := _wanted(root)) == 1:
                plan.known = planner.documents(words)
        return plan

    def _merge_read_first(
        self,
        plan: Plan,
        created: CreatedRange,
        conjuncts: tuple[Node, ...],
        ranges: list[Filter],
        planner: Planner,
        compiler: Compiler,
    ) -> None:
        """A range whose ids are exactly its conversations, AND one related filter read first within
        them (``source.body = "be" AND created_at …``): the ids read are the matches, so they are
        the count; and the page may come from the range's days (each day's first page of those ids,
        read in the day index's order) rather than from looking every match up by id to sort it."""
        others = [item for item in conjuncts if all(item is not bound for bound in ranges)]
        if len(others) != 1 or others[0] not in compiler.read_first:
            return
        ids = compiler.read_first[others[0]]
        plan.known = len(ids)
        merge = created.days * (planner.per_page + 1) * created.inside / max(len(ids), 1)
        if created.days <= planner.MERGE_DAYS and merge < len(ids) * planner.ROW_COST:
            bounds = [compiler.filter(item) for item in ranges]
            plan.where = and_(c.workspace_id == self.workspace_id, *bounds, compiler._id_list(ids, tested=True))
            plan.days, plan.sort = planner.created_days(created), False

    @staticmethod
    def _range_plan(created: CreatedRange, planner: Planner, lone: bool) -> str:
        """How to reach a created_at range's matches, by the index entries each way reads:
        ``walk`` the (updated_at, id) index past the newer conversations until a page is found
        among the range's; ``sort`` every conversation of the range (its index carries updated_at);
        ``merge`` each of its days' first page (a lone range only: other filters would make a day's
        first page unbounded)."""
        k = planner.per_page + 1
        walk = created.newer + k * max(planner.size - created.newer, 1) / max(created.inside, 1)
        sort = created.inside
        merge = created.days * (k + planner.MERGE_SEEK) if lone and created.days <= planner.MERGE_DAYS else math.inf
        if merge < min(walk, sort):
            return "merge"
        return "sort" if sort <= walk else "walk"

    def page(self, plan: Plan, limit: int, after: tuple[Any, ...] | None) -> list[dict[str, Any]]:
        if plan.days is not None:
            return self._merged_page(plan, plan.days, limit, after)
        if plan.branches is not None:
            return self._branches_page(plan.branches, limit, after)
        if plan.sort:
            return self._sorted_page(plan, limit, after)
        query: Select[Any] = select(conversations).where(plan.where)
        if after is not None:
            query = query.where(keyset.after(c.updated_at, c.id, after))
        rows = self.conn.execute(query.order_by(c.updated_at.desc(), c.id.desc()).limit(limit))
        return [row._asdict() for row in rows]

    def _merged_page(
        self, plan: Plan, days: list[int], limit: int, after: tuple[Any, ...] | None
    ) -> list[dict[str, Any]]:
        """The page's keys as the best ``limit`` of each day's best ``limit``: one short read of the
        (workspace_id, created day, updated_at, id) index per day, whatever the day holds. One
        statement whatever the number of days (a bound list): PostgreSQL joins each day LATERAL to
        its first page, SQLite (no LATERAL) runs the page as a correlated IN per day."""
        if not days:
            return []
        if self.dialect == "postgresql":
            listed = (
                func.unnest(bindparam(None, days, type_=ARRAY(BigInteger)))
                .table_valued("value")
                .render_derived(name="days")
            )
        else:
            listed = func.json_each(bindparam(None, orjson.dumps(days).decode())).table_valued("value").alias("days")
        top: Select[Any] = select(c.id, c.updated_at).where(plan.where, listed.c.value == CREATED_DAY)
        if after is not None:
            top = top.where(keyset.after(c.updated_at, c.id, after))
        top = top.order_by(c.updated_at.desc(), c.id.desc()).limit(limit)
        if self.dialect == "postgresql":
            tops = top.lateral("top")
            query = select(tops.c.id).select_from(listed).join(tops, true())
            order = (tops.c.updated_at.desc(), tops.c.id.desc())
        else:
            page = conversations.alias("page")
            query = select(page.c.id).select_from(listed).join(page, page.c.id.in_(top.with_only_columns(c.id)))
            order = (page.c.updated_at.desc(), page.c.id.desc())
        return self._rows(list(self.conn.execute(query.order_by(*order).limit(limit)).scalars()))

    def _branches_page(
        self, branches: list[ColumnElement[bool]], limit: int, after: tuple[Any, ...] | None
    ) -> list[dict[str, Any]]:
        """The best ``limit`` of each branch's best ``limit`` (a conversation in the page is among
        the first ``limit`` of every branch it matches)."""
        tops = []
        for branch in branches:
            top: Select[Any] = select(c.id, c.updated_at).where(branch)
            if after is not None:
                top = top.where(keyset.after(c.updated_at, c.id, after))
            tops.append(top.order_by(c.updated_at.desc(), c.id.desc()).limit(limit).subquery())
        keys = union(*(select(top.c.id, top.c.updated_at) for top in tops)).subquery()
        query = select(keys.c.id).order_by(keys.c.updated_at.desc(), keys.c.id.desc()).limit(limit)
        return self._rows(list(self.conn.execute(query).scalars()))

    def _rows(self, wanted: list[int]) -> list[dict[str, Any]]:
        if not wanted:
            return []
        rows = {row.id: row._asdict() for row in self.conn.execute(select(conversations).where(c.id.in_(wanted)))}
        return [rows[i] for i in wanted]

    def _sorted_page(self, plan: Plan, limit: int, after: tuple[Any, ...] | None) -> list[dict[str, Any]]:
        """The page's keys from the matches' narrow index, sorted, then its rows by id. Ordering on
        ``updated_at + 0`` keeps the database from walking the (updated_at, id) index instead.

        When testing a match costs a probe of another table, the same pass also counts the matches
        (a window count, taken before the cursor's condition: the query's total), which saves
        a second pass of probes for ``total_count``; without probes, a separate count that stops at
        the limit is cheaper than a window."""
        if plan.count_in_page:
            keys = select(c.id, c.updated_at, func.count().over().label("total")).where(plan.where).subquery()
            query: Select[Any] = select(keys.c.id, keys.c.total)
            if after is not None:
                query = query.where(keyset.after(keys.c.updated_at, keys.c.id, after))
            query = query.order_by(keys.c.updated_at.desc(), keys.c.id.desc())
        else:
            query = select(c.id).where(plan.where)
            if after is not None:
                query = query.where(keyset.after(c.updated_at, c.id, after))
            query = query.order_by((c.updated_at + 0).desc(), (c.id + 0).desc())
        page = self.conn.execute(query.limit(limit)).all()
        if not page:
            return []
        if plan.count_in_page:
            plan.total = int(page[0].total)
        return self._rows([row.id for row in page])

    def count(self, plan: Plan, limit: int | None = None) -> int:
        """How many conversations match, exactly up to ``limit`` (None: no limit); beyond it, ``limit``."""
        total = plan.known if plan.known is not None else plan.total
        if total is None:
            total = self._count(plan, limit)
        return total if limit is None else min(total, limit)

    def _count(self, plan: Plan, limit: int | None) -> int:
        if plan.related is not None:
            table, value, _ = _related_table(plan.related.field)
            wanted = _wanted(plan.related)
            scope = table.c.workspace_id == self.workspace_id
            if limit is not None and len(wanted) > 1:
                # Past the limit as soon as one value is: no distinct ids to gather from the others.
                planner = Planner(self.conn, self.workspace_id, 1)
                if planner.over([select(table.c.conversation_id).where(scope, value == one) for one in wanted], limit):
                    return limit + 1
            matches: Select[Any] = select(table.c.conversation_id).where(scope, value.in_(wanted))
            if len(wanted) > 1:
                matches = matches.distinct()  # a conversation carrying two of the values counts once
        elif plan.branches is not None:
            # Each branch from its own index; UNION: a conversation in two branches counts once.
            matches = union(*(select(c.id).where(branch) for branch in plan.branches))  # type: ignore[assignment]
        else:
            matches = select(literal_column("1")).select_from(conversations).where(plan.where)
        if limit is not None:
            matches = matches.limit(limit + 1)
        return int(self.conn.execute(select(func.count()).select_from(matches.subquery())).scalar_one())


def _inbox_branches(root: Node) -> list[list[Node]] | None:
    """The branches of the AND's one OR, each with the AND's other filters, when every branch is an
    inbox (a state and an admin or team assignee, each ``=`` one value): None otherwise."""
    conjuncts = _conjuncts(root)
    ors = [item for item in conjuncts if isinstance(item, Group) and item.operator == "OR"]
    if len(ors) != 1 or not 1 < len(ors[0].children) <= 4:
        return None
    common = [item for item in conjuncts if item is not ors[0]]
    branches = [[*common, *_conjuncts(child)] for child in ors[0].children]

    def equal(items: list[Node], *names: str) -> bool:
        return any(
            isinstance(item, Filter) and item.field.name in names and item.operator == "=" and item.value is not None
            for item in items
        )

    if all(equal(branch, "state") and equal(branch, "admin_assignee_id", "team_assignee_id") for branch in branches):
        return branches
    return None


def _first_column(conn: Connection, query: Select[Any]) -> list[Any]:
    """The first column of ``query``'s rows, fetched by the driver in one call: SQLAlchemy's row
    objects cost about a microsecond each, a third of the time of a 3,000-id read at 1M."""
    result = conn.execute(query)
    try:
        return [row[0] for row in result.cursor.fetchall()]
    finally:
        result.close()


def _day_bounds(created: CreatedRange | None) -> list[ColumnElement[bool]]:
    """What a created_at range at the top of a query implies of the created day: the day index
    (tables.CREATED_DAY) is the one index that reads a range (migration 0005)."""
    if created is None:
        return []
    first, last = created.day_bounds
    return [
        *([CREATED_DAY >= first] if first is not None else []),  # noqa: SIM300
        *([CREATED_DAY <= last] if last is not None else []),  # noqa: SIM300
    ]


def _created_ranges(conjuncts: tuple[Node, ...]) -> list[Filter]:
    """The created_at comparisons among an AND's filters."""
    return [
        item
        for item in conjuncts
        if isinstance(item, Filter)
        and item.field.name == "created_at"
        and item.operator in ("=", ">", ">=", "<", "<=")
        and isinstance(item.value, int)
    ]


def _range_bounds(ranges: list[Filter]) -> tuple[int | None, int | None]:
    """The first and last second that every one of ``ranges`` accepts (None: unbounded)."""
    lo: int | None = None
    hi: int | None = None
    for item in ranges:
        assert isinstance(item.value, int)
        v = item.value
        low = {">": v + 1, ">=": v, "=": v}.get(item.operator)
        high = {"<": v - 1, "<=": v, "=": v}.get(item.operator)
        if low is not None:
            lo = low if lo is None else max(lo, low)
        if high is not None:
            hi = high if hi is None else min(hi, high)
    return lo, hi


def _related_table(field: Field) -> tuple[Any, KeyedColumnElement[Any], bool]:
    """The table of a multi-valued or tokenised field, its value column, and whether values are integers."""
    if field.tokenised:
        return conversation_tokens, conversation_tokens.c.token, False
    return _MULTI[field.name]


def _wanted(item: Filter) -> tuple[Any, ...]:
    """The values of an ``=``/``IN`` filter on a related field, as its value column holds them."""
    given = item.value if isinstance(item.value, tuple) else (item.value,)
    if item.field.tokenised:
        return tuple(dict.fromkeys(str(w)[:MAX_TOKEN_LENGTH] for w in given))
    if _related_table(item.field)[2]:
        return tuple(_integer_ids(item.value))
    return given
