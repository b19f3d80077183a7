"""Running the workspace file's assignment rules on a conversation
(`POST /conversations/{id}/run_assignment_rules`, domain/assignment_rules.py)."""

from __future__ import annotations

from inboxd.domain import assignment_rules as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.html_text import html_to_text
from inboxd.operations.snoozes import current
from inboxd.store.scope import Store


def _facts(store: Store, conversation_id: int) -> domain.Facts:
    row = store.conversations.require_row(conversation_id)
    related = store.conversations.related([conversation_id])[conversation_id]
    ids = [contact.id for contact in related.contacts]
    contacts = store.contacts.many(ids)
    return domain.Facts(
        # Rules read what the contact sees, not the markup: "<b>refund</b>" contains "refund".
        body=html_to_text(row["source_body"] or ""),
        contacts=tuple((contacts[i]["role"], contacts[i]["email"]) for i in ids if i in contacts),
        tags=tuple(tag.name for tag in related.tags),
    )


def run(store: Store, now: int, conversation_id: str) -> int:
    number = store.conversations.parse_id(conversation_id)
    conversation = current(store, number, now)
    rules = store.assignment_rules.in_order()
    teams = store.assignment_rules.teammates(rule.team_id for rule in rules if rule.round_robin)
    operator = Actor("bot", str(store.admins.operator_id()))
    outcome = domain.run(conversation, rules, _facts(store, number), teams, operator, now)
    store.conversations.apply(conversation, outcome.change)
    store.assignment_rules.record(outcome)
    return number
