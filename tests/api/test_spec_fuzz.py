"""The official descriptions, fuzzed: for every version inboxd draws (2.7 to 2.16, domain/versions.py
SHAPES), schemathesis generates requests for every operation inboxd serves (docs/compatibility.md:
served and partial) that the version's description has, from intercom-<version>.yaml, sends them in
that version (the `Intercom-Version` header names it, or another version drawn in the same shape:
1.0-2.6 with 2.7, Preview with 2.16) and checks each answer against that description.

- no answer is a 5xx;
- a 2xx answer is one of the operation's documented statuses and matches its response schema;
- every other answer is a 4xx `error.list` that matches the spec's `error` schema (the rule of
  tests/spec.py: the spec lists few error statuses per operation, inboxd answers every refusal
  this way);
- requests that break the spec (negative mode: wrong types, missing required fields, bad enum
  values, a bad `Intercom-Version`) are refused with a 4xx.

The app runs in-process, as schemathesis's ASGI transport calls it: the same Starlette app granian
serves, without the socket, so a run costs no server start, runs on both databases through
conftest's `module_engine`, and a server error's traceback lands in pytest's captured log. The subprocess
and the HTTP server are covered by tests/test_serve_e2e.py and tests/sdk/.

`make test` runs a short, seeded pass (INBOXD_FUZZ_EXAMPLES per version); `make fuzz` a long one
(scripts/fuzz.py, which writes docs/fuzzing.md; INBOXD_FUZZ_VERSIONS picks versions). Where the
spec is wrong, the correction and why is in docs/fuzzing.md.
"""

from __future__ import annotations

import copy
import json
import os
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from sqlalchemy import Engine
from starlette.testclient import TestClient

from inboxd.app import ROUTES, create_app
from inboxd.domain.versions import DEFAULT, SHAPES, VERSIONS
from tests import spec
from tests.conftest import ACME_TOKEN

# Examples per operation, generation mode and version in the fuzzing phase (the examples and coverage
# phases add their own, deterministic cases). `make fuzz` sets it; unset, `make test`'s ten versions
# share its time: a few for the workspaces' default version, one for each other. The seed keeps
# `make test` repeatable.
FUZZ_EXAMPLES = os.environ.get("INBOXD_FUZZ_EXAMPLES")
FUZZ_SEED = int(os.environ.get("INBOXD_FUZZ_SEED", "20260101"))
# The phases a run uses; `make fuzz` adds the coverage phase (boundary values of every parameter).
FUZZ_PHASES = os.environ.get("INBOXD_FUZZ_PHASES", "examples,fuzzing").split(",")
# The versions fuzzed (comma-separated shapes), every one unless told.
FUZZ_VERSIONS = [v for v in os.environ.get("INBOXD_FUZZ_VERSIONS", ",".join(SHAPES)).split(",") if v]
STATS_FILE = os.environ.get("INBOXD_FUZZ_STATS")  # scripts/fuzz.py: where the answers are counted
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def _served() -> set[tuple[str, str]]:
    out = set()
    for route in ROUTES:
        for method in getattr(route, "methods", None) or ():
            out.add((method.lower(), re.sub(r"\{[^}]+\}", "{}", route.path)))
    return out


def _drop_relative_uri_formats(node: Any) -> None:
    """The spec types some URLs `format: uri` and then gives a relative path as their example (and
    Intercom sends one: `contact.tags.url` is "/contacts/<id>/tags"); inboxd sends what the examples
    show. A relative reference is not a URI, so the format goes where the example contradicts it."""
    if isinstance(node, dict):
        if node.get("format") == "uri" and str(node.get("example", "")).startswith("/"):
            del node["format"]
        for value in node.values():
            _drop_relative_uri_formats(value)
    elif isinstance(node, list):
        for value in node:
            _drop_relative_uri_formats(value)


def _optional_fields_take_null(raw: dict[str, Any]) -> None:
    """inboxd reads `null` for an optional request field as "not given" (docs/decisions.md), as
    JSON clients that serialise unset fields as null expect; say so in the request schemas, so
    that a null there is not counted as malformed input."""
    schemas = raw["components"]["schemas"]
    seen: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
            return
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                visit(schemas[name])
            return
        required = set(node.get("required", ()))
        for name, prop in (node.get("properties") or {}).items():
            if name not in required and isinstance(prop, dict) and "$ref" not in prop:
                prop["nullable"] = True
                if "enum" in prop and None not in prop["enum"]:
                    prop["enum"] = [*prop["enum"], None]
        for key, value in node.items():
            if key != "example":
                visit(value)

    for item in raw["paths"].values():
        for method in HTTP_METHODS:
            body = item.get(method, {}).get("requestBody", {})
            for media in body.get("content", {}).values():
                visit(media.get("schema"))


def _asked_in(shape: str) -> list[str]:
    """The Intercom-Version values answered in ``shape``: its own name first."""
    return [shape, *(name for name, version in VERSIONS.items() if version.shape == shape and name != shape)]


def served_spec(shape: str) -> dict[str, Any]:
    """intercom-<shape>.yaml as tests/spec.py reads it, cut to the operations inboxd routes."""
    raw = copy.deepcopy(spec.spec(shape))
    served = _served()
    for path in list(raw["paths"]):
        item = raw["paths"][path]
        for method in [m for m in item if m in HTTP_METHODS]:
            if (method, re.sub(r"\{[^}]+\}", "{}", path)) not in served:
                del item[method]
        if not any(m in item for m in HTTP_METHODS):
            del raw["paths"][path]
    raw["servers"] = [{"url": "http://testserver"}]
    # In 2.7-2.10 and 2.12, listConversations documents `paginated_response`, a list of news items
    # under `data` that nothing requires, so any object passes; its own example, Intercom and
    # searchConversations answer a `conversation_list` (2.13 and later say so). Checked against that
    # instead of not checked at all.
    listed = raw["paths"]["/conversations"]["get"]["responses"]["200"]["content"]["application/json"]
    if listed["schema"] == {"$ref": "#/components/schemas/paginated_response"}:
        listed["schema"] = {"$ref": "#/components/schemas/conversation_list"}
    # A valid request asks for this shape's versions, and the answer is checked against this
    # description; any other value is malformed input (a negative case). Left out, the header
    # means the workspace's default: the test sends this shape's name then.
    asked = _asked_in(shape)
    raw["components"]["schemas"]["intercom_version"] = {"type": "string", "enum": asked, "example": shape}
    _drop_relative_uri_formats(raw)
    _optional_fields_take_null(raw)
    return raw


def examples_in(shape: str) -> int:
    if FUZZ_EXAMPLES is not None:
        return int(FUZZ_EXAMPLES)
    return 4 if shape == DEFAULT else 1


def config(shape: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": FUZZ_SEED,
            "suppress-health-check": ["all"],
            "auth": {"openapi": {"bearerAuth": {"bearer": ACME_TOKEN}}},
            "generation": {"mode": "all", "max-examples": examples_in(shape), "database": "none"},
            "phases": {
                phase: {"enabled": phase in FUZZ_PHASES} for phase in ("examples", "coverage", "fuzzing", "stateful")
            },
            "checks": {
                # Replaced by documented_or_error_list below: the spec lists few error statuses.
                "status_code_conformance": {"enabled": False},
                # Schema-valid is not always acceptable: the spec marks every request body optional
                # and few fields required, and Intercom itself refuses schema-valid requests for
                # what they mean (its own examples: an email without a subject is a 422).
                "positive_data_acceptance": {"enabled": False},
            },
        }
    )


@dataclass
class Target:
    engine: str
    app: Any
    ids: dict[str, str]  # path parameter → an id that exists
    body_ids: dict[str, str]  # body field → an id that exists
    # What was sent and how it was answered, {"sqlite GET /me": {"2xx": n, "4xx": n, ...}}:
    # scripts/fuzz.py reports it in docs/fuzzing.md.
    answers: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


@pytest.fixture(scope="module")
def fuzz_target(module_engine: tuple[str, Engine]) -> Iterator[Target]:
    """The app over a database with something in it: ids a generated path may name instead of
    random ones, so that valid requests reach the operations and change real data. One database per
    engine for the whole module: what one operation's cases write, the next operation's cases find."""
    name, engine = module_engine
    app = create_app(engine, rate_limit=0)  # thousands of calls: the rate limit is tested elsewhere
    headers = {"Authorization": f"Bearer {ACME_TOKEN}"}
    with TestClient(app) as client:

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = client.post(path, json=body, headers=headers)
            assert response.status_code == 200, response.text
            return dict(response.json())

        admin_id = client.get("/me", headers=headers).json()["id"]
        user = post("/contacts", {"email": "fuzz@example.test"})
        lead = post("/contacts", {"role": "lead", "name": "Lead"})
        started = post("/conversations", {"from": {"type": "user", "id": user["id"]}, "body": "Fuzz me"})
        conversation_id = started["conversation_id"]
        customer = {"admin_id": admin_id, "customer": {"intercom_user_id": lead["id"]}}
        post(f"/conversations/{conversation_id}/customers", customer)
        tag = post("/tags", {"name": "fuzzed"})
        ticket_type = post("/ticket_types", {"name": "Bug", "category": "Customer"})
    ids = {"id": conversation_id, "conversation_id": conversation_id, "contact_id": lead["id"], "tag_id": tag["id"]}
    body_ids = {
        "admin_id": admin_id,
        "assignee_id": admin_id,
        "intercom_user_id": user["id"],
        "contact": user["id"],
        "conversation_id": conversation_id,
        "id": tag["id"],
        "ticket_type_id": ticket_type["id"],
    }
    target = Target(name, app, ids, body_ids)
    yield target
    if STATS_FILE:
        with open(STATS_FILE, "a", encoding="utf-8") as out:
            out.write(json.dumps({target.engine: target.answers}) + "\n")


def _shape_of(case: Any) -> str:
    return str(case.operation.schema.raw_schema["components"]["schemas"]["intercom_version"]["example"])


def documented_or_error_list(ctx: Any, response: Any, case: Any) -> bool | None:
    """A success the spec documents, or a 4xx error.list in the version's `error` shape."""
    status = response.status_code
    if 200 <= status < 300:
        documented = case.operation.responses.status_codes
        assert str(status) in documented, f"{status} is not a documented status ({', '.join(documented)})"
        return None
    assert 400 <= status < 500, f"{status}: neither a success nor a client error"
    body = response.json()
    assert body.get("type") == "error.list", f"a {status} that is not an error.list: {body}"
    # Under the operation's own method: a refused TRACE or PATCH is checked against `error` too.
    spec.validate(case.operation.method.upper(), case.formatted_path, status, body, _shape_of(case))
    return None


def _fuzzed_in(shape: str) -> Any:
    """The fuzz test of one version: a test function per description, each operation a case."""
    schema = schemathesis.openapi.from_dict(served_spec(shape), config=config(shape))

    @schema.parametrize()
    @settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def test(case: Any, fuzz_target: Target) -> None:
        # This test's app and database: the schema and its operations are built once, at collection.
        case.operation.schema.app = case.operation.app = fuzz_target.app
        if case.meta is not None and case.meta.generation.mode.is_positive:
            _name_real_ids(case, fuzz_target)
        headers = case.headers if case.headers is not None else {}
        if not any(name.lower() == "intercom-version" for name in headers):
            headers["Intercom-Version"] = shape  # absent, the answer would be in the workspace's default
        case.headers = headers
        response = case.call()
        fuzz_target.answers[f"{shape} {case.operation.label}"][f"{response.status_code // 100}xx"] += 1
        case.validate_response(response, additional_checks=[documented_or_error_list])

    test.__name__ = f"test_the_spec_fuzzed_in_{shape.replace('.', '_')}"
    return test


for _shape in FUZZ_VERSIONS:
    _test = _fuzzed_in(_shape)
    globals()[_test.__name__] = _test


def _name_real_ids(case: Any, target: Target) -> None:
    """Half of the valid cases name ids that exist, in the path and in the body, so that the fuzzer
    reaches past "not found" into the operations and changes real data. Which half is a function
    of the case, so a seeded run stays repeatable."""
    if not zlib.crc32(repr((case.path_parameters, case.body)).encode()) % 2:
        return
    for name in case.path_parameters or {}:
        if name in target.ids:
            case.path_parameters[name] = target.ids[name]
    if isinstance(case.body, dict):
        _replace_ids(case.body, target.body_ids)
        for nested in ("from", "to", "customer"):
            if isinstance(case.body.get(nested), dict):
                _replace_ids(case.body[nested], {**target.body_ids, "id": target.body_ids["contact"]})


def _replace_ids(body: dict[str, Any], ids: dict[str, str]) -> None:
    for key in body:
        if key in ids and isinstance(body[key], str | int):
            body[key] = ids[key]
