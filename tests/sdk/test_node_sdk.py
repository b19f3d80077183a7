"""Intercom's official Node SDK (intercom-client, pinned in tests/sdk/node/package.json and its
package-lock.json) drives a real `inboxd serve`, once over SQLite and once over PostgreSQL, through
tests/sdk/node/conversations.mjs: the SDK unchanged and in its default configuration, built as a
user's code builds it, `new IntercomClient({ token, baseUrl })`.

That configuration sends `Intercom-Version: 2.14` on every request, so this is also the suite's
run of a whole support conversation in a version other than 2.10. The script reports what each call
resolved to and every exchange as it went over the wire; the test checks that each request asked
for 2.14 and that each answer validates against intercom-2.14.yaml (tests/spec.py). The SDK builds
no models (a call resolves to the response's JSON, typed for TypeScript only), so the description
of the version it asks for is the oracle for the shapes, where the Python test has the SDK's
pydantic models; where inboxd does not yet answer in the 2.14 shape is listed in `KNOWN_GAPS` and
in docs/compatibility-notes.md.

`node` and `npm` must be on PATH: without them the module is skipped with that reason, and fails
under INBOXD_REQUIRE_NODE=1 (`.ci/run` sets it). `npm ci` runs in tests/sdk/node when node_modules
is missing or older than the lock, under a file lock, so pytest-xdist's workers (and two runs of
the suite) install one at a time and the later ones find it done.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from inboxd.domain.versions import version_named
from tests import spec
from tests.sdk.conftest import TOKEN

SDK_VERSION = "7.0.3"  # the pin in tests/sdk/node/package.json; a new SDK is a new review of the gaps
SDK_DEFAULT_VERSION = "2.14"  # what intercom-client 7.0.3 sends when not given `version`
NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "conversations.mjs"
LOCK = NODE_DIR / "package-lock.json"
INSTALLED = NODE_DIR / "node_modules" / ".package-lock.json"  # npm writes it when an install ends
REQUIRE_NODE = os.environ.get("INBOXD_REQUIRE_NODE") == "1"
INSTALL_TIMEOUT = 300.0
RUN_TIMEOUT = 120.0

# Operations inboxd serves that the description of 2.14 no longer has: nothing to validate against.
UNDESCRIBED = {
    "POST /conversations/{id}/run_assignment_rules": "deprecated in 2.12; 2.12's description and later drop it",
}

# Where inboxd's answer departs from intercom-2.14.yaml: (operation, JSON location with numbers as
# `*`, validator keyword) and why; docs/compatibility-notes.md says the same.
KNOWN_GAPS: dict[tuple[str, str, str], str] = {}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"`{name}` is not on PATH: the Node SDK test needs Node.js and npm"
        if REQUIRE_NODE:
            pytest.fail(reason + " (INBOXD_REQUIRE_NODE=1 makes it mandatory)")
        pytest.skip(reason)
    return path


def _installed() -> bool:
    """node_modules holds what the lock pins: npm writes its own record last, so a record older
    than the lock (a pull that moved the pin) or none at all (an install cut short) means install."""
    if not INSTALLED.exists():
        return False
    return not LOCK.exists() or INSTALLED.stat().st_mtime >= LOCK.stat().st_mtime


@pytest.fixture(scope="session")
def node() -> str:
    """The `node` to run the script with, once tests/sdk/node/node_modules is what the lock pins."""
    node, npm = _tool("node"), _tool("npm")
    if not _installed():
        with open(NODE_DIR / ".npm-install.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not _installed():  # another worker may have installed while this one waited
                command = ["ci"] if LOCK.exists() else ["install"]
                done = subprocess.run(
                    [npm, *command, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
                    cwd=NODE_DIR,
                    env={**os.environ, "npm_config_update_notifier": "false"},
                    capture_output=True,
                    text=True,
                    timeout=INSTALL_TIMEOUT,
                    check=False,
                )
                assert done.returncode == 0, f"npm {command[0]} failed in {NODE_DIR}:\n{done.stdout}\n{done.stderr}"
    return node


@pytest.fixture(scope="module")
def report(server: str, node: str) -> dict[str, Any]:
    """The script's report of one run against the module's server (one per database)."""
    started = time.monotonic()
    done = subprocess.run(
        [node, str(SCRIPT), server],
        cwd=NODE_DIR,
        env={**os.environ, "INTERCOM_TOKEN": TOKEN},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"the Node SDK script failed ({time.monotonic() - started:.1f}s):\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_pinned_sdk_ran(report: dict[str, Any]) -> None:
    assert report["sdk"] == SDK_VERSION


def test_every_request_asks_for_2_14_and_every_answer_is_in_its_shape(report: dict[str, Any]) -> None:
    """The SDK's default version on the wire, and inboxd's answers in that version's description."""
    exchanges = report["exchanges"]
    assert {exchange["version"] for exchange in exchanges} == {SDK_DEFAULT_VERSION}
    version = version_named(SDK_DEFAULT_VERSION)
    assert version is not None and version.shape == SDK_DEFAULT_VERSION
    undescribed, departures = set(), {}
    for exchange in exchanges:
        method, path, status = exchange["method"], exchange["path"], exchange["status"]
        operation = f"{method} {_template(path)}"
        if spec.operation(method, path, version.shape) is None:
            undescribed.add(operation)
            continue
        for error in spec.errors(method, path, status, exchange["body"], version.shape):
            where = "/".join("*" if isinstance(part, int) else str(part) for part in error.absolute_path)
            departures.setdefault((operation, where, str(error.validator)), error.message)
    assert undescribed == set(UNDESCRIBED)
    unexpected = {key: message for key, message in departures.items() if key not in KNOWN_GAPS}
    assert not unexpected, "answers that intercom-2.14.yaml does not describe:\n" + "\n".join(
        f"  {operation} at {where or '(root)'} [{keyword}]: {message}"
        for (operation, where, keyword), message in sorted(unexpected.items())
    )
    assert set(KNOWN_GAPS) <= set(departures), "a known gap no longer shows: remove it here and in the docs"


def _template(path: str) -> str:
    """A request's path with its ids as `{id}` (ids are numbers, or contacts' hex strings)."""
    return re.sub(r"/(?:\d+|[0-9a-f]{24})(?=/|$)", "/{id}", path.split("?", 1)[0])


def test_a_support_conversation_through_the_sdk(report: dict[str, Any]) -> None:
    seen = report["seen"]
    me, other, team = seen["identify"], seen["other_admin"], seen["team"]
    assert {admin["email"] for admin in seen["admins"]["admins"]} == {"ada@sdk.test", "bob@sdk.test"}
    assert other["id"] != me["id"] and team["name"] == "Support"
    assert team["id"] == seen["teams"]["teams"][0]["id"]

    # Contacts, one per page: the pager asks until there is no next page.
    jane, lead = seen["jane"], seen["lead"]
    assert seen["jane_found"]["email"] == "jane@example.test"
    assert sorted(seen["contacts_listed"]["ids"]) == sorted([jane["id"], lead["id"]])
    assert seen["contacts_listed"]["requests"] == 2

    # Three conversations, listed two a page; the first one read back and updated.
    ids = [seen[f"started_{n}"]["conversation_id"] for n in range(3)]
    assert all(seen[f"started_{n}"]["type"] == "user_message" for n in range(3))
    assert sorted(seen["listed"]["ids"]) == sorted(ids) and seen["listed"]["requests"] == 2
    found = seen["found"]
    assert (found["id"], found["source"]["body"], found["state"]) == (ids[0], "Help 0", "open")
    updated = seen["updated"]
    assert (updated["read"], updated["title"], updated["custom_attributes"]) == (True, "Billing", {"plan": "pro"})

    # Each reply is the last part the SDK sees; the admin's answer stops the wait, Jane's starts it.
    replied = seen["replied"]
    answer = _parts(replied)[-1]
    assert (answer["part_type"], answer["body"], answer["author"]["id"]) == ("comment", "On it!", me["id"])
    assert replied["waiting_since"] is None
    note = _parts(seen["noted"])[-1]
    assert (note["part_type"], note["body"]) == ("note", "internal")
    contact_replied = seen["contact_replied"]
    thanks = _parts(contact_replied)[-1]
    assert (thanks["author"]["type"], thanks["author"]["id"], thanks["body"]) == ("user", jane["id"], "Thanks")
    assert contact_replied["waiting_since"] is not None

    # Close, snooze, open: the state follows; assign to the other admin, to the team, and unassign.
    assert (seen["closed"]["state"], seen["closed"]["open"]) == ("closed", False)
    assert (seen["snoozed"]["state"], seen["snoozed"]["snoozed_until"]) == ("snoozed", seen["snoozed_until"])
    assert (seen["opened"]["state"], seen["opened"]["open"], seen["opened"]["snoozed_until"]) == ("open", True, None)
    assert str(seen["assigned_admin"]["admin_assignee_id"]) == other["id"]
    assert str(seen["assigned_team"]["team_assignee_id"]) == team["id"]
    unassigned = seen["unassigned_admin"]
    assert unassigned["admin_assignee_id"] is None and str(unassigned["team_assignee_id"]) == team["id"]

    # The tag appears on the conversation, then disappears.
    tag = seen["tag"]
    assert seen["tagged"]["name"] == "vip" and seen["untagged"]["id"] == tag["id"]
    assert [t["name"] for t in seen["with_tag"]["tags"]["tags"]] == ["vip"]
    assert seen["without_tag"]["tags"]["tags"] == []
    assert [t["id"] for t in seen["tags"]["data"]] == [tag["id"]] and seen["tag_found"]["name"] == "vip"

    # The lead joins and leaves.
    assert {c["id"] for c in seen["attached"]["customers"]} == {jane["id"], lead["id"]}
    assert [c["id"] for c in seen["detached"]["customers"]] == [jane["id"]]

    # The nested search finds the three conversations, two a page, through the SDK's pager.
    assert sorted(seen["searched"]["ids"]) == sorted(ids) and seen["searched"]["requests"] == 2

    # Jane's reply, then the source, redacted.
    redacted = next(part for part in _parts(seen["redacted"]) if part["id"] == seen["redacted_part_id"])
    assert redacted["redacted"] is True
    assert seen["redacted_source"]["source"]["redacted"] is True

    # The second conversation is a ticket now, of the type made for it, and reads back by id.
    ticket, ticket_type = seen["ticket"], seen["ticket_type"]
    assert ticket["ticket_type"]["id"] == ticket_type["id"] and ticket_type["name"] == "Bug"
    assert seen["ticket_again"]["id"] == ticket["id"]

    # Assignment rules (none declared) leave the third conversation as it was; the message is the admin's.
    assert seen["auto_assigned"]["id"] == ids[2] and seen["auto_assigned"]["admin_assignee_id"] is None
    assert seen["message"]["type"] == "admin_message"

    # The third conversation is deleted, and is not found afterwards.
    assert seen["deleted"] == {"id": ids[2], "object": "conversation", "deleted": True}
    gone = report["errors"]["gone"]
    assert (gone["class"], gone["status"]) == ("NotFoundError", 404)


def test_the_conversations_are_drawn_in_2_14(report: dict[str, Any]) -> None:
    """What 2.14 shows and 2.10 does not, and nothing of the versions after it: the version the SDK
    asked for is the version answered."""
    seen = report["seen"]
    conversation = seen["found"]
    assert "custom_attributes" in conversation  # 2.12 and 2.13 leave it out, 2.14 has it again
    assert "ai_agent_participated" in conversation  # 2.11
    author = _parts(seen["replied"])[-1]["author"]
    assert (author["is_ai_answer"], author["from_ai_agent"]) == (False, False)  # 2.14
    assert "company" not in conversation and "scorecards" not in conversation  # 2.15, 2.16
    assert conversation["priority"] in ("priority", "not_priority")  # 2.16 would say "none"


def test_where_the_sdks_types_differ_from_the_answers(report: dict[str, Any]) -> None:
    """docs/compatibility-notes.md: the SDK's TypeScript types put some values elsewhere than 2.14's
    description does (and Intercom, and inboxd); the SDK checks no answer, so a call resolves to
    the JSON as sent and code typed by the SDK finds these where this test does."""
    seen = report["seen"]
    teammates = seen["without_tag"]["teammates"]  # the SDK's type: `admins`
    assert "admins" not in teammates and [t["id"] for t in teammates["teammates"]] == [seen["identify"]["id"]]
    assert isinstance(seen["assigned_team"]["team_assignee_id"], int)  # the SDK's type: a string
    assert set(seen["attached"]) == {"customers"}  # the SDK's type: a Conversation
    # The SDK's type and 2.14: an object (inboxd drew 2.10's string in every version before).
    assert seen["ticket"]["ticket_state"]["category"] == "submitted"


def test_errors_reach_the_sdk_as_its_typed_classes(report: dict[str, Any]) -> None:
    missing, unauthorized = report["errors"]["missing"], report["errors"]["unauthorized"]
    assert (missing["class"], missing["not_found"], missing["intercom_error"]) == ("NotFoundError", True, True)
    assert missing["status"] == 404 and missing["body"]["type"] == "error.list"
    assert (unauthorized["class"], unauthorized["unauthorized"]) == ("UnauthorizedError", True)
    assert unauthorized["status"] == 401 and unauthorized["body"]["errors"][0]["code"] == "unauthorized"


def _parts(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    return list(conversation["conversation_parts"]["conversation_parts"])
