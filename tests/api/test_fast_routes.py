"""The fast routes of api/fast_routes.py skip Starlette's router and nothing else: on every route, an
app with them and an app without them answer the same status, body and headers, whatever the
request carries (a good token, none, an unknown one, several Authorization headers, a bad
version, a bad parameter). And several Authorization headers are refused everywhere."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import Router
from starlette.testclient import TestClient

from inboxd.app import ROUTES, create_app
from tests import factories
from tests.conftest import ACME_TOKEN, GLOBEX_TOKEN, Api

A = f"Bearer {ACME_TOKEN}"
B = f"Bearer {GLOBEX_TOKEN}"


@pytest.fixture
def apps(engine, clock) -> Iterator[tuple[TestClient, TestClient]]:
    """The same database behind an app with the fast routes and one without. No rate limit: each
    app counts calls in its own memory, so their headers would differ by design (the limiter has a
    test of its own below)."""
    with (
        TestClient(create_app(engine, clock, rate_limit=0)) as fast,
        TestClient(create_app(engine, clock, rate_limit=0, fast_routes=False)) as ordinary,
    ):
        yield fast, ordinary


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths Starlette's router saw."""
    seen: list[str] = []
    call = Router.__call__

    async def counting(self: Router, scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await call(self, scope, receive, send)

    monkeypatch.setattr(Router, "__call__", counting)
    return seen


def _samples(api: Api) -> dict[tuple[str, str], str]:
    """A concrete path for every route of the app, on data of Acme's."""
    conversation = factories.conversation(api)
    cid = conversation["id"]
    contact_id = conversation["contacts"]["contacts"][0]["id"]
    tag = api.post("/tags", json={"name": "vip"}).json()
    ticket_type = factories.ticket_type(api)
    admin = api.get("/me").json()
    team = api.get("/teams").json()["teams"][0]
    samples = {
        "/conversations/{id:conversation_id}": f"/conversations/{cid}",
        "/conversations": "/conversations",
        "/conversations/{id}/reply": f"/conversations/{cid}/reply",
        "/conversations/{id}/parts": f"/conversations/{cid}/parts",
        "/conversations/search": "/conversations/search",
        "/conversations/redact": "/conversations/redact",
        "/conversations/{id}/run_assignment_rules": f"/conversations/{cid}/run_assignment_rules",
        "/messages": "/messages",
        "/conversations/{conversation_id}/tags": f"/conversations/{cid}/tags",
        "/conversations/{conversation_id}/tags/{id}": f"/conversations/{cid}/tags/{tag['id']}",
        "/conversations/{id}/customers": f"/conversations/{cid}/customers",
        "/conversations/{conversation_id}/customers/{contact_id}": f"/conversations/{cid}/customers/{contact_id}",
        "/conversations/{id}/convert": f"/conversations/{cid}/convert",
        "/healthz": "/healthz",
        "/readyz": "/readyz",
        "/me": "/me",
        "/admins": "/admins",
        "/admins/{id:admin_id}": f"/admins/{admin['id']}",
        "/teams": "/teams",
        "/teams/{id}": f"/teams/{team['id']}",
        "/contacts": "/contacts",
        "/contacts/{id}": f"/contacts/{contact_id}",
        "/tags": "/tags",
        "/tags/{id}": f"/tags/{tag['id']}",
        "/ticket_types": "/ticket_types",
        "/ticket_types/{id}": f"/ticket_types/{ticket_type['id']}",
        "/attachments/{token}/{name}": "/attachments/nothing-here/file.txt",
        "/tickets/{id}": "/tickets/1",
    }
    routes = {}
    for route in ROUTES:
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                routes[(method, route.path)] = samples[route.path]  # a new route needs a sample here
    return routes


def _answer(client: TestClient, method: str, path: str, headers: list[tuple[str, str]]) -> tuple[Any, ...]:
    # A write is sent an empty body: refused by the handler's own parsing, it changes nothing, so
    # the second app sees the same database as the first.
    body = b"{}" if method in ("POST", "PUT", "DELETE") else None
    response = client.request(method, path, headers=headers, content=body)
    content = response.content
    if response.headers.get("content-type", "").startswith("application/json"):
        data = response.json()
        if isinstance(data, dict) and "request_id" in data:
            data["request_id"] = "masked"
        content = data
    masked = [(k, "masked" if k == "x-request-id" else v) for k, v in response.headers.multi_items()]
    return response.status_code, content, masked


def _cursor(key_and_page: str) -> str:
    return base64.urlsafe_b64encode(key_and_page.encode()).decode("ascii").rstrip("=")


CASES = {
    "one token": [("Authorization", A)],
    "two tokens, A first": [("Authorization", A), ("Authorization", B)],
    "two tokens, B first": [("Authorization", B), ("Authorization", A)],
    "the same token twice": [("Authorization", A), ("Authorization", A)],
    "no token": [],
    "an unknown token": [("Authorization", "Bearer not-a-token")],
    "a bad version": [("Authorization", A), ("Intercom-Version", "9.9")],
    "a good version": [("Authorization", A), ("Intercom-Version", "2.10")],
}


def test_every_route_answers_the_same_with_and_without_the_fast_routes(apps):
    fast, ordinary = apps
    routes = _samples(Api(ordinary, ACME_TOKEN))
    cursors = [_cursor(f"[{2**64 - 1}, 1, 1]"), _cursor(f"[1, 1, {2**63 - 1}]"), _cursor(f"[1, 1, {2**31 - 2}]")]
    for path in (
        "/conversations?per_page=0",
        "/conversations?per_page=1&starting_after=bad",
        *(f"/conversations?starting_after={cursor}" for cursor in cursors),  # out of range; the highest page
    ):
        routes[("GET", path)] = path  # the fast list route with queries the handler refuses or answers
    cid = routes[("GET", "/conversations/{id:conversation_id}")]
    routes[("GET", cid + "?display_as=plaintext")] = cid + "?display_as=plaintext"
    for (method, _), path in routes.items():
        for case, headers in CASES.items():
            for _ in range(2):  # the second time, the fast route's cache holds the document
                expected = _answer(ordinary, method, path, headers)
                got = _answer(fast, method, path, headers)
                assert got == expected, (method, path, case)


def test_the_fast_routes_skip_the_router(apps, routed):
    fast, _ = apps
    api = Api(fast, ACME_TOKEN)
    conversation = factories.conversation(api)
    routed.clear()
    assert api.get(f"/conversations/{conversation['id']}").status_code == 200
    assert api.get("/conversations?per_page=2").status_code == 200
    assert api.get("/me").status_code == 200
    assert routed == ["/me"]


@pytest.mark.parametrize("path", ["/conversations/{id}", "/conversations", "/me", "/contacts", "/admins"])
def test_several_authorization_headers_are_refused_even_after_a_cached_answer(client, path):
    api = Api(client, ACME_TOKEN)
    conversation = factories.conversation(api)
    path = path.format(id=conversation["id"])
    assert api.get(path).status_code == 200  # Acme's token is now known to the process
    for headers in ([("Authorization", B), ("Authorization", A)], [("Authorization", A), ("Authorization", B)]):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 401
        assert refused.json()["type"] == "error.list"
        assert refused.json()["errors"][0]["code"] == "unauthorized"


def test_every_fast_answer_is_counted_once_by_the_rate_limiter(engine, clock):
    # 6,000 a minute: 1,000 calls a 10-second window (the clock is frozen: all in one window). The
    # limiter admits from memory and asks the database every 10th call.
    with TestClient(create_app(engine, clock, rate_limit=6000)) as client:
        client.app.state.rate_limiter.interval = 3600.0  # no sync for time's sake: every 10th call
        api = Api(client, ACME_TOKEN)
        conversation = factories.conversation(api)
        remaining = []
        for path in [f"/conversations/{conversation['id']}", "/conversations"] * 15:
            response = api.get(path)
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
    assert remaining == list(range(remaining[0], remaining[0] - 30, -1)), "each call counted once"
