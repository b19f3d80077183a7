"""The typed tree of a search compiled to SQLAlchemy Core expressions with bound parameters, one
rule per field kind (search/fields.py is the table)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
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
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.types import BigInteger

from inboxd.search.fields import NEGATIONS, Field, FieldType
from inboxd.search.query import Filter, Group, Item, Node, Value
from inboxd.store.search.planner import Planner
from inboxd.store.search.targets import (
    _COLUMNS,
    _INTEGER_IDS,
    _MULTI,
    SourceAuthor,
    _integer_ids,
    _json_member,
    _sqlite_member,
    c,
    first_column,
)
from inboxd.store.tables import (
    MAX_TOKEN_LENGTH,
    conversation_tokens,
)


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
                few: list[int] | None = sorted(set(first_column(self.planner.conn, ids_query)))
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
