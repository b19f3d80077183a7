"""Every operation of intercom-2.10.yaml that inboxd does not serve answers with a clear 4xx
`error.list` (docs/compatibility.md), never a stack trace, never a 2xx: a client that calls one
learns at once that inboxd does not do it."""

from __future__ import annotations

import re
from typing import Any

from inboxd.app import ROUTES
from tests import spec

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def _served() -> set[tuple[str, str]]:
    return {
        (method, re.sub(r"\{[^}]+\}", "{}", route.path))
        for route in ROUTES
        for method in getattr(route, "methods", None) or ()
    }


def unserved() -> list[tuple[str, str]]:
    served = _served()
    return [
        (method.upper(), path)
        for path, item in spec.spec()["paths"].items()
        for method in item
        if method in HTTP_METHODS and (method.upper(), re.sub(r"\{[^}]+\}", "{}", path)) not in served
    ]


def test_some_operations_are_not_served():
    assert len(unserved()) > 20  # the walk below would pass vacuously otherwise


def test_every_operation_not_served_is_a_clear_error_list(api: Any) -> None:
    wrong = [problem for method, template in unserved() if (problem := _problem(api, method, template))]
    assert not wrong, "\n".join(wrong)


def _problem(api: Any, method: str, template: str) -> str | None:
    # Path parameters that look like real ids, so that the answer is about the operation, not the id.
    path = re.sub(r"\{[^}]+\}", "1", template)
    response = api.request(method, path, json={} if method in ("POST", "PUT", "PATCH") else None, validate=False)
    body = response.json()
    if response.status_code == 405:
        ok = body["errors"][0]["code"] == "method_not_allowed" and method not in response.headers["allow"].split(", ")
    else:
        expected = [{"code": "not_found", "message": f"No route matches {method} {path}"}]
        ok = response.status_code == 404 and body["errors"] == expected
    if not ok or body["type"] != "error.list":
        return f"{method} {path} → {response.status_code} {response.text}"
    spec.validate(method, path, response.status_code, body)
    return None
