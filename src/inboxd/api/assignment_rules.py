"""`POST /conversations/{id}/run_assignment_rules`: the workspace file's assignment rules, run on
one conversation (domain/assignment_rules.py)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from inboxd.api.conversations import conversation_answer
from inboxd.api.http import Call, endpoint
from inboxd.domain import assignment_rules as domain
from inboxd.domain.conversations import Actor
from inboxd.render.plaintext import to_plaintext
from inboxd.store.conversations import to_domain


def _facts(call: Call, row: dict[str, Any]) -> domain.Facts:
    related = call.store.conversations.related([row["id"]])[row["id"]]
    contacts = call.store.contacts.many(related["contacts"])
    tags = call.store.tags.many(tag["tag_id"] for tag in related["tags"])
    return domain.Facts(
        # Rules read what the contact sees, not the markup: "<b>refund</b>" contains "refund".
        body=to_plaintext(row["source_body"]) or "",
        contacts=tuple((contacts[i]["role"], contacts[i]["email"]) for i in related["contacts"] if i in contacts),
        tags=tuple(tag["name"] for tag in tags.values()),
    )


@endpoint(write=True)
def run(call: Call) -> Response:
    store = call.store
    row = store.conversations.require_row(store.conversations.parse_id(call.path["id"]))
    conversation = to_domain(row)
    rules = store.assignment_rules.in_order()
    teams = store.assignment_rules.teammates(rule.team_id for rule in rules if rule.round_robin)
    operator = Actor("bot", str(store.admins.operator_id()))
    outcome = domain.run(conversation, rules, _facts(call, row), teams, operator, call.now)
    store.conversations.apply(conversation, outcome.change)
    store.assignment_rules.record(outcome)
    return conversation_answer(call, row["id"])
