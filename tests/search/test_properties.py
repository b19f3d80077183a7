"""Properties of parse() over generated queries: every valid tree, serialised to JSON, parses back
to itself; every invalid mutation of one, and any JSON at all, is refused with ParameterInvalid or
ParameterNotFound and never with another exception."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inboxd.domain.errors import ParameterInvalid, ParameterNotFound
from inboxd.search import fields
from inboxd.search.fields import ALIASES, BY_NAME, FIELDS, Field, FieldType, lookup
from inboxd.search.query import MAX_CHILDREN, MAX_LEVELS, MAX_PER_PAGE, Filter, Group, Node, Query, parse
from inboxd.search.tokens import fold

# No example database: failures are reproduced from the printed example. Trees are slow to
# generate, so those properties take fewer examples than the cheap fuzz does.
SETTINGS = settings(
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REFUSALS = (ParameterInvalid, ParameterNotFound)

TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
INT64 = st.integers(-(2**63), 2**63 - 1)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def wire(body):
    """What the server sees: the body after a trip through JSON."""
    return json.loads(json.dumps(body))


# -- valid trees, as (JSON, expected node) pairs ---------------------------------------------------


def items(field, operator):
    """(JSON value, normalised value) pairs for one element of the field's type."""
    if field.type is FieldType.STRING:
        folded = field.tokenised or operator in fields.CASE_INSENSITIVE
        strings = TEXT.map(lambda t: (t, fold(t) if folded else t))
        numbers = st.integers(0, 10**15).map(lambda n: (n, str(n)))
        # A custom String attribute is typed by its first value, so it takes strings only.
        return strings | numbers if field.numeric_id else strings
    if field.type in (FieldType.INTEGER, FieldType.DATE):
        if field.custom_attribute is not None:
            return INT64.map(lambda n: (n, n))
        return INT64.map(lambda n: (n, n)) | INT64.map(lambda n: (str(n), n))
    if field.type is FieldType.NUMBER:
        return FLOATS.map(lambda x: (x, x))
    return st.booleans().map(lambda b: (b, b))


CUSTOM = st.builds(
    lambda name, kind: Field(fields.CUSTOM_PREFIX + name, kind),
    st.text(st.characters(categories=["L", "N", "P"], include_characters=" "), min_size=1, max_size=10),
    st.sampled_from([FieldType.STRING, FieldType.INTEGER, FieldType.NUMBER, FieldType.BOOLEAN]),
)
# (the name a client writes, the field it means)
NAMED_FIELDS = (
    st.sampled_from([(field.name, field) for field in FIELDS])
    | st.sampled_from([(alias, BY_NAME[name]) for alias, name in ALIASES.items()])
    | CUSTOM.map(lambda field: (field.name, field))
)


@st.composite
def filters(draw):
    name, field = draw(NAMED_FIELDS)
    operator = draw(st.sampled_from(sorted(fields.OPERATORS[field.type])))
    if operator in fields.LIST:
        pairs = draw(st.lists(items(field, operator), min_size=1, max_size=5))
        raw, value = [raw for raw, _ in pairs], tuple(value for _, value in pairs)
    elif operator in fields.EQUALITY and draw(st.integers(0, 9)) == 0:
        raw = value = None
        if field.custom_attribute is not None:
            field = Field(field.name, FieldType.STRING)  # nothing to type it by
    else:
        raw, value = draw(items(field, operator))
    return {"field": name, "operator": operator, "value": raw}, Filter(field, operator, value)


def nodes(level):
    """A filter, or a group when a group may sit at ``level`` (the root group's is 1)."""
    if level > MAX_LEVELS:
        return filters()
    return filters() | groups(level)


def groups(level):
    def build(operator, children):
        return {"operator": operator, "value": [raw for raw, _ in children]}, Group(
            operator, tuple(node for _, node in children)
        )

    # Full groups at the root; smaller ones below keep a tree (up to 15 × 5 filters) quick to generate.
    children = st.lists(nodes(level + 1), min_size=1, max_size=MAX_CHILDREN if level == 1 else 5)
    return st.builds(build, st.sampled_from(["AND", "OR"]), children)


CURSORS = st.none() | st.just("") | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1)
PAGINATIONS = st.none() | st.fixed_dictionaries(
    {}, optional={"per_page": st.integers(1, MAX_PER_PAGE), "starting_after": CURSORS}
)


@st.composite
def bodies(draw):
    raw, root = draw(nodes(1))
    body = {"query": raw}
    pagination = draw(PAGINATIONS)
    if pagination is not None:
        body["pagination"] = pagination
    per_page = (pagination or {}).get("per_page", 20)
    return body, Query(root, per_page, (pagination or {}).get("starting_after") or None)


@SETTINGS
@given(bodies())
def test_valid_trees_round_trip(case):
    body, expected = case
    assert parse(wire(body)) == expected


# -- invalid mutations ----------------------------------------------------------------------------


def locations(raw, path=()):
    """Every node of a JSON query as (path of indices, node)."""
    yield path, raw
    if "field" not in raw:
        for i, child in enumerate(raw["value"]):
            yield from locations(child, (*path, i))


def at(root, path):
    for i in path:
        root = root["value"][i]
    return root


def mutate_filter(node, kind, data):
    name, operator = node["field"], node["operator"]
    if kind == "drop":
        del node[data.draw(st.sampled_from(["field", "operator", "value"]))]
    elif kind == "unknown field":
        node["field"] = "nope." + data.draw(TEXT)
    elif kind == "unknown operator":
        node["operator"] = data.draw(st.sampled_from(["LIKE", "==", "in", "nin", "AND", "OR", "", "<>", "=~", 1, []]))
    elif kind == "operator of another type":
        field = lookup(name, node["value"])
        node["operator"] = data.draw(st.sampled_from(sorted(set(fields.ALL_OPERATORS) - fields.OPERATORS[field.type])))
    elif kind == "object value":
        node["value"] = {"value": node["value"]}
    elif kind == "array shape":
        node["value"] = [] if operator in fields.LIST else [node["value"]]
    elif kind == "null inside IN":
        node["operator"], node["value"] = "IN", [None]
    elif kind == "wrong scalar":
        field = lookup(name, node["value"])
        bad = {
            FieldType.STRING: 1.5,
            FieldType.INTEGER: "foobar",
            FieldType.DATE: 1.5,
            FieldType.NUMBER: "1.5",
            FieldType.BOOLEAN: "true",
        }[field.type]
        if field.custom_attribute is not None:
            bad = {"typed": "by the value, a custom attribute is a String field that gets an object"}
        node["value"] = [bad] if operator in fields.LIST else bad


def mutate_group(node, kind, data):
    if kind == "bad group operator":
        node["operator"] = data.draw(st.sampled_from(["XOR", "and", "or", "Or", "", "NOT", None, 5]))
    elif kind == "empty group":
        node["value"] = []
    elif kind == "group value not an array":
        node["value"] = data.draw(st.sampled_from(["x", 5, {"field": "id", "operator": "=", "value": 1}, True]))
    elif kind == "overfull group":
        node["value"] = (node["value"] * (MAX_CHILDREN + 1))[: data.draw(st.integers(MAX_CHILDREN + 1, 40))]
    elif kind == "child not an object":
        node["value"][data.draw(st.integers(0, len(node["value"]) - 1))] = data.draw(
            st.sampled_from(["x", 5, None, [], True])
        )


FILTER_MUTATIONS = [
    "drop",
    "unknown field",
    "unknown operator",
    "operator of another type",
    "object value",
    "array shape",
    "null inside IN",
    "wrong scalar",
]
GROUP_MUTATIONS = [
    "bad group operator",
    "empty group",
    "group value not an array",
    "overfull group",
    "child not an object",
]
BAD_PAGINATIONS = [
    *("x", [], 5),
    *({"per_page": 0}, {"per_page": 151}, {"per_page": "5"}, {"per_page": True}, {"per_page": 2.0}),
    *({"starting_after": 5}, {"starting_after": {}}),
]
BODY_MUTATIONS = ["too deep", "bad pagination", "bad body"]


@SETTINGS
@given(bodies(), st.data())
def test_invalid_mutations_are_refused(case, data):
    body = copy.deepcopy(case[0])
    path, node = data.draw(st.sampled_from(list(locations(body["query"]))))
    kinds = (FILTER_MUTATIONS if "field" in node else GROUP_MUTATIONS) + BODY_MUTATIONS
    kind = data.draw(st.sampled_from(kinds))
    if kind == "too deep":
        # Wrapped in as many groups as the limit allows, a query that is a lone filter would pass.
        for level in range(MAX_LEVELS + 1):
            body["query"] = {"operator": ("AND", "OR")[level % 2], "value": [body["query"]]}
    elif kind == "bad pagination":
        body["pagination"] = data.draw(st.sampled_from(BAD_PAGINATIONS))
    elif kind == "bad body":
        body = data.draw(st.sampled_from([[], "x", None, 5, {}, {"query": None}, {"pagination": {}}, [body]]))
    elif "field" in node:
        mutate_filter(at(body["query"], path), kind, data)
    else:
        mutate_group(at(body["query"], path), kind, data)
    with pytest.raises(REFUSALS):
        parse(wire(body))


# -- anything at all ------------------------------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=20
)
NAMES = st.sampled_from([field.name for field in FIELDS] + ["custom_attributes.x", "nope"])
OPERATOR_NAMES = st.sampled_from([*fields.ALL_OPERATORS, "AND", "OR", "and"])
# Objects shaped like the query language, with any JSON where its values go.
LIKELY = st.recursive(
    st.fixed_dictionaries({}, optional={"field": NAMES | JSON, "operator": OPERATOR_NAMES | JSON, "value": JSON}),
    lambda inner: st.fixed_dictionaries(
        {"operator": OPERATOR_NAMES}, optional={"value": st.lists(inner, max_size=17) | JSON}
    ),
    max_leaves=40,
)


def well_formed(node: Node, level: int = 1) -> None:
    if isinstance(node, Group):
        assert node.operator in ("AND", "OR") and 1 <= len(node.children) <= MAX_CHILDREN and level <= MAX_LEVELS
        for child in node.children:
            well_formed(child, level + 1)
    else:
        assert node.operator in fields.OPERATORS[node.field.type]
        assert (node.value is None) <= (node.operator in fields.EQUALITY)
        assert isinstance(node.value, tuple) == (node.operator in fields.LIST)


@settings(SETTINGS, max_examples=500)
@given(JSON | st.fixed_dictionaries({"query": LIKELY | JSON}, optional={"pagination": JSON}))
def test_any_json_is_parsed_or_refused_with_an_intercom_error(body):
    try:
        query = parse(body)
    except REFUSALS:
        return
    assert query.root is not None and 1 <= query.per_page <= MAX_PER_PAGE
    well_formed(query.root)
