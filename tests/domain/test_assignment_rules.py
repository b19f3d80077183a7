"""Assignment rules without a database: conditions, first match, round robin, the parts written."""

from __future__ import annotations

from dataclasses import replace

import pytest

from inboxd.domain import assignment_rules as rules
from inboxd.domain import conversations as domain
from inboxd.domain.assignment_rules import Conditions, Facts, Rule, Teammate
from inboxd.domain.conversations import Actor

CONTACT = Actor("user", "5f0000000000000000000001")
OPERATOR = Actor("bot", "1")
T = 1_000_000
BILLING, SALES = 10, 20


def facts(body: str = "hello", emails: tuple[str | None, ...] = ("ann@example.com",), tags=(), role="user") -> Facts:
    return Facts(body=body, contacts=tuple((role, email) for email in emails), tags=tuple(tags))


def rule(rule_id: int = 1, team_id: int = BILLING, round_robin: bool = False, last=None, **conditions) -> Rule:
    return Rule(
        id=rule_id,
        name=f"rule {rule_id}",
        conditions=Conditions.from_dict(conditions),
        team_id=team_id,
        round_robin=round_robin,
        last_admin_id=last,
    )


def conversation():
    started, _ = domain.start_by_contact(CONTACT, "<p>Hi</p>", None, [], T)
    return replace(started, id=7)


# -- conditions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "given", "expected"),
    [
        ({}, facts(), True),  # a catch-all
        ({"body_contains": ["refund", "invoice"]}, facts(body="Where is my INVOICE?"), True),
        ({"body_contains": ["refund"]}, facts(body="Refunds please"), True),  # a substring
        ({"body_contains": ["refund"]}, facts(body="hello"), False),
        ({"contact_email_domain": ["bigcorp.com"]}, facts(emails=("Ann@BigCorp.com",)), True),
        ({"contact_email_domain": ["bigcorp.com"]}, facts(emails=("ann@eu.bigcorp.com",)), False),
        ({"contact_email_domain": ["bigcorp.com"]}, facts(emails=(None, "x@bigcorp.com")), True),  # any contact
        ({"contact_email_domain": ["bigcorp.com"]}, facts(emails=(None,)), False),
        ({"contact_role": ["lead"]}, facts(role="lead"), True),
        ({"contact_role": ["lead"]}, facts(role="user"), False),
        ({"tag": ["VIP"]}, facts(tags=("vip", "other")), True),
        ({"tag": ["VIP"]}, facts(tags=()), False),
        # Conditions together must all hold.
        ({"tag": ["VIP"], "body_contains": ["refund"]}, facts(body="refund", tags=("VIP",)), True),
        ({"tag": ["VIP"], "body_contains": ["refund"]}, facts(body="hello", tags=("VIP",)), False),
    ],
)
def test_conditions(conditions, given, expected):
    assert rules.matches(Conditions.from_dict(conditions), given) is expected


def test_the_first_matching_rule_wins():
    ordered = [rule(1, body_contains=["nothing here"]), rule(2, team_id=SALES), rule(3)]
    assert rules.first_match(ordered, facts()) == ordered[1]
    assert rules.first_match(ordered[:1], facts()) is None


# -- round robin ------------------------------------------------------------------------------------


TEAM = [Teammate(3, True), Teammate(5, True), Teammate(8, True)]


@pytest.mark.parametrize(("last", "expected"), [(None, 3), (3, 5), (5, 8), (8, 3), (4, 5), (99, 3)])
def test_round_robin_takes_the_next_admin_in_turn(last, expected):
    assert rules.next_admin(TEAM, last) == expected


def test_round_robin_skips_unavailable_admins():
    team = [Teammate(3, True), Teammate(5, False), Teammate(8, True)]
    assert rules.next_admin(team, 3) == 8
    assert rules.next_admin([Teammate(3, False)], None) is None
    assert rules.next_admin([], None) is None


# -- running ----------------------------------------------------------------------------------------


def test_a_match_assigns_the_team_and_the_admin_in_turn_as_the_operator():
    matched = rule(round_robin=True, last=3)
    outcome = rules.run(conversation(), [matched], facts(), {BILLING: TEAM}, OPERATOR, T + 60)
    assert outcome.rule == matched and outcome.round_robin_admin_id == 5
    assert outcome.change.conversation.team_assignee_id == BILLING
    assert outcome.change.conversation.admin_assignee_id == 5
    assert [(p.part_type, p.author, p.assigned_to) for p in outcome.change.parts] == [
        ("default_assignment", OPERATOR, Actor("team", str(BILLING))),
        ("default_assignment", OPERATOR, Actor("admin", "5")),
    ]
    assert outcome.change.conversation.stats.count_assignments == 2
    assert outcome.change.conversation.updated_at == T + 60


def test_without_round_robin_only_the_team_is_assigned():
    start = replace(conversation(), admin_assignee_id=3)
    outcome = rules.run(start, [rule()], facts(), {}, OPERATOR, T)
    assert outcome.round_robin_admin_id is None
    assert outcome.change.conversation.team_assignee_id == BILLING
    assert outcome.change.conversation.admin_assignee_id == 3
    assert len(outcome.change.parts) == 1


def test_only_assignees_that_change_get_a_part():
    start = replace(conversation(), team_assignee_id=BILLING)
    outcome = rules.run(start, [rule(round_robin=True)], facts(), {BILLING: TEAM}, OPERATOR, T)
    assert [p.assigned_to for p in outcome.change.parts] == [Actor("admin", "3")]
    again = rules.run(
        outcome.change.conversation, [rule(round_robin=True, last=8)], facts(), {BILLING: TEAM}, OPERATOR, T
    )
    assert again.change.parts == [] and again.round_robin_admin_id == 3


def test_no_match_leaves_the_conversation_as_it_is():
    start = conversation()
    outcome = rules.run(start, [rule(tag=["VIP"])], facts(), {}, OPERATOR, T + 60)
    assert outcome.rule is None and outcome.round_robin_admin_id is None
    assert outcome.change.conversation == start and outcome.change.parts == []


def test_a_team_with_nobody_available_gets_the_conversation_alone():
    outcome = rules.run(conversation(), [rule(round_robin=True)], facts(), {BILLING: [Teammate(3, False)]}, OPERATOR, T)
    assert outcome.change.conversation.team_assignee_id == BILLING
    assert outcome.change.conversation.admin_assignee_id is None
    assert outcome.round_robin_admin_id is None
