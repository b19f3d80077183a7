"""The spec's own examples, replayed: for every operation of the spec's Conversations section, each
request example of intercom-2.10.yaml is sent (its ids replaced by ones that exist, or kept unknown
where the example is about an unknown one) and the answer must have the shape of the response
example of the same name: the same keys, the same JSON types, all the way down.

A `null` on either side says nothing about a shape (the spec's examples are full of `null` where a
real conversation has statistics or teammates), so it matches any type. Lists are compared element
by element against the example's element of the same `type`/`part_type` (or its first element).
Where inboxd differs on purpose, the difference is allowed in ALLOWED with the line of
docs/decisions.md that says why.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests import factories, spec

# (operationId or "*", path of the difference with [] for list elements) → why inboxd differs.
ALLOWED: dict[tuple[str, str], str] = {
    ("*", "errors[].field"): "decisions.md, Requests and errors: errors about one field add `field`",
    ("*", "custom_attributes"): "decisions.md, Conversations: `custom_attributes` is rendered (Intercom sends it)",
    ("*", "conversations[].custom_attributes"): "decisions.md, Conversations: as above, in lists",
    ("convertConversationToTicket", "ticket_type.ticket_type_attributes.data"): "decisions.md, Tickets: the "
    "`ticket_type_attribute_list` schema names the list `ticket_type_attributes`; the example's `data` contradicts it",
    ("convertConversationToTicket", "ticket_type.ticket_type_attributes.ticket_type_attributes"): "as above",
    ("convertConversationToTicket", "ticket_parts.ticket_parts[].body"): "decisions.md, Tickets: a ticket part sends "
    "every property of the `ticket_part` schema, null when empty, where the example leaves some out",
    ("convertConversationToTicket", "ticket_parts.ticket_parts[].assigned_to"): "as above",
    ("convertConversationToTicket", "ticket_parts.ticket_parts[].external_id"): "as above",
}


@dataclass
class World:
    """What the replayed examples name: ids that exist, and ids that do not."""

    admin: str
    other_admin: str
    team: str
    user: dict[str, Any]
    lead: dict[str, Any]
    conversation: dict[str, Any]
    tag: dict[str, Any]
    customer_type: dict[str, Any]
    tracker_type: dict[str, Any]
    missing: dict[str, str] = field(default_factory=lambda: {"conversation": "999999", "tag": "999999"})


@pytest.fixture
def world(api: Any) -> World:
    admins = api.get("/admins").json()["admins"]
    user = factories.contact(api)
    lead = factories.contact(api, role="lead", email=None)
    conversation = factories.conversation(api, contact_id=user["id"])
    tag = api.post("/tags", json={"name": "example"}).json()
    # On the conversation already: detaching it is the detach example's success (a tag not on the
    # conversation is its tag_not_found), and attaching it again changes nothing.
    attached = api.post(
        f"/conversations/{conversation['id']}/tags", json={"id": tag["id"], "admin_id": admins[0]["id"]}
    )
    assert attached.status_code == 200, attached.text
    return World(
        admin=admins[0]["id"],
        other_admin=admins[1]["id"],
        team=api.get("/teams").json()["teams"][0]["id"],
        user=user,
        lead=lead,
        conversation=conversation,
        tag=tag,
        customer_type=factories.ticket_type(api, category="Customer"),
        tracker_type=factories.ticket_type(api, category="Tracker"),
    )


@dataclass
class Replay:
    """One request example: where it goes and the body it sends, both built from the world."""

    example: str  # the request example's key; the response example is the one named by its summary
    path: Callable[[World], str]
    body: Callable[[World, dict[str, Any]], dict[str, Any] | None] = lambda w, b: b
    status: int = 200
    response: str | None = None  # the response example's name, when there is no request example


def _set(body: dict[str, Any], **values: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    for dotted, value in values.items():
        target = out
        *parents, last = dotted.split("__")
        for name in parents:
            target = target[name]
        target[last] = value
    return out


def _conv(w: World) -> str:
    return str(w.conversation["id"])


# operationId → the examples, in the order they are replayed (later ones may rely on earlier ones).
REPLAYS: dict[str, list[Replay]] = {
    "attachTagToConversation": [
        Replay("conversation_not_found", lambda w: f"/conversations/{w.missing['conversation']}/tags", status=404),
        Replay(
            "successful",
            lambda w: f"/conversations/{_conv(w)}/tags",
            lambda w, b: _set(b, id=w.tag["id"], admin_id=w.admin),
        ),
    ],
    "detachTagFromConversation": [
        Replay(
            "conversation_not_found",
            lambda w: f"/conversations/{w.missing['conversation']}/tags/{w.tag['id']}",
            lambda w, b: _set(b, admin_id=w.admin),
            status=404,
        ),
        Replay(
            "tag_not_found",
            lambda w: f"/conversations/{_conv(w)}/tags/{w.missing['tag']}",
            lambda w, b: _set(b, admin_id=w.admin),
            status=404,
        ),
        Replay(
            "successful",
            lambda w: f"/conversations/{_conv(w)}/tags/{w.tag['id']}",
            lambda w, b: _set(b, admin_id=w.admin),
        ),
    ],
    "listConversations": [Replay("", lambda w: "/conversations", response="successful")],
    "createConversation": [
        Replay("conversation_created", lambda w: "/conversations", lambda w, b: _set(b, from__id=w.user["id"])),
        Replay("contact_not_found", lambda w: "/conversations", status=404),
    ],
    "retrieveConversation": [
        Replay("", lambda w: f"/conversations/{_conv(w)}", response="conversation found"),
        Replay("", lambda w: f"/conversations/{w.missing['conversation']}", status=404, response="Not found"),
    ],
    "updateConversation": [
        Replay("conversation_found", lambda w: f"/conversations/{_conv(w)}"),
        Replay("not_found", lambda w: f"/conversations/{w.missing['conversation']}", status=404),
    ],
    "searchConversations": [Replay("successful", lambda w: "/conversations/search")],
    "replyConversation": [
        Replay(
            "user_reply",
            lambda w: f"/conversations/{_conv(w)}/reply",
            lambda w, b: _set(b, intercom_user_id=w.user["id"]),
        ),
        Replay(
            "admin_note_reply", lambda w: f"/conversations/{_conv(w)}/reply", lambda w, b: _set(b, admin_id=w.admin)
        ),
        Replay(
            "user_last_conversation_reply",
            lambda w: "/conversations/last/reply",
            lambda w, b: _set(b, intercom_user_id=w.user["id"]),
        ),
        Replay(
            "not_found",
            lambda w: f"/conversations/{w.missing['conversation']}/reply",
            lambda w, b: _set(b, intercom_user_id=w.user["id"]),
            status=404,
        ),
    ],
    "manageConversation": [
        Replay(
            "close_a_conversation",
            lambda w: f"/conversations/{_conv(w)}/parts",
            lambda w, b: _set(b, admin_id=w.admin),
        ),
        Replay(
            "snooze_a_conversation",
            lambda w: f"/conversations/{_conv(w)}/parts",
            # The example's date is in the past for any clock but May 2024's: a day from now instead.
            lambda w, b: _set(b, admin_id=w.admin, snoozed_until=w.conversation["created_at"] + 86_400),
        ),
        Replay(
            "open_a_conversation", lambda w: f"/conversations/{_conv(w)}/parts", lambda w, b: _set(b, admin_id=w.admin)
        ),
        Replay(
            "assign_a_conversation",
            lambda w: f"/conversations/{_conv(w)}/parts",
            lambda w, b: _set(b, admin_id=w.admin, assignee_id=w.other_admin),
        ),
        Replay(
            "not_found",
            lambda w: f"/conversations/{w.missing['conversation']}/parts",
            lambda w, b: _set(b, admin_id=w.admin),
            status=404,
        ),
    ],
    "autoAssignConversation": [
        Replay(
            "",
            lambda w: f"/conversations/{_conv(w)}/run_assignment_rules",
            response="Assign a conversation using assignment rules",
        ),
        Replay(
            "",
            lambda w: f"/conversations/{w.missing['conversation']}/run_assignment_rules",
            status=404,
            response="Not found",
        ),
    ],
    "attachContactToConversation": [
        Replay(
            "attach_a_contact_to_a_conversation",
            lambda w: f"/conversations/{_conv(w)}/customers",
            lambda w, b: _set(b, admin_id=w.admin, customer__intercom_user_id=w.lead["id"]),
        ),
        Replay(
            "not_found",
            lambda w: f"/conversations/{w.missing['conversation']}/customers",
            lambda w, b: _set(b, admin_id=w.admin, customer__intercom_user_id=w.lead["id"]),
            status=404,
        ),
    ],
    "detachContactFromConversation": [
        Replay(
            "conversation_not_found",
            lambda w: f"/conversations/{w.missing['conversation']}/customers/{w.lead['id']}",
            lambda w, b: _set(b, admin_id=w.admin),
            status=404,
        ),
        Replay(
            "contact_not_found",
            lambda w: f"/conversations/{_conv(w)}/customers/6657ace46abd0166b52ae2ab",
            lambda w, b: _set(b, admin_id=w.admin),
            status=404,
        ),
        # Two participants first: the lead joins, so that detaching is allowed once.
        Replay(
            "detach_a_contact_from_a_group_conversation",
            lambda w: f"/conversations/{_conv(w)}/customers/{w.lead['id']}",
            lambda w, b: _set(b, admin_id=w.admin),
        ),
        Replay(
            "last_customer",
            lambda w: f"/conversations/{_conv(w)}/customers/{w.user['id']}",
            lambda w, b: _set(b, admin_id=w.admin),
            status=422,
        ),
    ],
    "redactConversation": [
        Replay(
            "redact_a_conversation_part",
            lambda w: "/conversations/redact",
            lambda w, b: _set(b, conversation_id=_conv(w), conversation_part_id=w.conversation["_part"]),
        ),
        Replay("not_found", lambda w: "/conversations/redact", status=404),
    ],
    "convertConversationToTicket": [
        Replay(
            "bad_request",
            lambda w: f"/conversations/{_conv(w)}/convert",
            lambda w, b: _set(b, ticket_type_id=w.tracker_type["id"]),
            status=400,
        ),
        Replay(
            "successful",
            lambda w: f"/conversations/{_conv(w)}/convert",
            lambda w, b: _set(b, ticket_type_id=w.customer_type["id"]),
        ),
    ],
}


def conversation_operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId → (method, path, operation) for every operation tagged Conversations."""
    out = {}
    for path, item in spec.spec()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "Conversations" in operation.get("tags", []):
                out[operation["operationId"]] = (method.upper(), path, operation)
    return out


def test_every_conversation_operation_is_replayed():
    assert set(REPLAYS) == set(conversation_operations())


@pytest.mark.parametrize("operation_id", sorted(REPLAYS))
def test_the_spec_examples_replayed(api: Any, world: World, operation_id: str) -> None:
    method, template, operation = conversation_operations()[operation_id]
    requests = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("examples", {})
    if operation_id == "redactConversation":
        world.conversation["_part"] = _a_contact_comment(api, world)
    if operation_id == "detachContactFromConversation":
        attach = {"admin_id": world.admin, "customer": {"intercom_user_id": world.lead["id"]}}
        assert api.post(f"/conversations/{world.conversation['id']}/customers", json=attach).status_code == 200
    for replay in REPLAYS[operation_id]:
        example = requests.get(replay.example, {})
        body = replay.body(world, copy.deepcopy(example.get("value"))) if example else None
        name = replay.response or example["summary"]
        response = api.request(method, replay.path(world), json=body)
        assert response.status_code == replay.status, (replay.example or name, response.text)
        expected = operation["responses"][str(replay.status)]["content"]["application/json"]["examples"][name]["value"]
        differences = [d for d in shape_differences(expected, response.json()) if not _allowed(operation_id, d)]
        assert not differences, f"{operation_id} / {name}: {differences}"
    # The 401 example: any call without a token.
    unauthorized = operation["responses"].get("401")
    if unauthorized:
        expected = next(iter(unauthorized["content"]["application/json"]["examples"].values()))["value"]
        response = api.client.request(method, re.sub(r"\{[^}]+\}", "1", template))
        assert response.status_code == 401
        assert not shape_differences(expected, response.json())


def _a_contact_comment(api: Any, world: World) -> str:
    reply = {"message_type": "comment", "type": "user", "intercom_user_id": world.user["id"], "body": "Oops, my card"}
    replied = api.post(f"/conversations/{world.conversation['id']}/reply", json=reply).json()
    return str(replied["conversation_parts"]["conversation_parts"][-1]["id"])


def _allowed(operation_id: str, difference: str) -> bool:
    path = difference.split(":", 1)[0]
    return (operation_id, path) in ALLOWED or ("*", path) in ALLOWED


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", dict: "object", list: "array", type(None): "null"}[type(value)]


def shape_differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where ``actual`` differs in shape from ``expected``: "path: what", paths with [] for items."""
    if expected is None or actual is None:
        return []
    kinds = (_kind(expected), _kind(actual))
    if kinds[0] != kinds[1]:
        return [f"{path or '(root)'}: {kinds[0]} in the example, {kinds[1]} in the answer"]
    if isinstance(expected, dict):
        out = [f"{_join(path, key)}: missing" for key in expected if key not in actual]
        out += [f"{_join(path, key)}: not in the example" for key in actual if key not in expected]
        for key in expected.keys() & actual.keys():
            out += shape_differences(expected[key], actual[key], _join(path, key))
        return out
    if isinstance(expected, list) and expected:
        out = []
        for item in actual:
            out += shape_differences(_same_kind(expected, item), item, f"{path}[]")
        return sorted(set(out))
    return []


def _same_kind(examples: list[Any], item: Any) -> Any:
    if isinstance(item, dict):
        for key in ("part_type", "type"):
            for example in examples:
                if isinstance(example, dict) and key in item and example.get(key) == item[key]:
                    return example
    return examples[0]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
