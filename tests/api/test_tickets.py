"""Tickets over HTTP: `POST /conversations/{id}/convert` and `GET /tickets/{id}`, on SQLite and
PostgreSQL. Every response is also checked against the spec's `ticket` and `error` schemas."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select, update

from inboxd.store.tables import ticket_type_attributes, ticket_types, tickets
from inboxd.store.transactions import transaction
from tests import factories
from tests.conftest import T0

NOW = T0 + 3600  # the frozen clock's time


def error(response):
    body = response.json()
    assert body["type"] == "error.list"
    assert len(body["errors"]) == 1
    return body["errors"][0]


def convert(api, conversation_id, ticket_type_id, **body):
    return api.post(f"/conversations/{conversation_id}/convert", json={"ticket_type_id": ticket_type_id, **body})


def converted(api, conversation_id, ticket_type_id, **body):
    response = convert(api, conversation_id, ticket_type_id, **body)
    assert response.status_code == 200, response.text
    return response.json()


def me(api):
    return api.get("/me").json()["id"]


def add_attribute(engine, ticket_type_id, name, data_type, **fields: Any) -> None:
    """Ticket type attributes cannot be created over HTTP yet (createTicketTypeAttribute is not
    served), so the tests write them straight into the table."""
    with transaction(engine, write=True) as conn:
        workspace_id = conn.execute(
            select(ticket_types.c.workspace_id).where(ticket_types.c.id == int(ticket_type_id))
        ).scalar_one()
        conn.execute(
            insert(ticket_type_attributes).values(
                workspace_id=workspace_id,
                ticket_type_id=int(ticket_type_id),
                name=name,
                description=name,
                data_type=data_type,
                input_options=fields.pop("input_options", {}),
                order=10,
                created_at=T0,
                updated_at=T0,
                **fields,
            )
        )


# -- convert ----------------------------------------------------------------------------------------


def test_convert_makes_a_submitted_customer_ticket(api, clock):
    contact = factories.contact(api, external_id="ext-7")
    conversation = factories.conversation(api, contact["id"])
    bug = factories.ticket_type(api, name="Bug")
    clock.advance(60)
    attributes = {"_default_title_": "Checkout fails", "_default_description_": "The pay button does nothing"}

    ticket = converted(api, conversation["id"], bug["id"], attributes=attributes)

    assert ticket["type"] == "ticket"
    assert ticket["id"].isdigit() and ticket["ticket_id"] == ticket["id"]
    assert ticket["category"] == "Customer"
    assert ticket["ticket_attributes"] == attributes
    assert ticket["ticket_state"] == "submitted"
    assert ticket["ticket_state_internal_label"] == ticket["ticket_state_external_label"] == "Submitted"
    assert ticket["ticket_type"] == api.get(f"/ticket_types/{bug['id']}").json()
    assert ticket["contacts"] == {
        "type": "contact.list",
        "contacts": [{"type": "contact", "id": contact["id"], "external_id": "ext-7"}],
    }
    assert ticket["admin_assignee_id"] == "0" and ticket["team_assignee_id"] == "0"
    assert ticket["created_at"] == conversation["created_at"] == NOW
    assert ticket["updated_at"] == NOW + 60
    assert ticket["open"] is True
    assert "snoozed_until" not in ticket
    assert ticket["linked_objects"] == {"type": "list", "data": [], "total_count": 0, "has_more": False}
    assert ticket["is_shared"] is True


def test_the_conversion_leaves_one_part_by_the_operator(api, clock):
    conversation = factories.conversation(api)
    clock.advance(30)
    ticket = converted(api, conversation["id"], factories.ticket_type(api)["id"])

    (part,) = ticket["ticket_parts"]["ticket_parts"]
    assert ticket["ticket_parts"]["total_count"] == 1
    assert part["type"] == "ticket_part"
    assert part["part_type"] == "ticket_state_updated_by_admin"
    assert part["author"]["type"] == "bot" and part["author"]["name"] == "Operator"
    assert part["created_at"] == part["updated_at"] == NOW + 30
    assert part["body"] is None and part["attachments"] == [] and part["redacted"] is False
    assert "notified_at" not in part

    shown = api.get(f"/conversations/{conversation['id']}").json()
    (conversation_part,) = shown["conversation_parts"]["conversation_parts"]
    assert conversation_part["id"] == part["id"]
    assert conversation_part["part_type"] == "ticket_state_updated_by_admin"
    assert shown["statistics"]["count_conversation_parts"] == 1
    assert shown["updated_at"] == NOW + 30
    assert shown["state"] == "open"


def test_the_ticket_type_id_may_be_a_number(api):
    conversation = factories.conversation(api)
    bug = factories.ticket_type(api)
    ticket = converted(api, conversation["id"], int(bug["id"]))
    assert ticket["ticket_type"]["id"] == bug["id"]
    assert ticket["ticket_attributes"] == {}


def test_get_ticket_shows_what_convert_answered(api):
    conversation = factories.conversation(api)
    ticket = converted(api, conversation["id"], factories.ticket_type(api)["id"], attributes={"_default_title_": "T"})
    shown = api.get(f"/tickets/{ticket['id']}")
    assert shown.status_code == 200
    assert shown.json() == ticket


def test_the_conversation_points_at_its_ticket(api):
    conversation = factories.conversation(api)
    other = factories.conversation(api)
    ticket = converted(api, conversation["id"], factories.ticket_type(api)["id"])

    shown = api.get(f"/conversations/{conversation['id']}").json()
    assert shown["ticket"] == {"type": "ticket", "id": ticket["id"], "ticket_id": ticket["id"], "category": "Customer"}
    assert shown["linked_objects"] == {
        "type": "list",
        "data": [{"type": "ticket", "id": ticket["id"], "category": "Customer"}],
        "total_count": 1,
        "has_more": False,
    }
    untouched = api.get(f"/conversations/{other['id']}").json()
    assert untouched["ticket"] is None and untouched["linked_objects"]["data"] == []

    listed = {c["id"]: c for c in api.get("/conversations").json()["conversations"]}
    assert listed[conversation["id"]]["ticket"] == shown["ticket"]
    assert listed[conversation["id"]]["linked_objects"] == shown["linked_objects"]
    assert listed[other["id"]]["ticket"] is None


def test_the_ticket_follows_its_conversation(api, clock):
    """Assignees, parts, state and snooze are the conversation's, before and after converting."""
    admin_id = me(api)
    (team,) = api.get("/teams").json()["teams"]
    lead = factories.contact(api, role="lead", email=None)
    conversation = factories.conversation(api, lead["id"])
    manage = f"/conversations/{conversation['id']}/parts"
    api.post(
        manage, json={"message_type": "assignment", "type": "admin", "admin_id": admin_id, "assignee_id": admin_id}
    )
    api.post(
        manage, json={"message_type": "assignment", "type": "team", "admin_id": admin_id, "assignee_id": team["id"]}
    )
    ticket = converted(api, conversation["id"], factories.ticket_type(api)["id"])
    assert ticket["admin_assignee_id"] == admin_id
    assert ticket["team_assignee_id"] == team["id"]

    clock.advance(60)
    reply = {"type": "lead", "message_type": "comment", "intercom_user_id": lead["id"], "body": "Any news?"}
    assert api.post(f"/conversations/{conversation['id']}/reply", json=reply).status_code == 200
    response = api.post(manage, json={"message_type": "snoozed", "admin_id": admin_id, "snoozed_until": NOW + 9000})
    assert response.status_code == 200

    shown = api.get(f"/tickets/{ticket['id']}").json()
    parts = shown["ticket_parts"]["ticket_parts"]
    assert [p["part_type"] for p in parts] == [
        "assignment",
        "assignment",
        "ticket_state_updated_by_admin",
        "comment",
        "snoozed",
    ]
    # `ticket_part_author.type` has no "lead": a lead writes as a user there.
    assert parts[3]["author"]["type"] == "user" and parts[3]["author"]["id"] == lead["id"]
    assert shown["ticket_parts"]["total_count"] == 5
    assert shown["snoozed_until"] == NOW + 9000
    assert shown["open"] is True
    assert shown["updated_at"] == NOW + 60
    assert shown["created_at"] == ticket["created_at"]


def test_a_closed_conversation_makes_a_closed_ticket(api):
    conversation = factories.conversation(api)
    api.post(
        f"/conversations/{conversation['id']}/parts",
        json={"message_type": "close", "type": "admin", "admin_id": me(api)},
    )
    ticket = converted(api, conversation["id"], factories.ticket_type(api)["id"])
    assert ticket["open"] is False
    assert api.get(f"/conversations/{conversation['id']}").json()["state"] == "closed"


def test_custom_attributes_of_every_type(api, engine):
    bug = factories.ticket_type(api)
    for name, data_type in [
        ("Severity", "integer"),
        ("Cost", "decimal"),
        ("Urgent", "boolean"),
        ("Seen at", "datetime"),
        ("Screenshots", "files"),
        ("Browser", "string"),
    ]:
        add_attribute(engine, bug["id"], name, data_type)
    attributes = {
        "Severity": 3,
        "Cost": 12.5,
        "Urgent": True,
        "Seen at": 1_767_225_600,
        "Screenshots": ["https://files.example.test/shots/pay.png"],
        "Browser": "Firefox",
    }
    ticket = converted(api, factories.conversation(api)["id"], bug["id"], attributes=attributes)
    assert ticket["ticket_attributes"] == {
        **attributes,
        "Screenshots": [
            {
                "type": "upload",
                "name": "pay.png",
                "url": "https://files.example.test/shots/pay.png",
                "content_type": "image/png",
            }
        ],
    }
    assert api.get(f"/tickets/{ticket['id']}").json()["ticket_attributes"] == ticket["ticket_attributes"]


def test_null_attributes_set_nothing(api):
    ticket = converted(
        api, factories.conversation(api)["id"], factories.ticket_type(api)["id"], attributes={"_default_title_": None}
    )
    assert ticket["ticket_attributes"] == {}


# -- errors -----------------------------------------------------------------------------------------


def assert_not_converted(api, conversation):
    shown = api.get(f"/conversations/{conversation['id']}").json()
    assert shown["ticket"] is None
    assert shown["conversation_parts"]["total_count"] == conversation["conversation_parts"]["total_count"]
    assert shown["updated_at"] == conversation["updated_at"]


def test_ticket_type_id_is_required(api):
    conversation = factories.conversation(api)
    response = api.post(f"/conversations/{conversation['id']}/convert", json={"attributes": {}})
    assert response.status_code == 400
    assert error(response) == {
        "code": "parameter_not_found",
        "message": "ticket_type_id is a required parameter",
        "field": "ticket_type_id",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ticket_type_id": True}, "ticket_type_id"),
        ({"ticket_type_id": ["1"]}, "ticket_type_id"),
        ({"ticket_type_id": "1", "attributes": ["_default_title_"]}, "attributes"),
        ({"ticket_type_id": "1", "attributes": "title"}, "attributes"),
    ],
)
def test_malformed_bodies_are_400(api, body, field):
    conversation = factories.conversation(api)
    response = api.post(f"/conversations/{conversation['id']}/convert", json=body)
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_invalid"
    assert error(response)["field"] == field
    assert_not_converted(api, conversation)


@pytest.mark.parametrize("conversation_id", ["999999", "abc", "0"])
def test_unknown_conversation_is_404(api, conversation_id):
    bug = factories.ticket_type(api)
    response = convert(api, conversation_id, bug["id"])
    assert response.status_code == 404
    assert error(response) == {"code": "not_found", "message": "Resource Not Found"}


@pytest.mark.parametrize("ticket_type_id", ["999999", "abc", 0])
def test_unknown_ticket_type_is_404(api, ticket_type_id):
    conversation = factories.conversation(api)
    response = convert(api, conversation["id"], ticket_type_id)
    assert response.status_code == 404
    assert error(response) == {"code": "not_found", "message": "Ticket type not found", "field": "ticket_type_id"}
    assert_not_converted(api, conversation)


@pytest.mark.parametrize("category", ["Back-office", "Tracker"])
def test_only_customer_ticket_types_convert(api, category):
    conversation = factories.conversation(api)
    response = convert(api, conversation["id"], factories.ticket_type(api, category=category)["id"])
    assert response.status_code == 400
    assert error(response) == {
        "code": "parameter_invalid",
        "message": "Ticket type is not a customer ticket type",
        "field": "ticket_type_id",
    }
    assert_not_converted(api, conversation)


def test_an_archived_ticket_type_does_not_convert(api, engine):
    conversation = factories.conversation(api)
    bug = factories.ticket_type(api)
    with transaction(engine, write=True) as conn:
        conn.execute(update(ticket_types).where(ticket_types.c.id == int(bug["id"])).values(archived=True))
    response = convert(api, conversation["id"], bug["id"])
    assert response.status_code == 400
    assert error(response) == {
        "code": "parameter_invalid",
        "message": "Ticket type is archived",
        "field": "ticket_type_id",
    }
    assert_not_converted(api, conversation)


def test_a_conversation_converts_once(api, engine):
    conversation = factories.conversation(api)
    first = converted(api, conversation["id"], factories.ticket_type(api)["id"])
    before = api.get(f"/conversations/{conversation['id']}").json()

    response = convert(api, conversation["id"], factories.ticket_type(api)["id"])
    assert response.status_code == 400
    assert error(response) == {
        "code": "parameter_invalid",
        "message": "Conversation has already been converted to a ticket",
        "field": "id",
    }
    after = api.get(f"/conversations/{conversation['id']}").json()
    assert after == before and after["ticket"]["id"] == first["id"]
    with transaction(engine, write=False) as conn:
        assert conn.execute(select(tickets.c.id)).scalars().all() == [int(first["id"])]


def test_an_unknown_attribute_is_400_naming_it(api):
    conversation = factories.conversation(api)
    response = convert(api, conversation["id"], factories.ticket_type(api)["id"], attributes={"priority": "high"})
    assert response.status_code == 400
    assert error(response) == {
        "code": "parameter_invalid",
        "message": "attributes.priority is not an attribute of this ticket type",
        "field": "attributes.priority",
    }
    assert_not_converted(api, conversation)


def test_another_ticket_types_attribute_is_unknown(api, engine):
    bug, question = factories.ticket_type(api), factories.ticket_type(api)
    add_attribute(engine, question["id"], "Topic", "string")
    response = convert(api, factories.conversation(api)["id"], bug["id"], attributes={"Topic": "Billing"})
    assert response.status_code == 400
    assert error(response)["field"] == "attributes.Topic"


@pytest.mark.parametrize(
    ("name", "data_type", "value", "message"),
    [
        ("_default_title_", "string", 5, "attributes._default_title_ must be a string"),
        ("Severity", "integer", "3", "attributes.Severity must be an integer"),
        ("Severity", "integer", 2.5, "attributes.Severity must be an integer"),
        ("Cost", "decimal", "12.50", "attributes.Cost must be a number"),
        ("Urgent", "boolean", "true", "attributes.Urgent must be a boolean"),
        ("Seen at", "datetime", "yesterday", "attributes.Seen at must be a Unix timestamp or an ISO 8601 date-time"),
        ("Screenshots", "files", "https://x.test/a.png", "attributes.Screenshots must be an array of file URLs"),
    ],
)
def test_attribute_values_must_suit_their_data_type(api, engine, name, data_type, value, message):
    bug = factories.ticket_type(api)
    if not name.startswith("_default"):
        add_attribute(engine, bug["id"], name, data_type)
    conversation = factories.conversation(api)
    response = convert(api, conversation["id"], bug["id"], attributes={name: value})
    assert response.status_code == 400
    assert error(response) == {"code": "parameter_invalid", "message": message, "field": f"attributes.{name}"}
    assert_not_converted(api, conversation)


def test_required_attributes_must_be_given(api, engine):
    bug = factories.ticket_type(api)
    add_attribute(engine, bug["id"], "Severity", "integer", required_to_create=True)
    conversation = factories.conversation(api)
    for attributes in ({}, {"Severity": None}, {"_default_title_": "T"}):
        response = convert(api, conversation["id"], bug["id"], attributes=attributes)
        assert response.status_code == 400
        assert error(response) == {
            "code": "parameter_not_found",
            "message": "attributes.Severity is a required parameter",
            "field": "attributes.Severity",
        }
    assert_not_converted(api, conversation)
    ticket = converted(api, conversation["id"], bug["id"], attributes={"Severity": 2})
    assert ticket["ticket_attributes"] == {"Severity": 2}


def test_a_required_default_title_must_not_be_blank(api, engine):
    bug = factories.ticket_type(api)
    with transaction(engine, write=True) as conn:
        conn.execute(
            update(ticket_type_attributes)
            .where(
                ticket_type_attributes.c.ticket_type_id == int(bug["id"]),
                ticket_type_attributes.c.name == "_default_title_",
            )
            .values(required_to_create=True)
        )
    response = convert(api, factories.conversation(api)["id"], bug["id"], attributes={"_default_title_": "  "})
    assert response.status_code == 400
    assert error(response)["code"] == "parameter_not_found"
    assert error(response)["field"] == "attributes._default_title_"


# -- retrieve ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("ticket_id", ["999999", "abc", "0", "-1"])
def test_unknown_ticket_is_404(api, ticket_id):
    response = api.get(f"/tickets/{ticket_id}")
    assert response.status_code == 404
    assert error(response) == {"code": "ticket_not_found", "message": "Ticket not found"}


def test_get_ticket_needs_a_token(anonymous, api):
    ticket = converted(api, factories.conversation(api)["id"], factories.ticket_type(api)["id"])
    response = anonymous.get(f"/tickets/{ticket['id']}")
    assert response.status_code == 401
    assert error(response)["code"] == "unauthorized"


# -- workspace isolation ----------------------------------------------------------------------------


def test_another_workspace_cannot_see_a_ticket(api, globex):
    ticket = converted(api, factories.conversation(api)["id"], factories.ticket_type(api)["id"])
    response = globex.get(f"/tickets/{ticket['id']}")
    assert response.status_code == 404
    assert error(response)["code"] == "ticket_not_found"


def test_another_workspace_cannot_convert_a_conversation(api, globex):
    conversation = factories.conversation(api)
    response = convert(globex, conversation["id"], factories.ticket_type(globex)["id"])
    assert response.status_code == 404
    assert error(response) == {"code": "not_found", "message": "Resource Not Found"}
    assert_not_converted(api, conversation)


def test_another_workspaces_ticket_type_is_unknown(api, globex):
    conversation = factories.conversation(api)
    response = convert(api, conversation["id"], factories.ticket_type(globex)["id"])
    assert response.status_code == 404
    assert error(response)["message"] == "Ticket type not found"
    assert_not_converted(api, conversation)


def test_ticket_ids_are_not_shared_between_workspaces(api, globex):
    acme_ticket = converted(api, factories.conversation(api)["id"], factories.ticket_type(api)["id"])
    globex_ticket = converted(globex, factories.conversation(globex)["id"], factories.ticket_type(globex)["id"])
    assert api.get(f"/tickets/{acme_ticket['id']}").json()["ticket_type"]["workspace_id"] == "acme"
    assert globex.get(f"/tickets/{globex_ticket['id']}").json()["ticket_type"]["workspace_id"] == "globex"
    assert api.get(f"/tickets/{globex_ticket['id']}").status_code == 404


def test_in_2_11_every_ticket_part_shows_the_tickets_state(api):
    """2.11 requires `ticket_state` on every ticket part, not only on the part that set it."""
    conversation = factories.conversation(api)
    joined = factories.contact(api, email="joined@example.test")
    added = api.post(
        f"/conversations/{conversation['id']}/customers",
        json={"admin_id": me(api), "customer": {"intercom_user_id": joined["id"]}},
    )
    assert added.status_code == 200, added.text
    ticket = converted(api.at("2.11"), conversation["id"], factories.ticket_type(api)["id"])
    parts = ticket["ticket_parts"]["ticket_parts"]
    assert [p["part_type"] for p in parts] == ["participant_added", "ticket_state_updated_by_admin"]
    assert [p["ticket_state"] for p in parts] == ["submitted", "submitted"]
    assert "previous_ticket_state" not in parts[0]
    later = api.at("2.12").get(f"/tickets/{ticket['id']}").json()["ticket_parts"]["ticket_parts"]
    assert "ticket_state" not in later[0] and later[1]["ticket_state"] == "submitted"
