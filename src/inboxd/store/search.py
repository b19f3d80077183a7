"""Conversation search: the typed tree of inboxd.search compiled to SQLAlchemy Core, run on indexes.

Each field of ``search/fields.py`` maps to one SQL expression in :func:`_target` (a column, a JSON
member, a scalar subquery, or a related table for the multi-valued and tokenised fields); each
operator then has one meaning for every field, the one the module docstring of ``search/fields.py``
states (negations are exact complements and match null, range and text operators never do).

Plans. Results come newest-updated first, ``(updated_at, id)`` descending, the order of
``GET /conversations``. A body word is the one filter whose best plan depends on the data
(perf-anchors §4, observation 8): for a common word, walking the ``(workspace_id, updated_at, id)``
index and probing the token index per row finds a page in a few rows; for a rare word, reading the
word's conversations from the token index and sorting them is cheaper. :class:`Planner` picks per
word from ``token_stats``: the word's conversations are read first when there are fewer of them
than ``sqrt((per_page + 1) × conversations)``, where both plans touch about the same number of rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import KeyedColumnElement

from inboxd.search.fields import NEGATIONS, Field, FieldType
from inboxd.search.query import Filter, Group, Node, Value
from inboxd.store.search_index import SearchIndex
from inboxd.store.tables import (
    MAX_TOKEN_LENGTH,
    admins,
    contacts,
    conversation_contacts,
    conversation_tags,
    conversation_teammates,
    conversation_tokens,
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
    return getattr(column[key], _JSON_TYPES[field_type])()  # type: ignore[no-any-return]


def _author_attribute(name: str) -> ColumnElement[Any]:
    """The source author's name or email, from whichever table holds the author."""
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
    return case((c.source_author_type.in_(("admin", "bot")), admin_value), else_=contact_value)


def _integer_ids(value: Value) -> list[int]:
    """The values that can be ids of an integer column; other strings can match no row."""
    values = value if isinstance(value, tuple) else (value,)
    return [int(v) for v in values if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 18]


@dataclass
class Planner:
    """What the compiler needs to know about the data: how common each body word is."""

    index: SearchIndex
    per_page: int
    total: Callable[[], int]
    _total: int | None = None

    def word_first(self, word: str) -> bool:
        if self._total is None:
            self._total = self.total()
        documents = self.index.documents(word)
        return documents <= math.sqrt((self.per_page + 1) * max(self._total, 1))


class Compiler:
    def __init__(self, workspace_id: int, planner: Planner, dialect: str) -> None:
        self.workspace_id = workspace_id
        self.planner = planner
        self.dialect = dialect

    def node(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, Group):
            parts = [self.node(child) for child in node.children]
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
            return _author_attribute(name.rsplit(".", 1)[1])
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
            return func.json_type(column, f'$."{key}"')
        return func.json_typeof(column.op("->")(key))

    def _typed_json(self, column: Any, key: str, field_type: FieldType) -> ColumnElement[Any]:
        """A JSON member as a value of ``field_type``, or null when the stored value has another JSON
        type (a custom attribute stored as "5" is no Integer 5, and 5.5 is no Integer)."""
        kind = self._json_kind(column, key)
        if self.dialect == "sqlite":
            allowed = {
                FieldType.STRING: ("text",),
                FieldType.INTEGER: ("integer",),
                FieldType.DATE: ("integer",),
                FieldType.NUMBER: ("integer", "real"),
                FieldType.BOOLEAN: ("true", "false"),
            }[field_type]
            guard: ColumnElement[bool] = kind.in_(allowed)
        else:
            guard = (
                kind
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
        """EXISTS a related row (contact, teammate, tag or body word) matching ``item`` (any row when None)."""
        if field.tokenised:
            table, value, numeric = conversation_tokens, conversation_tokens.c.token, False
        else:
            table, value, numeric = _MULTI[field.name]
        owner = table.c.conversation_id == c.id
        scope = table.c.workspace_id == self.workspace_id
        if item is None:
            return exists().where(scope, owner)
        if numeric and item.operator in ("=", "IN"):
            numbers = _integer_ids(item.value)
            return exists().where(scope, owner, value.in_(numbers)) if numbers else false()
        if field.name == "contact_ids" and item.operator in ("=", "IN"):
            # A contact takes part in few conversations: start from the contact's index entries
            # rather than walk the workspace's conversations probing each (tests/search/test_plans.py).
            wanted = item.value if isinstance(item.value, tuple) else (item.value,)
            return c.id.in_(select(table.c.conversation_id).where(scope, value.in_(wanted)))
        target: ColumnElement[Any] = cast(value, String) if numeric else value
        if field.tokenised and item.operator in ("=", "IN"):
            given = item.value if isinstance(item.value, tuple) else (item.value,)
            words = tuple(str(w)[:MAX_TOKEN_LENGTH] for w in given)
            condition = value.in_(words)
            if len(words) == 1 and self.planner.word_first(words[0]):
                # A rare word: read its conversations from the token index first (module docstring).
                return c.id.in_(select(table.c.conversation_id).where(scope, condition))
            return exists().where(scope, owner, condition)
        return exists().where(scope, owner, _compare(target, item, self.dialect, folded=field.tokenised))


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


class Search:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id
        self.index = SearchIndex(conn, workspace_id)

    def _count_all(self) -> int:
        return int(
            self.conn.execute(
                select(func.count()).select_from(conversations).where(c.workspace_id == self.workspace_id)
            ).scalar_one()
        )

    def where(self, root: Node | None, per_page: int) -> ColumnElement[bool]:
        planner = Planner(self.index, per_page, self._count_all)
        condition = Compiler(self.workspace_id, planner, self.conn.dialect.name).node(root) if root else true()
        return and_(c.workspace_id == self.workspace_id, condition)

    def page(self, condition: ColumnElement[bool], limit: int, after: tuple[Any, ...] | None) -> list[dict[str, Any]]:
        query: Select[Any] = select(conversations).where(condition)
        if after is not None:
            updated_at, conversation_id = after
            query = query.where(
                or_(c.updated_at < updated_at, and_(c.updated_at == updated_at, c.id < conversation_id))
            )
        rows = self.conn.execute(query.order_by(c.updated_at.desc(), c.id.desc()).limit(limit))
        return [row._asdict() for row in rows]

    def count(self, condition: ColumnElement[bool]) -> int:
        return int(self.conn.execute(select(func.count()).select_from(conversations).where(condition)).scalar_one())
