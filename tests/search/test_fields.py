"""The field table against the spec's own tables, and lookup()."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inboxd.domain.errors import ParameterInvalid
from inboxd.search import fields
from inboxd.search.fields import FIELDS, Field, FieldType, lookup
from tests.spec import spec

DESCRIPTION = spec()["paths"]["/conversations/search"]["post"]["description"]
SPEC_TYPES = {"String": FieldType.STRING, "Integer": FieldType.INTEGER, "Boolean": FieldType.BOOLEAN}
SPEC_FIELDS = {
    name: FieldType.DATE if kind.startswith("Date") else SPEC_TYPES[kind]
    for name, kind in re.findall(r"^\| ([a-z_.]+)\s+\| (String|Integer|Boolean|Date)", DESCRIPTION, re.M)
}
# The operator table: operator → the types the spec names in its "Valid Types" column.
SPEC_OPERATORS = dict(re.findall(r"^\| ([^\sa-z]+)\s+\| (All|Integer  Date|String)[ (]", DESCRIPTION, re.M))


def test_the_spec_table_was_read():
    assert len(SPEC_FIELDS) == 56 and SPEC_FIELDS["created_at"] is FieldType.DATE
    assert set(SPEC_OPERATORS) == {"=", "!=", "IN", "NIN", ">", "<", "~", "!~", "^", "$"}


def test_every_row_of_the_spec_table_and_nothing_else():
    assert {field.name: field.type for field in FIELDS} == SPEC_FIELDS


def test_rows_are_unique():
    assert len({field.name for field in FIELDS}) == len(FIELDS)


@pytest.mark.parametrize(("operator", "valid_types"), sorted(SPEC_OPERATORS.items()))
def test_every_operator_of_the_spec_table_is_allowed_where_the_spec_says(operator, valid_types):
    types = {
        "All": {FieldType.STRING, FieldType.INTEGER, FieldType.DATE, FieldType.BOOLEAN},
        "Integer  Date": {FieldType.INTEGER, FieldType.DATE},
        "String": {FieldType.STRING},
    }[valid_types]
    assert {kind for kind, allowed in fields.OPERATORS.items() if operator in allowed} >= types
    # … and nowhere else, except Number (custom float attributes), which behaves as Integer.
    assert {kind for kind, allowed in fields.OPERATORS.items() if operator in allowed} - types <= {FieldType.NUMBER}


def test_inclusive_comparisons_come_only_with_their_strict_siblings():
    for allowed in fields.OPERATORS.values():
        assert (">=" in allowed) == (">" in allowed) == ("<" in allowed) == ("<=" in allowed)
    assert fields.INCLUSIVE_GT_LT is False


@pytest.mark.parametrize(
    ("name", "multi", "tokenised", "numeric_id"),
    [
        ("contact_ids", True, False, False),
        ("teammate_ids", True, False, True),
        ("tag_ids", True, False, True),
        ("source.body", False, True, False),
        ("id", False, False, True),
        ("source.id", False, False, True),
        ("source.author.id", False, False, True),
        ("statistics.last_closed_by_id", False, False, True),
        ("conversation_rating.admin_d", False, False, True),
        ("conversation_rating.contact_id", False, False, False),
        ("source.subject", False, False, False),
    ],
)
def test_flags(name, multi, tokenised, numeric_id):
    field = fields.BY_NAME[name]
    assert (field.multi, field.tokenised, field.numeric_id) == (multi, tokenised, numeric_id)


def test_enums_come_from_the_spec():
    assert fields.BY_NAME["source.type"].enum == (
        *("conversation", "email", "facebook", "instagram", "phone_call"),
        *("phone_switch", "push", "sms", "twitter", "whatsapp"),
    )
    assert fields.BY_NAME["state"].enum == ("open", "closed", "snoozed")
    assert fields.BY_NAME["priority"].enum == ("none", "low", "medium", "high", "urgent")


def test_numeric_ids_are_strings_and_multi_fields_hold_ids():
    for field in FIELDS:
        if field.numeric_id or field.multi or field.tokenised:
            assert field.type is FieldType.STRING, field.name


def test_lookup_finds_rows_and_ignores_the_value():
    assert lookup("created_at", "anything") is fields.BY_NAME["created_at"]


def test_admin_id_is_an_alias_for_the_spec_typo_admin_d():
    assert lookup("conversation_rating.admin_id", "1") is lookup("conversation_rating.admin_d", "1")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("gold", FieldType.STRING),
        ("", FieldType.STRING),
        ("42", FieldType.STRING),
        (True, FieldType.BOOLEAN),
        (False, FieldType.BOOLEAN),
        (42, FieldType.INTEGER),
        (4.2, FieldType.NUMBER),
        (["a", "b"], FieldType.STRING),
        ([1, 2], FieldType.INTEGER),
        ([1, 2.5], FieldType.NUMBER),
        ([2.5, 1], FieldType.NUMBER),
        ([True], FieldType.BOOLEAN),
        ([1, "a"], FieldType.INTEGER),  # first element decides; the value check refuses "a"
        (None, FieldType.STRING),
        ([], FieldType.STRING),
        ({"a": 1}, FieldType.STRING),
    ],
)
def test_custom_attributes_are_typed_by_the_value(value, kind):
    assert lookup("custom_attributes.plan", value) == Field("custom_attributes.plan", kind)


def test_custom_attribute_names_are_kept_whole():
    field = lookup("custom_attributes.Monthly spend (€)", 3)
    assert field.custom_attribute == "Monthly spend (€)"
    assert fields.BY_NAME["state"].custom_attribute is None


@pytest.mark.parametrize(
    "name",
    [
        "source.colour",
        "",
        "custom_attributes.",
        "custom_attributes",
        "Created_at",
        "created_at ",
        "custom_attributes.a\x00",
    ],
)
def test_unknown_fields(name):
    with pytest.raises(ParameterInvalid) as raised:
        lookup(name, "x", path="query.value.3.field")
    assert raised.value.message == f"unknown field {name!r}"
    assert raised.value.field == "query.value.3.field"


def test_type_labels():
    assert FieldType.STRING.label == "a String field"
    assert FieldType.INTEGER.label == "an Integer field"


def test_docs_list_every_field():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "search.md").read_text(encoding="utf-8")
    assert [field.name for field in FIELDS if f"`{field.name}`" not in docs] == []
