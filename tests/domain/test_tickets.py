"""The ticket rules without a database: conversion and attribute validation."""

from __future__ import annotations

import math

import pytest

from inboxd.domain import conversations
from inboxd.domain import tickets as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import ParameterInvalid, ParameterNotFound
from inboxd.domain.ticket_types import new_ticket_type

CONTACT = Actor("user", "5f0000000000000000000001")
OPERATOR = Actor("bot", "1")
T = 1_000_000


def attribute(name, data_type, **fields):
    return {
        "name": name,
        "data_type": data_type,
        "input_options": fields.pop("input_options", {}),
        "required_to_create": fields.pop("required_to_create", False),
        "archived": fields.pop("archived", False),
        **fields,
    }


def ticket_type(category="Customer", archived=False, extra=()):
    row, attributes = new_ticket_type({"name": "Bug", "category": category}, T)
    return {**row, "id": 7, "archived": archived, "attributes": [*attributes, *extra]}


def conversation():
    started, _ = conversations.start_by_contact(CONTACT, "<p>Help</p>", None, [], T)
    return started


def validate(given, *definitions):
    return domain.validate_attributes(list(definitions), given)


def rejected(given, *definitions, error=ParameterInvalid):
    with pytest.raises(error) as raised:
        validate(given, *definitions)
    return raised.value


# -- convert_to_ticket -------------------------------------------------------------------------------


def test_conversion_appends_one_operator_part_and_keeps_the_state():
    before = conversation()
    change, ticket = domain.convert_to_ticket(before, None, ticket_type(), {"_default_title_": "T"}, OPERATOR, T + 9)
    (part,) = change.parts
    assert part.part_type == "ticket_state_updated_by_admin"
    assert part.author == OPERATOR and part.created_at == T + 9
    assert change.conversation.state == before.state == "open"
    assert change.conversation.updated_at == T + 9
    assert change.conversation.stats.count_conversation_parts == 1
    assert ticket == domain.NewTicket(
        ticket_type_id=7,
        ticket_state="submitted",
        attributes={"_default_title_": "T"},
        is_shared=True,
        created_at=T + 9,
    )


def test_a_converted_conversation_does_not_convert_again():
    with pytest.raises(ParameterInvalid) as raised:
        domain.convert_to_ticket(conversation(), 3, ticket_type(), {}, OPERATOR, T)
    assert raised.value.message == "Conversation has already been converted to a ticket"


@pytest.mark.parametrize("category", ["Back-office", "Tracker"])
def test_only_customer_ticket_types_convert(category):
    with pytest.raises(ParameterInvalid) as raised:
        domain.convert_to_ticket(conversation(), None, ticket_type(category), {}, OPERATOR, T)
    assert raised.value.message == "Ticket type is not a customer ticket type"
    assert raised.value.field == "ticket_type_id"


def test_archived_ticket_types_do_not_convert():
    with pytest.raises(ParameterInvalid) as raised:
        domain.convert_to_ticket(conversation(), None, ticket_type(archived=True), {}, OPERATOR, T)
    assert raised.value.field == "ticket_type_id"


def test_attributes_are_checked_before_anything_changes():
    with pytest.raises(ParameterInvalid) as raised:
        domain.convert_to_ticket(conversation(), None, ticket_type(), {"nope": 1}, OPERATOR, T)
    assert raised.value.field == "attributes.nope"


def test_every_state_has_a_label():
    assert domain.INITIAL_STATE in domain.STATES
    assert domain.STATES["in_progress"] == "In progress"


# -- validate_attributes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data_type", "value"),
    [
        ("string", "Checkout fails"),
        ("string", ""),
        ("integer", 3),
        ("integer", -(2**62)),
        ("decimal", 12.5),
        ("decimal", 4),
        ("boolean", False),
        ("datetime", 1_767_225_600),
        ("datetime", "2026-01-01T10:00:00Z"),
        ("datetime", "2026-01-01"),
        ("list", "de1825a0-0164-4070-8ca6-13e22462fa7e"),
    ],
)
def test_values_that_suit_their_data_type_are_kept(data_type, value):
    assert validate({"a": value}, attribute("a", data_type)) == {"a": value}


@pytest.mark.parametrize(
    ("data_type", "value"),
    [
        ("string", 5),
        ("string", ["x"]),
        ("integer", "3"),
        ("integer", 2.0),
        ("integer", True),
        ("integer", 2**63),
        ("decimal", "1.5"),
        ("decimal", True),
        ("decimal", math.inf),
        ("decimal", math.nan),
        ("boolean", "true"),
        ("boolean", 1),
        ("datetime", "yesterday"),
        ("datetime", -5),
        ("datetime", True),
        ("datetime", 1.5),
        ("list", ""),
        ("list", 3),
        ("list", ["a"]),
        ("files", "https://x.test/a.png"),
        ("files", [{"url": "https://x.test/a.png"}]),
        ("files", ["ftp://x.test/a.png"]),
        ("files", ["https://x.test/a.png"] * 11),
    ],
)
def test_values_that_do_not_suit_their_data_type_are_400(data_type, value):
    error = rejected({"a": value}, attribute("a", data_type))
    assert error.code == "parameter_invalid"
    assert error.field == "attributes.a"


def test_unknown_names_are_400():
    error = rejected({"_default_title_": "T", "priority": "high"}, attribute("_default_title_", "string"))
    assert error.field == "attributes.priority"
    assert error.message == "attributes.priority is not an attribute of this ticket type"


def test_archived_attributes_are_unknown():
    error = rejected({"old": "x"}, attribute("old", "string", archived=True))
    assert error.field == "attributes.old"


def test_archived_attributes_are_not_required():
    assert validate({}, attribute("old", "string", archived=True, required_to_create=True)) == {}


def test_null_sets_nothing():
    assert validate({"a": None, "b": 2}, attribute("a", "string"), attribute("b", "integer")) == {"b": 2}


@pytest.mark.parametrize("given", [{}, {"a": None}, {"a": "   "}, {"b": 1}])
def test_required_attributes_must_have_a_value(given):
    error = rejected(
        given,
        attribute("a", "string", required_to_create=True),
        attribute("b", "integer"),
        error=ParameterNotFound,
    )
    assert error.code == "parameter_not_found"
    assert error.field == "attributes.a"
    assert error.message == "attributes.a is a required parameter"


def test_an_empty_file_list_does_not_satisfy_a_required_attribute():
    rejected({"f": []}, attribute("f", "files", required_to_create=True), error=ParameterNotFound)


def test_required_only_for_contacts_is_not_required_here():
    assert validate({}, attribute("a", "string", required_to_create_for_contacts=True)) == {}


def test_list_values_are_ids_of_the_attributes_items_when_it_has_them():
    options = {"list_options": [{"id": "low", "label": "Low"}, {"id": "gone", "label": "Gone", "archived": True}]}
    definition = attribute("priority", "list", input_options=options)
    assert validate({"priority": "low"}, definition) == {"priority": "low"}
    assert rejected({"priority": "Low"}, definition).field == "attributes.priority"
    assert rejected({"priority": "gone"}, definition).field == "attributes.priority"


def test_files_are_kept_as_file_attributes():
    values = validate({"f": ["https://x.test/shots/a.png?sig=1"]}, attribute("f", "files"))
    assert values == {
        "f": [
            {"type": "upload", "name": "a.png", "url": "https://x.test/shots/a.png?sig=1", "content_type": "image/png"}
        ]
    }


def test_a_single_file_attribute_takes_one_file():
    definition = attribute("f", "files", input_options={"allow_multiple_values": False})
    assert len(validate({"f": ["https://x.test/a.png"]}, definition)["f"]) == 1
    assert rejected({"f": ["https://x.test/a.png", "https://x.test/b.png"]}, definition).field == "attributes.f"


def test_unknown_data_types_take_any_json_value():
    assert validate({"a": {"x": [1]}}, attribute("a", "relationship")) == {"a": {"x": [1]}}


def test_every_ticket_type_takes_the_default_title_and_description():
    values = domain.validate_attributes(
        ticket_type()["attributes"], {"_default_title_": "T", "_default_description_": "<p>D</p>"}
    )
    assert values == {"_default_title_": "T", "_default_description_": "<p>D</p>"}
