"""The spec's own examples, replayed in every version inboxd draws (2.7 to 2.16, domain/versions.py
SHAPES): for every operation of the Conversations section of intercom-<version>.yaml, each request
example of that description is sent in that version (its ids replaced by ones that exist, or kept
unknown where the example is about an unknown one) and the answer must have the shape of the
response example of the same name: the same keys, the same JSON types, all the way down. Each
answer is also validated against that version's description (tests/spec.py). Preview is drawn in
2.16's shape (test_versions.py checks they answer the same) and is not replayed apart.

A `null` on either side says nothing about a shape (the spec's examples are full of `null` where a
real conversation has statistics or teammates), so it matches any type. Lists are compared element
by element against the example's element of the same `type`/`part_type` (or its first element).
Where inboxd differs on purpose, the difference is allowed in ALLOWED with the line of
docs/decisions.md that says why.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.testclient import TestClient

from inboxd.app import create_app
from inboxd.domain.clock import FrozenClock
from inboxd.domain.versions import SHAPES
from tests import factories, spec
from tests.conftest import ACME_TOKEN, T0, Api

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
    ("convertConversationToTicket", "ticket_type.ticket_states"): "from 2.12 the `ticket_type` schema lists its "
    "ticket_states (render/versions/changes.py); the examples leave them out",
    ("convertConversationToTicket", "ticket_parts.ticket_parts[].app_package_code"): "from 2.13 `ticket_part` has a "
    "non-nullable app_package_code: left out, as no part is made by an app",
    ("listConversations", "pages.next"): "the example lists one page; this module's database holds more "
    "conversations than a page, and every description's `pages` has `next`",
    ("searchConversations", "pages.next"): "as above",
    ("replyConversation", "conversation_parts.conversation_parts[].metadata.quick_reply_options"): "decisions.md, "
    "Versions: a quick reply part's metadata lists its options, as `conversation_part_metadata` describes; the "
    "example's metadata is empty",
    ("replyConversation", "conversation_parts.conversation_parts[].metadata.quick_reply_uuid"): "as above: the "
    "contact's quick reply, replayed before, names the option it chose",
}

# Differences in one version only: (shape, path, with no leading "conversations[]." of a list) →
# why. Most are a version's examples lagging its own schemas: examples copied from an older
# version's, without the fields the version added (inboxd draws what the schemas describe,
# render/versions/changes.py), or once ahead of them.
_BEHIND = "the examples of this version predate a field its schema has (render/versions/changes.py)"
ALLOWED_IN: dict[tuple[str, str], str] = {
    **{
        (shape, "contacts.contacts[].external_id"): "the 2.7-2.9 examples leave out `external_id`, which their "
        "`contact_reference` has"
        for shape in ("2.7", "2.8", "2.9")
    },
    ("2.9", "ticket"): "the 2.9 examples show a `ticket` that 2.9's `conversation` schema lacks (2.10 links tickets)",
    ("2.11", "conversation_rating"): "changes.py: 2.11 types conversation_rating as not nullable, so none is left out",
    ("2.11", "subject"): "changes.py: 2.11's `message` requires a subject, empty when none",
    ("2.13", "conversation_parts.conversation_parts[].metadata"): "the 2.13 examples show a part's `metadata`, "
    "which 2.13's `conversation_part` lacks (2.14 has it)",
    **{
        (shape, path): _BEHIND
        for shapes, paths in (
            (
                ("2.13", "2.14", "2.15", "2.16"),
                (
                    "conversation_parts.conversation_parts[].event_details",
                    "conversation_parts.conversation_parts[].tags",
                    "conversation_parts.conversation_parts[].state",
                ),
            ),
            (
                ("2.14", "2.15", "2.16"),
                (
                    "conversation_parts.conversation_parts[].author.from_ai_agent",
                    "conversation_parts.conversation_parts[].author.is_ai_answer",
                    "source.author.from_ai_agent",
                    "source.author.is_ai_answer",
                    "ticket_parts.ticket_parts[].updated_attribute_data",
                ),
            ),
            (("2.15", "2.16"), ("company",)),
            (
                ("2.16",),
                (
                    "sales_agent_participated",
                    "sales_agent",
                    "channel",
                    "external_references",
                    "monitor_evaluations",
                    "scorecards",
                    "source.recipients",
                    "source.reply_to",
                    "source.email_message_metadata",
                    "previous_ticket_state_id",
                ),
            ),
        )
        for shape in shapes
        for path in paths
    },
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


@pytest.fixture(scope="module")
def api(module_engine: tuple[str, Any]) -> Iterator[Api]:
    """One app and database per engine for every replay of the module (each replay makes a world of
    its own in it): a fresh database per operation and version would cost more than the replays."""
    with TestClient(create_app(module_engine[1], FrozenClock(T0 + 3600), rate_limit=0)) as client:
        yield Api(client, ACME_TOKEN)


@pytest.fixture(scope="module")
def shared(api: Api) -> dict[str, Any]:
    """What every world of the module may share: the admins, a team, a tag, two ticket types."""
    admins = api.get("/admins").json()["admins"]
    return {
        "admin": admins[0]["id"],
        "other_admin": admins[1]["id"],
        "team": api.get("/teams").json()["teams"][0]["id"],
        "tag": api.post("/tags", json={"name": "example"}).json(),
        "customer_type": factories.ticket_type(api, category="Customer"),
        "tracker_type": factories.ticket_type(api, category="Tracker"),
    }


@pytest.fixture
def world(api: Api, shared: dict[str, Any]) -> World:
    """Made in the workspace's default version, which every replayed version can name: contacts and
    a conversation of its own, which its replays change."""
    user = factories.contact(api)
    lead = factories.contact(api, role="lead", email=None)
    conversation = factories.conversation(api, contact_id=user["id"])
    # On the conversation already: detaching it is the detach example's success (a tag not on the
    # conversation is its tag_not_found), and attaching it again changes nothing.
    attached = api.post(
        f"/conversations/{conversation['id']}/tags", json={"id": shared["tag"]["id"], "admin_id": shared["admin"]}
    )
    assert attached.status_code == 200, attached.text
    return World(user=user, lead=lead, conversation=conversation, **shared)


@dataclass
class Replay:
    """One request example: where it goes and the body it sends, both built from the world."""

    example: str  # the request example's key; the response example is the one named by its summary
    path: Callable[[World], str]
    body: Callable[[World, dict[str, Any]], dict[str, Any] | None] = lambda w, b: b
    status: int = 200
    response: str | None = None  # the response example's name, when there is no request example

    @property
    def label(self) -> str:
        """The replay's name: its request example, or the response example it expects."""
        return self.example or str(self.response)


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
        Replay(  # 2.13 and later
            "update_a_conversation_with_an_association_to_a_custom_object_instance",
            lambda w: f"/conversations/{_conv(w)}",
        ),
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
        Replay(  # 2.14 and later
            "admin_quick_reply_reply",
            lambda w: f"/conversations/{_conv(w)}/reply",
            lambda w, b: _set(b, admin_id=w.admin),
        ),
        Replay(  # 2.14 and later; its answer is a user reply's
            "contact_quick_reply_reply",
            lambda w: f"/conversations/{_conv(w)}/reply",
            lambda w, b: _set(b, intercom_user_id=w.user["id"]),
            response="User reply",
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
    "deleteConversation": [  # 2.13 and later
        Replay("", lambda w: f"/conversations/{_conv(w)}", response="successful"),
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


# (operationId, Replay.label) → what inboxd does not do (docs/compatibility.md): the example is
# refused with a 4xx error.list, a clear answer, instead of answered as the example shows.
UNSUPPORTED: dict[tuple[str, str], str] = {
    ("updateConversation", "update_a_conversation_with_an_association_to_a_custom_object_instance"): "decisions.md, "
    "Conversations: no custom objects, and a list as a custom attribute is a 400",
}

# Conversations operations of some description that inboxd does not serve (docs/compatibility.md):
# nothing to replay; tests/api/test_unserved.py checks that each is a clear 4xx in every version.
NOT_SERVED = {"listHandlingEvents", "listSideConversations", "mergeConversation", "listDeletedConversationIds"}


@functools.cache
def conversation_operations(shape: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId → (method, path, operation) for every operation tagged Conversations in the
    description of ``shape``."""
    out = {}
    for path, item in spec.spec(shape)["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "Conversations" in operation.get("tags", []):
                out[operation["operationId"]] = (method.upper(), path, operation)
    return out


def _request_examples(operation: dict[str, Any]) -> dict[str, Any]:
    return dict(operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("examples", {}))


def _response_examples(operation: dict[str, Any], status: int) -> dict[str, Any]:
    documented = operation["responses"].get(str(status), {})
    return dict(documented.get("content", {}).get("application/json", {}).get("examples", {}))


def _played(shape: str, operation_id: str) -> list[tuple[Replay, str]]:
    """The replays of ``operation_id`` that the description of ``shape`` has examples for, each with
    the response example it expects: the descriptions add, drop and rename examples over time."""
    _, _, operation = conversation_operations(shape)[operation_id]
    requests = _request_examples(operation)
    out = []
    for replay in REPLAYS[operation_id]:
        if replay.example and replay.example not in requests:
            continue
        name = replay.response or requests[replay.example]["summary"]
        if name in _response_examples(operation, replay.status):
            out.append((replay, name))
    return out


CASES = [(shape, op) for shape in SHAPES for op in sorted(REPLAYS) if op in conversation_operations(shape)]


def test_every_conversation_operation_is_replayed():
    described = {op for shape in SHAPES for op in conversation_operations(shape)}
    assert set(REPLAYS) == described - NOT_SERVED
    assert described >= NOT_SERVED


def test_every_request_example_is_replayed_in_every_version_that_has_it():
    missing = [
        (shape, op, example)
        for shape, op in CASES
        for example in _request_examples(conversation_operations(shape)[op][2])
        if example not in {replay.example for replay, _ in _played(shape, op)}
    ]
    assert not missing


@pytest.mark.parametrize(("shape", "operation_id"), CASES)
def test_the_spec_examples_replayed(api: Api, world: World, shape: str, operation_id: str) -> None:
    _prepare(api, world, operation_id)
    asked = api.at(shape)  # each answer is validated against this version's description
    for replay, name in _played(shape, operation_id):
        _play(asked, world, shape, operation_id, replay, name)
    _unauthorized(api, shape, operation_id)


def _unauthorized(api: Api, shape: str, operation_id: str) -> None:
    """The 401 example, where the operation has one: any call without a token."""
    method, template, operation = conversation_operations(shape)[operation_id]
    examples = _response_examples(operation, 401)
    if examples:
        expected = next(iter(examples.values()))["value"]
        path = re.sub(r"\{[^}]+\}", "1", template)
        response = api.client.request(method, path, headers={"Intercom-Version": shape})
        assert response.status_code == 401
        assert not shape_differences(expected, response.json())


def _prepare(api: Api, world: World, operation_id: str) -> None:
    """What an operation's examples need beyond the world."""
    if operation_id == "redactConversation":
        world.conversation["_part"] = _a_contact_comment(api, world)
    if operation_id == "detachContactFromConversation":
        attach = {"admin_id": world.admin, "customer": {"intercom_user_id": world.lead["id"]}}
        assert api.post(f"/conversations/{world.conversation['id']}/customers", json=attach).status_code == 200


def _play(asked: Api, world: World, shape: str, operation_id: str, replay: Replay, name: str) -> None:
    method, _, operation = conversation_operations(shape)[operation_id]
    example = _request_examples(operation).get(replay.example, {})
    body = replay.body(world, copy.deepcopy(example.get("value"))) if example else None
    response = asked.request(method, replay.path(world), json=body)
    if (operation_id, replay.label) in UNSUPPORTED:
        assert 400 <= response.status_code < 500 and response.json()["type"] == "error.list", response.text
        return
    assert response.status_code == replay.status, (shape, replay.label, response.text)
    expected = _response_examples(operation, replay.status)[name]["value"]
    differences = [d for d in shape_differences(expected, response.json()) if not _allowed(shape, operation_id, d)]
    assert not differences, f"{shape} {operation_id} / {name}: {differences}"


def _a_contact_comment(api: Any, world: World) -> str:
    reply = {"message_type": "comment", "type": "user", "intercom_user_id": world.user["id"], "body": "Oops, my card"}
    replied = api.post(f"/conversations/{world.conversation['id']}/reply", json=reply).json()
    return str(replied["conversation_parts"]["conversation_parts"][-1]["id"])


def _allowed(shape: str, operation_id: str, difference: str) -> bool:
    path = difference.split(":", 1)[0]
    if "custom_attributes." in path:
        return True  # the workspace's own attributes: their names are whatever was set
    one = path.removeprefix("conversations[].")
    return (operation_id, path) in ALLOWED or ("*", path) in ALLOWED or (shape, one) in ALLOWED_IN


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
