"""Assignment rules (`POST /conversations/{id}/run_assignment_rules`): pure Python, no HTTP, no SQL.

The rules come from the workspace file, in order; the first whose conditions all hold assigns the
conversation to its team and, with round robin, to the team's next available admin. A conversation
no rule matches is left as it is. The assignment itself is `conversations.assign`, authored by the
workspace's Operator bot: one `default_assignment` part per assignee that really changes, the part
Intercom's run_assignment_rules example shows (the statistics count it as an assignment).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inboxd.domain import conversations
from inboxd.domain.conversations import Actor, Change, Conversation

# What an assignment by the rules is recorded as: the part of the spec's autoAssignConversation
# example (2.7-2.11), where an admin's own assignment is an `assignment`.
RULE_PART = "default_assignment"


@dataclass(frozen=True)
class Conditions:
    """Each condition lists alternatives (any may hold); the conditions given must all hold; an
    empty tuple is a condition not given. Values are compared without regard to case."""

    body_contains: tuple[str, ...] = ()
    contact_email_domain: tuple[str, ...] = ()
    contact_role: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Conditions:
        return cls(**{name: tuple(values or ()) for name, values in data.items()})


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    conditions: Conditions
    team_id: int
    round_robin: bool
    last_admin_id: int | None  # who got this rule's last round-robin turn


@dataclass(frozen=True)
class Facts:
    """What the rules may look at in one conversation."""

    body: str  # the source's body as plain text (HTML stripped by the caller)
    contacts: tuple[tuple[str, str | None], ...]  # (role, email) of each participant
    tags: tuple[str, ...]  # names of the tags on the conversation


@dataclass(frozen=True)
class Teammate:
    id: int
    # Round robin skips admins in away mode, and those without an inbox seat, who cannot be assigned
    # conversations in Intercom.
    available: bool


@dataclass(frozen=True)
class Outcome:
    change: Change
    rule: Rule | None = None  # the rule that matched
    round_robin_admin_id: int | None = None  # the admin whose turn it was, to remember on the rule


def matches(conditions: Conditions, facts: Facts) -> bool:
    """Whether every condition given holds. Words are found anywhere in the body ("refund" also
    matches "refunds"); domains are compared whole ("bigcorp.com" is not "eu.bigcorp.com")."""
    body = facts.body.casefold()
    domains = {email.rsplit("@", 1)[-1].casefold() for _, email in facts.contacts if email and "@" in email}
    roles = {role for role, _ in facts.contacts}
    tags = {tag.casefold() for tag in facts.tags}
    if conditions.body_contains and not any(word.casefold() in body for word in conditions.body_contains):
        return False
    if conditions.contact_email_domain and not {d.casefold() for d in conditions.contact_email_domain} & domains:
        return False
    if conditions.contact_role and not set(conditions.contact_role) & roles:
        return False
    return not conditions.tag or bool({tag.casefold() for tag in conditions.tag} & tags)


def first_match(rules: Sequence[Rule], facts: Facts) -> Rule | None:
    return next((rule for rule in rules if matches(rule.conditions, facts)), None)


def next_admin(team: Sequence[Teammate], last_admin_id: int | None) -> int | None:
    """The available admin after ``last_admin_id`` in id order, wrapping around; None when nobody
    in the team is available. An admin who left the team or the rule's team changed still marks the
    place in the turn: the next id up goes next."""
    available = sorted(mate.id for mate in team if mate.available)
    if not available:
        return None
    if last_admin_id is None:
        return available[0]
    return next((admin_id for admin_id in available if admin_id > last_admin_id), available[0])


def run(
    conversation: Conversation,
    rules: Sequence[Rule],
    facts: Facts,
    teams: Mapping[int, Sequence[Teammate]],
    operator: Actor,
    now: int,
) -> Outcome:
    """Run the rules on a conversation; ``teams`` holds the members of each rule's team."""
    rule = first_match(rules, facts)
    if rule is None:
        return Outcome(Change(conversation))
    admin_id = next_admin(teams.get(rule.team_id, ()), rule.last_admin_id) if rule.round_robin else None
    change = Change(conversation)
    if conversation.team_assignee_id != rule.team_id:
        change = _then(change, Actor("team", str(rule.team_id)), operator, now)
    if admin_id is not None and change.conversation.admin_assignee_id != admin_id:
        change = _then(change, Actor("admin", str(admin_id)), operator, now)
    return Outcome(change, rule, admin_id)


def _then(change: Change, assignee: Actor, operator: Actor, now: int) -> Change:
    """``change`` followed by assigning ``assignee``."""
    step = conversations.assign(change.conversation, operator, assignee, None, now, part_type=RULE_PART)
    return Change(
        step.conversation,
        [*change.parts, *step.parts],
        [*change.add_teammates, *step.add_teammates],
        [*change.events, *step.events],
    )
