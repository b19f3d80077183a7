"""One-line builders for the things tests need, made through the public API like a client would."""

from __future__ import annotations

import itertools
from typing import Any

_seq = itertools.count(1)


def contact(api: Any, **fields: Any) -> dict[str, Any]:
    n = next(_seq)
    body = {"role": "user", "email": f"person{n}@example.test", "name": f"Person {n}", **fields}
    response = api.post("/contacts", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def conversation(
    api: Any, contact_id: str | None = None, body: str = "<p>I need support</p>", **fields: Any
) -> dict[str, Any]:
    """A contact-initiated conversation, returned as `GET /conversations/{id}` shows it."""
    if contact_id is None:
        contact_id = contact(api)["id"]
    created = api.post("/conversations", json={"from": {"type": "user", "id": contact_id}, "body": body, **fields})
    assert created.status_code == 200, created.text
    shown = api.get(f"/conversations/{created.json()['conversation_id']}")
    assert shown.status_code == 200, shown.text
    return dict(shown.json())


def ticket_type(api: Any, **fields: Any) -> dict[str, Any]:
    """A ticket type (a Customer one unless `category` says otherwise), as `POST /ticket_types` answers."""
    n = next(_seq)
    response = api.post("/ticket_types", json={"name": f"Ticket type {n}", **fields})
    assert response.status_code == 200, response.text
    return dict(response.json())


def stored_conversation(store: Any, now: int, email: str, body: str = "hello") -> int:
    """A contact-initiated conversation written straight through the store by the operation
    `POST /conversations` runs: for store tests that run their own transactions."""
    from inboxd.operations.contacts import create
    from inboxd.operations.conversations import start_by_contact

    contact = create(store, now, {"email": email})
    message_id = start_by_contact(store, now, contact["id"], body)
    return int(store.messages.require(message_id)["conversation_id"])


def costly_query() -> dict[str, Any]:
    """The costliest search query the limits allow (search/query.py: 15 children a group, the root
    group and one level of groups inside it): 15 OR groups of 15 filters on the source author's
    email, ORed, 225 filters in all. Each filter tests another table for every conversation (the
    author's two correlated subqueries, then a case-folded contains), and its value (`k0` … `k224`)
    is in no test address: nothing matches, so no filter is spared by a match and the page and the
    count test all 225 on every conversation of the workspace."""

    def leaf(i: int) -> dict[str, Any]:
        return {"field": "source.author.email", "operator": "~", "value": f"k{i}"}

    return {
        "operator": "OR",
        "value": [{"operator": "OR", "value": [leaf(i * 15 + j) for j in range(15)]} for i in range(15)],
    }
