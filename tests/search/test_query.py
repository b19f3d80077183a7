"""parse(): the body of POST /conversations/search into a tree, table by table."""

from __future__ import annotations

import pytest

from inboxd.domain.errors import ParameterInvalid, ParameterNotFound
from inboxd.search import query as q
from inboxd.search.fields import BY_NAME, FIELDS, Field, FieldType
from inboxd.search.query import Filter, Group, Query, parse
from tests.spec import spec

# The operators each type accepts, written out here rather than read from fields.OPERATORS.
STRING_OPS = {"=", "!=", "IN", "NIN", "~", "!~", "^", "$"}
NUMBER_OPS = {"=", "!=", "IN", "NIN", ">", ">=", "<", "<="}
ACCEPTS = {
    FieldType.STRING: STRING_OPS,
    FieldType.INTEGER: NUMBER_OPS,
    FieldType.DATE: NUMBER_OPS,
    FieldType.BOOLEAN: {"=", "!=", "IN", "NIN"},
}
GOOD = {FieldType.STRING: "abc", FieldType.INTEGER: 5, FieldType.DATE: 1_700_000_000, FieldType.BOOLEAN: True}
OPERATORS = ["=", "!=", "IN", "NIN", ">", ">=", "<", "<=", "~", "!~", "^", "$"]


def one(field, operator, value):
    return {"query": {"field": field, "operator": operator, "value": value}}


def parsed(field, operator, value):
    root = parse(one(field, operator, value)).root
    assert isinstance(root, Filter)
    return root


def refused(body, error=ParameterInvalid):
    with pytest.raises(error) as raised:
        parse(body)
    assert type(raised.value) is error
    return raised.value


# -- every field × every operator ------------------------------------------------------------------


@pytest.mark.parametrize("operator", OPERATORS)
@pytest.mark.parametrize("field", FIELDS, ids=lambda field: field.name)
def test_operators_by_field(field, operator):
    value = GOOD[field.type]
    body = one(field.name, operator, [value] if operator in ("IN", "NIN") else value)
    if operator in ACCEPTS[field.type]:
        assert parse(body).root == Filter(field, operator, (value,) if operator in ("IN", "NIN") else value)
    else:
        error = refused(body)
        assert error.message == f"operator {operator!r} cannot be used on {field.name} ({field.type.label})"
        assert error.field == "query.operator"


# -- values by type ----------------------------------------------------------------------------------

BAD = {
    FieldType.STRING: [True, 1.5, {"a": 1}, "a\x00b", "\ud800"],
    FieldType.INTEGER: [
        "foobar",
        "",
        " 5",
        "5 ",
        "1.5",
        "+5",
        "0x10",
        "٣",
        True,
        False,
        1.5,
        5.0,
        {},
        2**63,
        -(2**63) - 1,
    ],
    FieldType.DATE: ["foobar", "2024-01-01", "1e9", True, 1.5, 1_700_000_000.0, {}, 2**63, "9" * 20, "9" * 5000],
    FieldType.BOOLEAN: ["true", "false", 1, 0, "", {}],
}


@pytest.mark.parametrize(
    ("field", "value"),
    [(field, value) for field in FIELDS for value in BAD[field.type]]
    + [(field, 7) for field in FIELDS if field.type is FieldType.STRING and not field.numeric_id],
    ids=lambda x: x.name if isinstance(x, Field) else repr(x)[:20],
)
def test_values_of_the_wrong_type_are_refused(field, value):
    error = refused(one(field.name, "=", value))
    assert error.field == "query.value" and error.message.startswith(f"{field.name} needs ")
    error = refused(one(field.name, "NIN", [GOOD[field.type], value]))
    assert error.field == "query.value.1" and error.message.startswith(f"{field.name} needs ")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("created_at", 1_700_000_000, 1_700_000_000),
        ("created_at", "1306054154", 1_306_054_154),  # the spec's own example sends a string
        ("created_at", 0, 0),
        ("created_at", -86_400, -86_400),
        ("created_at", "-5", -5),
        ("statistics.count_reopens", "007", 7),
        ("admin_assignee_id", 2**63 - 1, 2**63 - 1),
        ("admin_assignee_id", -(2**63), -(2**63)),
        ("admin_assignee_id", "991267715", 991_267_715),
        ("open", True, True),
        ("read", False, False),
        ("state", "open", "open"),
        ("state", "Open", "Open"),  # '=' is exact: this matches nothing, it is not refused
        ("source.type", "carrier_pigeon", "carrier_pigeon"),  # outside the enum: matches nothing
        ("id", 42, "42"),  # numeric ids accept integers
        ("tag_ids", 7, "7"),
        ("source.author.id", 991267986, "991267986"),
        ("conversation_rating.admin_id", 12, "12"),
        ("contact_ids", "6657aca16abd0166b52ae275", "6657aca16abd0166b52ae275"),
        ("source.subject", "", ""),
        ("source.subject", "Ünïcödé ✓", "Ünïcödé ✓"),
        ("source.body", "Support", "support"),  # tokens are folded, so is the value
        ("source.body", "need support", "need support"),  # accepted; can never equal one token
        ("custom_attributes.plan", "Gold", "Gold"),
        ("custom_attributes.seats", 10, 10),
        ("custom_attributes.spend", 10.5, 10.5),
        ("custom_attributes.vip", False, False),
    ],
)
def test_values_are_normalised(field, value, expected):
    result = parsed(field, "=", value)
    assert result.value == expected and type(result.value) is type(expected)


@pytest.mark.parametrize("operator", ["~", "!~", "^", "$"])
def test_text_operators_carry_folded_values(operator):
    assert parsed("source.author.email", operator, "Jane@Example.COM").value == "jane@example.com"
    assert parsed("source.subject", operator, "STRASSE Straße").value == "strasse strasse"


def test_equality_on_strings_keeps_case_except_on_tokenised_fields():
    assert parsed("source.author.email", "=", "Jane@Example.COM").value == "Jane@Example.COM"
    assert parsed("source.body", "IN", ["Refund", "HELP"]).value == ("refund", "help")


@pytest.mark.parametrize(
    ("field", "value", "kind", "bad_operator"),
    [
        ("custom_attributes.plan", "gold", FieldType.STRING, ">"),
        ("custom_attributes.seats", 3, FieldType.INTEGER, "~"),
        ("custom_attributes.spend", 2.5, FieldType.NUMBER, "^"),
        ("custom_attributes.vip", True, FieldType.BOOLEAN, "<"),
    ],
)
def test_custom_attributes(field, value, kind, bad_operator):
    assert parsed(field, "=", value).field == Field(field, kind)
    error = refused(one(field, bad_operator, value))
    assert error.message == f"operator {bad_operator!r} cannot be used on {field} ({kind.label})"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_numbers_are_finite(value):
    assert refused(one("custom_attributes.spend", ">", value)).message.startswith(
        "custom_attributes.spend needs a number"
    )


def test_custom_number_arrays_widen_to_number():
    result = parsed("custom_attributes.spend", "IN", [1, 2.5])
    assert result.field.type is FieldType.NUMBER and result.value == (1, 2.5)
    assert refused(one("custom_attributes.seats", "IN", [1, "a"])).field == "query.value.1"


# -- null, arrays, operators ------------------------------------------------------------------------


@pytest.mark.parametrize("operator", ["=", "!="])
@pytest.mark.parametrize("field", ["admin_assignee_id", "snoozed_until", "source.url", "tag_ids", "open"])
def test_null_means_is_null(field, operator):
    assert parsed(field, operator, None) == Filter(BY_NAME[field], operator, None)


@pytest.mark.parametrize("operator", ["IN", "NIN", ">", "<", ">=", "<=", "~", "!~", "^", "$"])
def test_null_only_with_equality(operator):
    field = "source.subject" if operator in STRING_OPS else "created_at"
    error = refused(one(field, operator, None))
    assert error.field == "query.value"


def test_null_inside_an_array_is_refused():
    error = refused(one("tag_ids", "IN", ["1", None]))
    assert (error.field, error.message) == ("query.value.1", "IN values cannot be null; use = null or != null")


@pytest.mark.parametrize("operator", ["IN", "NIN"])
@pytest.mark.parametrize("value", [[], "1", 1, None, {"a": 1}])
def test_in_needs_a_non_empty_array(operator, value):
    error = refused(one("tag_ids", operator, value))
    assert error.field == "query.value" and "needs a non-empty array" in error.message


@pytest.mark.parametrize("operator", ["=", "!=", ">", "~"])
def test_single_value_operators_refuse_arrays(operator):
    field = "source.subject" if operator in STRING_OPS else "created_at"
    error = refused(one(field, operator, ["a"] if field == "source.subject" else [1]))
    assert "needs a single value, not an array" in error.message


@pytest.mark.parametrize("operator", ["LIKE", "==", "in", "AND", "", "contains", 5, True, ["="]])
def test_unknown_operators(operator):
    error = refused(one("state", operator, "open"))
    assert error.field == "query.operator" and error.message.startswith("unknown operator")


def test_list_size_guards():
    assert len(parsed("id", "IN", list(range(q.MAX_LIST_VALUES))).value) == q.MAX_LIST_VALUES
    error = refused(one("id", "IN", list(range(q.MAX_LIST_VALUES + 1))))
    assert error.message == "query.value has 1001 values; at most 1000 are allowed"
    many = {"field": "id", "operator": "IN", "value": list(range(q.MAX_LIST_VALUES))}
    assert parse({"query": {"operator": "OR", "value": [many] * 10}}).root
    error = refused(
        {"query": {"operator": "OR", "value": [many] * 10 + [{"field": "id", "operator": "=", "value": 1}]}}
    )
    assert (error.field, error.message) == ("query.value.10.value", "query has more than 10000 values")


# -- errors name the path --------------------------------------------------------------------------


def test_the_refusals_docs_search_md_shows():
    assert (
        refused(one("created_at", ">", "foobar")).message == "created_at needs a UNIX timestamp (integer), got 'foobar'"
    )
    assert refused(one("source.subject", ">", "x")).message == (
        "operator '>' cannot be used on source.subject (a String field)"
    )
    assert refused(one("source.colour", "=", "red")).message == "unknown field 'source.colour'"


@pytest.mark.parametrize(
    ("child", "error", "path"),
    [
        ({"operator": "=", "value": 1}, ParameterNotFound, "query.value.1.field"),
        ({"field": "id", "value": 1}, ParameterNotFound, "query.value.1.operator"),
        ({"field": "id", "operator": "="}, ParameterNotFound, "query.value.1.value"),
        ({"field": None, "operator": "=", "value": 1}, ParameterNotFound, "query.value.1.field"),
        ({"field": "id", "operator": None, "value": 1}, ParameterNotFound, "query.value.1.operator"),
        ({"value": [{"field": "id", "operator": "=", "value": 1}]}, ParameterNotFound, "query.value.1.operator"),
        ({}, ParameterNotFound, "query.value.1.field"),
        ({"field": 5, "operator": "=", "value": 1}, ParameterInvalid, "query.value.1.field"),
        ({"field": "nope", "operator": "=", "value": 1}, ParameterInvalid, "query.value.1.field"),
        ({"field": "id", "operator": "~~", "value": 1}, ParameterInvalid, "query.value.1.operator"),
        ({"field": "open", "operator": "=", "value": "yes"}, ParameterInvalid, "query.value.1.value"),
        ({"field": "tag_ids", "operator": "IN", "value": ["1", {}]}, ParameterInvalid, "query.value.1.value.1"),
        ({"operator": "and", "value": []}, ParameterInvalid, "query.value.1.operator"),
        ({"operator": "AND"}, ParameterNotFound, "query.value.1.value"),
        ({"operator": "AND", "value": None}, ParameterNotFound, "query.value.1.value"),
        ({"operator": "OR", "value": {"field": "id"}}, ParameterInvalid, "query.value.1.value"),
        ({"operator": "OR", "value": []}, ParameterInvalid, "query.value.1.value"),
        ("id = 1", ParameterInvalid, "query.value.1"),
        (None, ParameterInvalid, "query.value.1"),
        ([], ParameterInvalid, "query.value.1"),
    ],
)
def test_errors_carry_the_json_path(child, error, path):
    ok = {"field": "state", "operator": "=", "value": "open"}
    raised = refused({"query": {"operator": "AND", "value": [ok, child]}}, error)
    assert raised.field == path
    if error is ParameterNotFound:
        assert raised.message == f"{path} is a required parameter"


def test_unknown_keys_are_ignored():
    body = one("state", "=", "open")
    body["query"]["colour"] = "red"
    body["sort"] = {"field": "updated_at", "order": "descending"}
    assert parse(body) == Query(Filter(BY_NAME["state"], "=", "open"), 20, None)


def test_a_field_key_makes_a_filter_even_with_a_group_operator():
    assert refused(one("state", "AND", [])).message.startswith("unknown operator 'AND'")


# -- the body and its query ------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, [], "query", 1, True])
def test_the_body_must_be_an_object(body):
    assert refused(body).message == "the request body must be a JSON object"


@pytest.mark.parametrize("body", [{}, {"query": None}, {"pagination": {"per_page": 5}}])
def test_query_is_required(body):
    error = refused(body, ParameterNotFound)
    assert (error.field, error.message) == ("query", "query is a required parameter")


@pytest.mark.parametrize("query", [[], "state = open", 5, True, [{"field": "id", "operator": "=", "value": 1}]])
def test_query_must_be_an_object(query):
    assert refused({"query": query}).field == "query"


def test_the_spec_example_parses():
    example = spec()["paths"]["/conversations/search"]["post"]["requestBody"]["content"]["application/json"]
    body = example["examples"]["successful"]["value"]
    created_at = BY_NAME["created_at"]
    assert parse(body) == Query(Group("AND", (Filter(created_at, ">", 1306054154),)), 5, None)


# -- nesting and group size ------------------------------------------------------------------------

LEAF = {"field": "state", "operator": "=", "value": "open"}
LEAF_NODE = Filter(BY_NAME["state"], "=", "open")


def nested(levels):
    """``levels`` levels of groups, the root group counted as the first, a filter at the bottom."""
    node = {"operator": "AND", "value": [LEAF]}
    for level in range(levels - 1):
        node = {"operator": "OR" if level % 2 == 0 else "AND", "value": [LEAF, node]}
    return {"query": node}


LIMIT = "query nests groups 3 levels deep; at most 2 are allowed (the root group counts as one)"


def test_a_single_filter_needs_no_group():
    assert parse({"query": LEAF}).root == LEAF_NODE


def test_the_spec_example_shape_is_the_deepest_allowed():
    # (1 OR 2) AND (3 OR 4): the root group and one level of groups inside it.
    pair = {"operator": "OR", "value": [LEAF, LEAF]}
    root = parse({"query": {"operator": "AND", "value": [pair, pair]}}).root
    assert root == Group("AND", (Group("OR", (LEAF_NODE, LEAF_NODE)),) * 2)
    assert parse(nested(2)).root == Group("OR", (LEAF_NODE, Group("AND", (LEAF_NODE,))))


def test_a_group_inside_a_group_inside_the_root_is_refused():
    # (1 OR (2 AND 3)) AND (3 OR 4)
    inner = {"operator": "OR", "value": [LEAF, {"operator": "AND", "value": [LEAF, LEAF]}]}
    pair = {"operator": "OR", "value": [LEAF, LEAF]}
    error = refused({"query": {"operator": "AND", "value": [inner, pair]}})
    assert error.message == LIMIT
    assert error.field == "query.value.0.value.1"
    error = refused(nested(3))
    assert (error.message, error.field) == (LIMIT, "query.value.1.value.1")


@pytest.mark.parametrize("levels", [4, 10, 50])
def test_deeper_still_is_refused_at_the_same_place(levels):
    error = refused(nested(levels))
    assert (error.message, error.field) == (LIMIT, "query.value.1.value.1")


@pytest.mark.parametrize("path", [[], [0]])
def test_fifteen_children_are_allowed_sixteen_are_not(path):
    def build(count):
        node = {"operator": "OR", "value": [LEAF] * count}
        for _ in path:
            node = {"operator": "AND", "value": [node]}
        return {"query": node}

    assert parse(build(15)).root
    error = refused(build(16))
    where = "query" + ".value.0" * len(path) + ".value"
    assert error.field == where
    assert error.message == f"{where} has 16 filters; at most 15 are allowed per AND/OR group"


def test_groups_count_as_children():
    group = {"operator": "OR", "value": [LEAF]}
    assert parse({"query": {"operator": "AND", "value": [group] * 15}}).root
    assert refused({"query": {"operator": "AND", "value": [group] * 8 + [LEAF] * 8}}).field == "query.value"


# -- pagination ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pagination", "per_page", "starting_after"),
    [
        (None, 20, None),
        ({}, 20, None),
        ({"per_page": None, "starting_after": None}, 20, None),
        ({"per_page": 1}, 1, None),
        ({"per_page": 150}, 150, None),
        ({"per_page": 5, "starting_after": "WzE3MDAwMDAwMDAsIjQyIiwyXQ=="}, 5, "WzE3MDAwMDAwMDAsIjQyIiwyXQ=="),
        ({"starting_after": ""}, 20, None),  # an empty cursor is the first page
        ({"per_page": 5, "page": 3}, 5, None),  # unknown keys are ignored
    ],
)
def test_pagination(pagination, per_page, starting_after):
    body = {"query": LEAF}
    if pagination is not None:
        body["pagination"] = pagination
    assert parse(body) == Query(LEAF_NODE, per_page, starting_after)


@pytest.mark.parametrize(
    ("pagination", "path", "message"),
    [
        ({"per_page": 0}, "pagination.per_page", "pagination.per_page must be between 1 and 150"),
        ({"per_page": 151}, "pagination.per_page", "pagination.per_page must be between 1 and 150"),
        ({"per_page": -1}, "pagination.per_page", "pagination.per_page must be between 1 and 150"),
        ({"per_page": "20"}, "pagination.per_page", "pagination.per_page must be an integer"),
        ({"per_page": 20.0}, "pagination.per_page", "pagination.per_page must be an integer"),
        ({"per_page": True}, "pagination.per_page", "pagination.per_page must be an integer"),
        ({"starting_after": 5}, "pagination.starting_after", "pagination.starting_after must be a cursor string"),
        ({"starting_after": ["x"]}, "pagination.starting_after", "pagination.starting_after must be a cursor string"),
        ({"starting_after": "a\x00"}, "pagination.starting_after", "pagination.starting_after must be a cursor string"),
        ("page=2", "pagination", "pagination must be an object, got 'page=2'"),
        ([], "pagination", "pagination must be an object, got an array"),
    ],
)
def test_bad_pagination(pagination, path, message):
    error = refused({"query": LEAF, "pagination": pagination})
    assert (error.field, error.message) == (path, message)
