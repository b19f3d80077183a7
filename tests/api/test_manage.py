"""POST /conversations/{id}/parts: close, snooze, open, assign — and snoozes that run out by themselves."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import T0

NOW = T0 + 3600


@pytest.fixture
def ada(api):
    return api.get("/admins").json()["admins"][0]


@pytest.fixture
def team(api):
    return api.get("/teams").json()["teams"][0]


def manage(api, conversation_id, **body):
    return api.post(f"/conversations/{conversation_id}/parts", json=body)


def kinds(conversation):
    return [p["part_type"] for p in conversation["conversation_parts"]["conversation_parts"]]


def test_close_with_a_body(api, ada, clock):
    conversation = factories.conversation(api)
    clock.advance(120)
    closed = manage(api, conversation["id"], message_type="close", type="admin", admin_id=ada["id"], body="Bye").json()
    assert closed["state"] == "closed" and closed["open"] is False
    [part] = closed["conversation_parts"]["conversation_parts"]
    assert part["part_type"] == "close" and part["body"] == "Bye" and part["author"]["id"] == ada["id"]
    assert closed["statistics"]["first_close_at"] == NOW + 120
    assert closed["statistics"]["time_to_first_close"] == 120
    assert closed["statistics"]["last_closed_by_id"] == ada["id"]
    assert closed["updated_at"] == NOW + 120


def test_closing_twice_writes_one_part(api, ada):
    conversation = factories.conversation(api)
    for _ in range(2):
        closed = manage(api, conversation["id"], message_type="close", type="admin", admin_id=ada["id"]).json()
    assert kinds(closed) == ["close"]


def test_snooze_then_open(api, ada, clock):
    conversation = factories.conversation(api)
    snoozed = manage(
        api, conversation["id"], message_type="snoozed", admin_id=ada["id"], snoozed_until=NOW + 3600
    ).json()
    assert snoozed["state"] == "snoozed" and snoozed["open"] is True
    assert snoozed["snoozed_until"] == NOW + 3600
    clock.advance(60)
    opened = manage(api, conversation["id"], message_type="open", admin_id=ada["id"]).json()
    assert opened["state"] == "open" and opened["snoozed_until"] is None
    assert kinds(opened) == ["snoozed", "open"]
    assert opened["statistics"]["count_reopens"] == 0


def test_reopening_a_closed_conversation_counts(api, ada):
    conversation = factories.conversation(api)
    manage(api, conversation["id"], message_type="close", type="admin", admin_id=ada["id"])
    opened = manage(api, conversation["id"], message_type="open", admin_id=ada["id"]).json()
    assert opened["state"] == "open" and opened["statistics"]["count_reopens"] == 1
    again = manage(api, conversation["id"], message_type="open", admin_id=ada["id"]).json()
    assert kinds(again) == ["close", "open"]  # opening an open conversation is no change


@pytest.mark.parametrize("until_offset", [0, -5])
def test_snoozing_into_the_past_is_refused(api, ada, until_offset):
    conversation = factories.conversation(api)
    response = manage(
        api, conversation["id"], message_type="snoozed", admin_id=ada["id"], snoozed_until=NOW + until_offset
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "snoozed_until"


def test_an_expired_snooze_is_open_for_every_reader(api, ada, clock):
    conversation = factories.conversation(api)
    manage(api, conversation["id"], message_type="snoozed", admin_id=ada["id"], snoozed_until=NOW + 600)
    clock.advance(3600)  # nobody calls the API while the snooze runs out
    listed = api.get("/conversations").json()["conversations"][0]
    assert listed["state"] == "open" and listed["snoozed_until"] is None
    assert listed["updated_at"] == NOW + 600
    shown = api.get(f"/conversations/{conversation['id']}").json()
    assert kinds(shown) == ["snoozed", "timer_unsnooze"]
    woke = shown["conversation_parts"]["conversation_parts"][-1]
    assert woke["created_at"] == NOW + 600  # the moment the timer fired, not when someone looked
    assert woke["author"]["type"] == "bot"
    assert api.get(f"/conversations/{conversation['id']}").json() == shown  # woken once only


def test_a_snooze_not_yet_due_stays_snoozed(api, ada, clock):
    conversation = factories.conversation(api)
    manage(api, conversation["id"], message_type="snoozed", admin_id=ada["id"], snoozed_until=NOW + 600)
    clock.advance(599)
    assert api.get(f"/conversations/{conversation['id']}").json()["state"] == "snoozed"


def test_snoozes_wake_whichever_workspace_asks(api, globex, ada, clock):
    conversation = factories.conversation(api)
    manage(api, conversation["id"], message_type="snoozed", admin_id=ada["id"], snoozed_until=NOW + 10)
    clock.advance(20)
    assert globex.get("/conversations").json()["total_count"] == 0
    assert api.get(f"/conversations/{conversation['id']}").json()["state"] == "open"


def test_assign_to_an_admin_and_a_team_then_unassign(api, ada, team, clock):
    conversation = factories.conversation(api)
    bob = api.get("/admins").json()["admins"][1]
    clock.advance(30)
    to_bob = manage(
        api, conversation["id"], message_type="assignment", type="admin", admin_id=ada["id"], assignee_id=bob["id"]
    ).json()
    assert to_bob["admin_assignee_id"] == int(bob["id"])
    assert to_bob["conversation_parts"]["conversation_parts"][-1]["assigned_to"] == {"type": "admin", "id": bob["id"]}
    to_team = manage(
        api,
        conversation["id"],
        message_type="assignment",
        type="team",
        admin_id=ada["id"],
        assignee_id=team["id"],
        body="Support should look",
    ).json()
    assert to_team["team_assignee_id"] == int(team["id"]) and to_team["admin_assignee_id"] == int(bob["id"])
    assert to_team["conversation_parts"]["conversation_parts"][-1]["body"] == "Support should look"
    unassigned = manage(
        api, conversation["id"], message_type="assignment", type="admin", admin_id=ada["id"], assignee_id="0"
    ).json()
    assert unassigned["admin_assignee_id"] is None and unassigned["team_assignee_id"] == int(team["id"])
    assert unassigned["conversation_parts"]["conversation_parts"][-1]["assigned_to"] == {
        "type": "nobody_admin",
        "id": None,
    }
    stats = unassigned["statistics"]
    assert stats["count_assignments"] == 3
    assert stats["first_assignment_at"] == NOW + 30 and stats["time_to_assignment"] == 30


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"admin_id": "ADA"}, 400, "parameter_not_found", "message_type"),
        ({"message_type": "explode", "admin_id": "ADA"}, 400, "parameter_invalid", "message_type"),
        ({"message_type": "close", "type": "admin"}, 400, "parameter_not_found", "admin_id"),
        ({"message_type": "close", "type": "team", "admin_id": "ADA"}, 400, "parameter_invalid", "type"),
        ({"message_type": "close", "type": "admin", "admin_id": "424242"}, 404, "admin_not_found", "admin_id"),
        ({"message_type": "snoozed", "admin_id": "ADA"}, 400, "parameter_not_found", "snoozed_until"),
        (
            {"message_type": "snoozed", "admin_id": "ADA", "snoozed_until": "soon"},
            400,
            "parameter_invalid",
            "snoozed_until",
        ),
        ({"message_type": "assignment", "admin_id": "ADA", "assignee_id": "1"}, 400, "parameter_not_found", "type"),
        (
            {"message_type": "assignment", "type": "admin", "admin_id": "ADA", "assignee_id": "424242"},
            404,
            "assignee_not_found",
            "assignee_id",
        ),
        (
            {"message_type": "assignment", "type": "team", "admin_id": "ADA", "assignee_id": "424242"},
            404,
            "assignee_not_found",
            "assignee_id",
        ),
    ],
)
def test_bad_manage_requests_are_refused_and_change_nothing(api, ada, body, status, code, field):
    conversation = factories.conversation(api)
    if body.get("admin_id") == "ADA":
        body = {**body, "admin_id": ada["id"]}
    response = manage(api, conversation["id"], **body)
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert (error["code"], error.get("field")) == (code, field)
    assert api.get(f"/conversations/{conversation['id']}").json() == conversation


def test_manage_an_unknown_conversation(api, ada):
    response = manage(api, "31337", message_type="open", admin_id=ada["id"])
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "not_found"


def test_a_globex_team_cannot_be_assigned_in_acme(api, globex, ada):
    conversation = factories.conversation(api)
    villains = globex.get("/teams").json()["teams"][0]
    response = manage(
        api, conversation["id"], message_type="assignment", type="team", admin_id=ada["id"], assignee_id=villains["id"]
    )
    assert response.status_code == 404
