"""POST /conversations/{id}/run_assignment_rules with rules from the workspace file, on SQLite and
PostgreSQL. conftest's file has no rules: the `rules` fixture applies Acme again with some."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from inboxd.config import WorkspaceConfig
from inboxd.store.tables import assignment_rules
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import apply_workspace
from tests import factories
from tests.conftest import T0, WORKSPACES

NOW = T0 + 3600

RULES: list[dict[str, Any]] = [
    {"name": "VIP", "team": "Enterprise", "conditions": {"tag": ["vip"]}},
    {"name": "Big customers", "team": "Enterprise", "conditions": {"contact_email_domain": ["bigcorp.com"]}},
    {"name": "Billing", "team": "Billing", "round_robin": True, "conditions": {"body_contains": ["refund", "invoice"]}},
    {"name": "Leads", "team": "Support", "round_robin": True, "conditions": {"contact_role": ["lead"]}},
]


def acme_with_rules(rules: list[dict[str, Any]]) -> WorkspaceConfig:
    base = WORKSPACES.workspaces[0].model_dump(exclude_none=True)
    return WorkspaceConfig.model_validate(
        {
            **base,
            "admins": [
                *base["admins"],
                {"name": "Cat Away", "email": "cat@acme.test", "away_mode_enabled": True},
                {"name": "Dan Duty", "email": "dan@acme.test"},
                {"name": "Eve Seatless", "email": "eve@acme.test", "has_inbox_seat": False},
            ],
            "teams": [
                *base["teams"],
                {
                    "name": "Billing",
                    "admin_emails": ["bob@acme.test", "cat@acme.test", "dan@acme.test", "eve@acme.test"],
                },
                {"name": "Enterprise", "admin_emails": ["ada@acme.test"]},
            ],
            "assignment_rules": rules,
        }
    )


def apply(engine, rules: list[dict[str, Any]]) -> None:
    with transaction(engine, write=True) as conn:
        apply_workspace(conn, acme_with_rules(rules), T0)


@pytest.fixture
def rules(engine):
    apply(engine, RULES)


@pytest.fixture
def people(api, rules) -> dict[str, Any]:
    found = {admin["email"].split("@")[0]: admin for admin in api.get("/admins").json()["admins"]}
    found.update({team["name"]: team for team in api.get("/teams").json()["teams"]})
    return found


def run(api, conversation_id: str, **kwargs: Any) -> Any:
    return api.post(f"/conversations/{conversation_id}/run_assignment_rules", **kwargs)


def refund_request(api) -> dict[str, Any]:
    return factories.conversation(api, body="<p>Please <b>refund</b> my order</p>")


def test_round_robin_takes_the_billing_admins_in_turn_skipping_unavailable_ones(api, people, clock):
    assigned = []
    for _ in range(3):
        conversation = refund_request(api)
        clock.advance(60)
        response = run(api, conversation["id"])
        assert response.status_code == 200
        ran = response.json()
        assert ran["team_assignee_id"] == int(people["Billing"]["id"])
        assigned.append(ran["admin_assignee_id"])
    # Cat is away and Eve has no inbox seat: Bob and Dan take turns.
    assert assigned == [int(people["bob"]["id"]), int(people["dan"]["id"]), int(people["bob"]["id"])]


def test_the_assignment_is_recorded_as_parts_by_the_operator(api, people, clock):
    conversation = refund_request(api)
    clock.advance(60)
    ran = run(api, conversation["id"]).json()
    parts = ran["conversation_parts"]["conversation_parts"]
    assert [(p["part_type"], p["assigned_to"]) for p in parts] == [
        ("default_assignment", {"type": "team", "id": people["Billing"]["id"]}),
        ("default_assignment", {"type": "admin", "id": people["bob"]["id"]}),
    ]
    assert {p["author"]["type"] for p in parts} == {"bot"}
    assert parts[0]["author"]["name"] == "Operator"
    assert ran["updated_at"] == NOW + 60
    assert ran["statistics"]["first_assignment_at"] == NOW + 60
    assert ran["statistics"]["count_assignments"] == 2  # a default_assignment is an assignment
    assert api.get(f"/conversations/{conversation['id']}").json() == ran
    # From 2.13 each part names the state it left the conversation in (open: assignment moves none).
    newer = api.at("2.13").get(f"/conversations/{conversation['id']}").json()
    assert [p["state"] for p in newer["conversation_parts"]["conversation_parts"]] == ["open", "open"]


def test_the_first_matching_rule_wins(api, people):
    conversation = refund_request(api)  # Billing would match too, but VIP comes first
    tag = api.post("/tags", json={"name": "VIP"}).json()
    api.post(f"/conversations/{conversation['id']}/tags", json={"id": tag["id"], "admin_id": people["ada"]["id"]})
    ran = run(api, conversation["id"]).json()
    assert ran["team_assignee_id"] == int(people["Enterprise"]["id"])
    assert ran["admin_assignee_id"] is None  # no round robin on that rule
    assert len(ran["conversation_parts"]["conversation_parts"]) == 1


def test_no_match_leaves_the_conversation_as_it_is(api, rules, clock):
    conversation = factories.conversation(api, body="Just saying hello")
    clock.advance(60)
    ran = run(api, conversation["id"]).json()
    assert ran == conversation


def test_contact_email_domain(api, people):
    contact = factories.contact(api, email="ann@BigCorp.com")
    conversation = factories.conversation(api, contact["id"], body="hello")
    assert run(api, conversation["id"]).json()["team_assignee_id"] == int(people["Enterprise"]["id"])
    elsewhere = factories.conversation(api, factories.contact(api, email="ann@bigcorp.com.evil.test")["id"])
    assert run(api, elsewhere["id"]).json()["team_assignee_id"] is None


def test_contact_role(api, people):
    lead = factories.contact(api, role="lead")
    conversation = factories.conversation(api, lead["id"], body="hello")
    ran = run(api, conversation["id"]).json()
    assert ran["team_assignee_id"] == int(people["Support"]["id"])
    assert ran["admin_assignee_id"] == int(people["ada"]["id"])


@pytest.mark.parametrize(
    ("body", "matches"),
    [
        ("<p>Where is my INVOICE?</p>", True),
        ("ref<b>und</b> please", True),  # the text the contact sees, not the markup
        ('<a href="https://shop.test/refund">this</a> is broken', False),
        ("hello", False),
    ],
)
def test_body_contains_reads_the_plain_text(api, people, body, matches):
    conversation = factories.conversation(api, body=body)
    ran = run(api, conversation["id"]).json()
    assert (ran["team_assignee_id"] == int(people["Billing"]["id"])) is matches


def test_running_again_changes_only_what_is_new(api, people):
    conversation = refund_request(api)
    first = run(api, conversation["id"]).json()
    assert first["admin_assignee_id"] == int(people["bob"]["id"])
    again = run(api, conversation["id"]).json()
    # The team stays, so no part for it; the next turn is Dan's.
    assert again["admin_assignee_id"] == int(people["dan"]["id"])
    parts = again["conversation_parts"]["conversation_parts"]
    assert [p["assigned_to"]["id"] for p in parts] == [
        people["Billing"]["id"],
        people["bob"]["id"],
        people["dan"]["id"],
    ]


def test_reapplying_the_file_keeps_the_turn_of_rules_that_stay(api, engine, people):
    run(api, refund_request(api)["id"])  # Bob's turn taken
    apply(engine, [RULES[2], {"name": "Catch-all", "team": "Support"}])  # reordered, others dropped
    with transaction(engine, write=False) as conn:
        rows = conn.execute(select(assignment_rules).order_by(assignment_rules.c.position)).all()
    assert [(r.name, r.position, r.last_admin_id) for r in rows] == [
        ("Billing", 0, int(people["bob"]["id"])),
        ("Catch-all", 1, None),
    ]
    assert run(api, refund_request(api)["id"]).json()["admin_assignee_id"] == int(people["dan"]["id"])
    caught = run(api, factories.conversation(api, body="hello")["id"]).json()
    assert caught["team_assignee_id"] == int(people["Support"]["id"]) and caught["admin_assignee_id"] is None

    apply(engine, [])
    with transaction(engine, write=False) as conn:
        assert conn.execute(select(assignment_rules)).all() == []


@pytest.mark.parametrize("bad_id", ["999999", "abc"])
def test_unknown_conversation(api, rules, bad_id):
    response = run(api, bad_id)
    assert response.status_code == 404
    assert response.json()["errors"][0] == {"code": "not_found", "message": "Resource Not Found"}


def test_rules_belong_to_their_workspace(api, globex, rules):
    conversation = refund_request(api)
    assert run(globex, conversation["id"]).status_code == 404
    theirs = factories.conversation(globex, body="refund please")
    assert run(globex, theirs["id"]).json() == theirs  # Globex has no rules
