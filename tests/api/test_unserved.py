"""Every operation of the descriptions (2.7 to 2.16) that inboxd does not serve answers with a clear
4xx `error.list` (docs/compatibility.md), never a stack trace, never a 2xx: a client that calls one
learns at once that inboxd does not do it. An operation inboxd serves in some versions answers, in
a version whose description lacks it, as an unknown route (render/versions/changes.py, adds)."""

from __future__ import annotations

import re
from typing import Any

from inboxd.app import ROUTES
from inboxd.domain.versions import SHAPES
from tests import spec

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
# Served in every version: deprecated from 2.12, whose description drops it (tests/api/test_versions.py).
STILL_SERVED = {"autoAssignConversation"}


def _served() -> set[tuple[str, str]]:
    return {
        (method, re.sub(r"\{[^}]+\}", "{}", route.path))
        for route in ROUTES
        for method in getattr(route, "methods", None) or ()
    }


def _operations(shape: str) -> list[tuple[str, str, str, bool]]:
    """(operationId, METHOD, path template, whether inboxd routes it) for every operation of ``shape``."""
    served = _served()
    return [
        (op.get("operationId", ""), method.upper(), path, (method.upper(), re.sub(r"\{[^}]+\}", "{}", path)) in served)
        for path, item in spec.spec(shape)["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


def unserved() -> list[tuple[str, str, str]]:
    """(shape, METHOD, path template) of every operation inboxd does not route, each once, asked in
    the newest version whose description has it."""
    seen, out = set(), []
    for shape in reversed(SHAPES):
        for _, method, path, routed in _operations(shape):
            key = (method, re.sub(r"\{[^}]+\}", "{}", path))
            if not routed and key not in seen:
                seen.add(key)
                out.append((shape, method, path))
    return out


def lacking() -> list[tuple[str, str, str]]:
    """(shape, METHOD, path template) of every operation inboxd routes, in each version whose
    description lacks it (the template of a description that has it)."""
    routed = {op: (method, path) for shape in SHAPES for op, method, path, served in _operations(shape) if served}
    return [
        (shape, *routed[op])
        for shape in SHAPES
        for op in sorted(set(routed) - {op for op, *_ in _operations(shape)} - STILL_SERVED)
    ]


def test_some_operations_are_not_served_and_some_versions_lack_served_ones():
    assert len(unserved()) > 20  # the walks below would pass vacuously otherwise
    assert ("2.7", "GET", "/ticket_types") in [(s, m, p) for s, m, p in lacking()]


def test_every_operation_not_served_is_a_clear_error_list(api: Any) -> None:
    wrong = [problem for shape, method, template in unserved() if (problem := _problem(api, shape, method, template))]
    assert not wrong, "\n".join(wrong)


def test_every_served_operation_a_version_lacks_is_an_unknown_route(api: Any) -> None:
    wrong = [problem for shape, method, template in lacking() if (problem := _problem(api, shape, method, template))]
    assert not wrong, "\n".join(wrong)


def _problem(api: Any, shape: str, method: str, template: str) -> str | None:
    # Path parameters that look like real ids, so that the answer is about the operation, not the id.
    path = re.sub(r"\{[^}]+\}", "1", template)
    asked = api.at(shape)
    response = asked.request(method, path, json={} if method in ("POST", "PUT", "PATCH") else None, validate=False)
    body = response.json()
    if response.status_code == 405:
        ok = body["errors"][0]["code"] == "method_not_allowed" and method not in response.headers["allow"].split(", ")
    else:
        expected = [{"code": "not_found", "message": f"No route matches {method} {path}"}]
        ok = response.status_code == 404 and body["errors"] == expected
    if not ok or body["type"] != "error.list":
        return f"{shape} {method} {path} → {response.status_code} {response.text}"
    # The version's `error` schema: the path may be one its description does not have at all.
    spec.validate_error(body, shape)
    return None
