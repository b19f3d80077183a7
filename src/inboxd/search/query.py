"""The body of ``POST /conversations/search`` parsed into a typed, validated tree.

The body is ``{"query": …, "pagination": {"per_page": n, "starting_after": "…"}}``; the cursor
travels in the body, never in the query string. A query is a filter
``{"field", "operator", "value"}`` or a group ``{"operator": "AND" | "OR", "value": [ … ]}``.
Other keys (``sort`` included: the 2.10 spec has none for conversations) are ignored, as Intercom
ignores unknown fields.

**Nesting.** The spec allows "max 2 nested filters"; its example ``(1 OR 2) AND (3 OR 4)`` is the
deepest query it shows, and inboxd counts its levels as the spec's limit does, **the root group
included**: the root group is level 1, a group inside it level 2, the deepest allowed::

    {"operator": "AND", "value": [                  # level 1: the root group
      {"operator": "OR", "value": [                 # level 2: the deepest allowed
        {"field": "state", "operator": "=", "value": "open"},
        {"field": "state", "operator": "=", "value": "snoozed"}]}]}

A group inside a level-2 group is refused: "query nests groups 3 levels deep; at most 2 are allowed
(the root group counts as one)", its ``field`` the path of that group. Filters may sit at either
level. A group holds 1 to 15 children (filters and groups alike), so a query holds at most
15 × 15 = 225 filters.

**Values.** :class:`Filter` carries the value already normalised, so a compiler only reads it:

* Integer and Date fields take integers (not booleans, not floats) in the signed 64-bit range. A
  string of ASCII digits is read as its integer, because the spec's own example sends
  ``"value": "1306054154"`` for ``created_at``; ``"foobar"`` is refused. Dates are UNIX seconds
  and ``=`` means that exact second.
* String fields take strings; those marked ``numeric_id`` in the field table also take an integer,
  carried as its decimal string. Values of ``~ !~ ^ $``, and every value on a tokenised field
  (``source.body``), are carried folded (:func:`inboxd.search.tokens.fold`) because those
  comparisons ignore case. Strings may not contain NUL or lone surrogates (no database stores them).
* Boolean fields take ``true`` and ``false`` only (not ``"true"``, not 1), as everywhere in inboxd.
* ``null`` is allowed with ``=`` ("is null") and ``!=`` ("is not null") only, and never inside an
  IN/NIN array.
* ``IN`` and ``NIN`` take a non-empty array of values of the field's type (carried as a tuple);
  every other operator takes a single value.
* Guards of inboxd's own (Intercom documents none) keep a query within what both databases bind:
  at most :data:`MAX_LIST_VALUES` values in one IN/NIN array, :data:`MAX_QUERY_VALUES` in a query.

Every refusal is a :class:`ParameterInvalid` (:class:`ParameterNotFound` when ``query``, ``field``,
``operator`` or ``value`` is missing) whose ``field`` is the JSON path of the offending part, e.g.
``query.value.1.operator``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from math import isfinite
from typing import Any, Final, Literal, TypeAlias

from inboxd.domain.errors import ParameterInvalid, ParameterNotFound
from inboxd.search.fields import ALL_OPERATORS, CASE_INSENSITIVE, EQUALITY, LIST, OPERATORS, Field, FieldType, lookup
from inboxd.search.tokens import fold

# Levels of AND/OR groups, the root group counted as level 1 (module docstring).
MAX_LEVELS: Final = 2
MAX_CHILDREN: Final = 15
DEFAULT_PER_PAGE: Final = 20
MAX_PER_PAGE: Final = 150
MAX_LIST_VALUES: Final = 1_000
MAX_QUERY_VALUES: Final = 10_000
# total_count is exact up to this many matches and says this many beyond (docs/search.md);
# `inboxd serve --search-count-limit` changes it, 0 makes every count exact.
DEFAULT_COUNT_LIMIT: Final = 10_000
# Seconds a search may run before it is ended with a 504 (docs/search.md); `inboxd serve
# --search-timeout` changes it, 0 lets every search run to its end.
DEFAULT_TIMEOUT: Final = 5.0

Item: TypeAlias = str | int | float | bool
Value: TypeAlias = Item | tuple[Item, ...] | None


@dataclass(frozen=True)
class Filter:
    field: Field
    operator: str
    value: Value


@dataclass(frozen=True)
class Group:
    operator: Literal["AND", "OR"]
    children: tuple[Node, ...]


Node: TypeAlias = Filter | Group


@dataclass(frozen=True)
class Query:
    """``root`` is None only for a query built in code meaning "every conversation":
    :func:`parse` always returns a root, since the spec requires ``query``."""

    root: Node | None
    per_page: int = DEFAULT_PER_PAGE
    starting_after: str | None = None


def parse(body: object) -> Query:
    if not isinstance(body, dict):
        raise ParameterInvalid("the request body must be a JSON object")
    if body.get("query") is None:
        raise ParameterNotFound("query is a required parameter", field="query")
    root = _Parser().node(body["query"], "query", 1)
    per_page, starting_after = _pagination(body.get("pagination"))
    return Query(root, per_page, starting_after)


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_DIGITS = re.compile(r"-?[0-9]{1,19}")


class _Parser:
    def __init__(self) -> None:
        self.values = 0  # counted against MAX_QUERY_VALUES

    def node(self, raw: object, path: str, level: int) -> Node:
        """``level``: the level ``raw`` is at if it is a group (the root group's is 1)."""
        if not isinstance(raw, dict):
            raise ParameterInvalid(
                f"{path} must be an object: a filter {{field, operator, value}} or an AND/OR group", field=path
            )
        operator = raw.get("operator")
        if raw.get("field") is None:
            if operator in ("AND", "OR"):
                return self.group(raw, path, level)
            if isinstance(operator, str) and operator.upper() in ("AND", "OR"):
                raise ParameterInvalid(
                    f"{path}.operator must be 'AND' or 'OR' in capitals, got {operator!r}", field=f"{path}.operator"
                )
            if operator is None and isinstance(raw.get("value"), list):
                # {"value": [ … ]} is a group that lost its operator rather than a filter without a field.
                raise ParameterNotFound(f"{path}.operator is a required parameter", field=f"{path}.operator")
        return self.filter(raw, path)

    def group(self, raw: dict[str, Any], path: str, level: int) -> Group:
        if level > MAX_LEVELS:
            raise ParameterInvalid(
                f"query nests groups {level} levels deep; at most {MAX_LEVELS} are allowed"
                " (the root group counts as one)",
                field=path,
            )
        children = raw.get("value")
        if children is None:
            raise ParameterNotFound(f"{path}.value is a required parameter", field=f"{path}.value")
        if not isinstance(children, list):
            raise ParameterInvalid(
                f"{path}.value must be an array of filters, got {_show(children)}", field=f"{path}.value"
            )
        if not children:
            raise ParameterInvalid(
                f"{path}.value is empty; an AND/OR group needs at least 1 filter", field=f"{path}.value"
            )
        if len(children) > MAX_CHILDREN:
            raise ParameterInvalid(
                f"{path}.value has {len(children)} filters; at most {MAX_CHILDREN} are allowed per AND/OR group",
                field=f"{path}.value",
            )
        operator: Literal["AND", "OR"] = "AND" if raw["operator"] == "AND" else "OR"
        return Group(
            operator, tuple(self.node(child, f"{path}.value.{i}", level + 1) for i, child in enumerate(children))
        )

    def filter(self, raw: dict[str, Any], path: str) -> Filter:
        for key in ("field", "operator"):
            if raw.get(key) is None:
                raise ParameterNotFound(f"{path}.{key} is a required parameter", field=f"{path}.{key}")
        if "value" not in raw:  # null is a value here: "is null"
            raise ParameterNotFound(f"{path}.value is a required parameter", field=f"{path}.value")
        name, operator, value = raw["field"], raw["operator"], raw["value"]
        if not isinstance(name, str):
            raise ParameterInvalid(f"{path}.field must be a string, got {_show(name)}", field=f"{path}.field")
        field = lookup(name, value, path=f"{path}.field")
        if operator not in ALL_OPERATORS:
            raise ParameterInvalid(
                f"unknown operator {_show(operator)}; use one of {', '.join(ALL_OPERATORS)}", field=f"{path}.operator"
            )
        if operator not in OPERATORS[field.type]:
            raise ParameterInvalid(
                f"operator {operator!r} cannot be used on {name} ({field.type.label})", field=f"{path}.operator"
            )
        at = f"{path}.value"
        if operator in LIST:
            if not isinstance(value, list) or not value:
                raise ParameterInvalid(
                    f"{name}: operator {operator} needs a non-empty array, got {_show(value)}", field=at
                )
            if len(value) > MAX_LIST_VALUES:
                raise ParameterInvalid(f"{at} has {len(value)} values; at most {MAX_LIST_VALUES} are allowed", field=at)
            self.count(len(value), at)
            return Filter(
                field, operator, tuple(_item(field, name, operator, v, f"{at}.{i}") for i, v in enumerate(value))
            )
        if isinstance(value, list):
            raise ParameterInvalid(
                f"operator {operator!r} needs a single value, not an array (IN and NIN take arrays)", field=at
            )
        if value is None:
            if operator not in EQUALITY:
                raise ParameterInvalid(
                    f"null can only be used with = (is null) and != (is not null), not {operator!r}", field=at
                )
            return Filter(field, operator, None)
        self.count(1, at)
        return Filter(field, operator, _item(field, name, operator, value, at))

    def count(self, n: int, path: str) -> None:
        self.values += n
        if self.values > MAX_QUERY_VALUES:
            raise ParameterInvalid(f"query has more than {MAX_QUERY_VALUES} values", field=path)


def _item(field: Field, name: str, operator: str, value: object, path: str) -> Item:
    """One value (a whole single value, or one element of an IN/NIN array), checked against the
    field's type and normalised (module doc)."""
    if value is None:
        raise ParameterInvalid(f"{operator} values cannot be null; use = null or != null", field=path)
    kind = field.type
    if kind in (FieldType.INTEGER, FieldType.DATE):
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and _DIGITS.fullmatch(value):
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
            number = _INT64_MAX + 1  # too many digits to be in range
        if number is None:
            wanted = "a UNIX timestamp (integer)" if kind is FieldType.DATE else "an integer"
            raise ParameterInvalid(f"{name} needs {wanted}, got {_show(value)}", field=path)
        return _in_range(number, name, path)
    if kind is FieldType.NUMBER:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not isfinite(value))
        ):
            raise ParameterInvalid(f"{name} needs a number, got {_show(value)}", field=path)
        return _in_range(value, name, path) if isinstance(value, int) else value
    if kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise ParameterInvalid(f"{name} needs a boolean (true or false), got {_show(value)}", field=path)
        return value
    if field.numeric_id and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        wanted = "a string or an integer id" if field.numeric_id else "a string"
        raise ParameterInvalid(f"{name} needs {wanted}, got {_show(value)}", field=path)
    if "\x00" in value or not _encodable(value):
        raise ParameterInvalid(f"{name} needs text without NUL characters or lone surrogates", field=path)
    return fold(value) if field.tokenised or operator in CASE_INSENSITIVE else value


def _in_range(number: int, name: str, path: str) -> int:
    if not _INT64_MIN <= number <= _INT64_MAX:
        raise ParameterInvalid(f"{name} needs an integer that fits in 64 bits, got {_show(number)}", field=path)
    return number


def _pagination(raw: object) -> tuple[int, str | None]:
    if raw is None:
        return DEFAULT_PER_PAGE, None
    if not isinstance(raw, dict):
        raise ParameterInvalid(f"pagination must be an object, got {_show(raw)}", field="pagination")
    per_page = raw.get("per_page")
    if per_page is None:
        per_page = DEFAULT_PER_PAGE
    elif isinstance(per_page, bool) or not isinstance(per_page, int):
        raise ParameterInvalid("pagination.per_page must be an integer", field="pagination.per_page")
    elif not 1 <= per_page <= MAX_PER_PAGE:
        raise ParameterInvalid(f"pagination.per_page must be between 1 and {MAX_PER_PAGE}", field="pagination.per_page")
    cursor = raw.get("starting_after")
    if cursor is not None and (not isinstance(cursor, str) or "\x00" in cursor or not _encodable(cursor)):
        raise ParameterInvalid("pagination.starting_after must be a cursor string", field="pagination.starting_after")
    # An empty cursor is the first page, as no cursor is.
    return per_page, cursor or None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _show(value: object) -> str:
    """A value as an error message quotes it: strings in quotes, JSON otherwise, cut short."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "an integer of more than 64 bits"
    shown = repr(value) if isinstance(value, str) else json.dumps(value, default=repr)
    return shown if len(shown) <= 60 else shown[:57] + "…"
