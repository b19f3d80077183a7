"""GET /conversations/{id} and GET /conversations answered in front of Starlette's routing
(api/hot_paths.py): only when the ordinary path would answer exactly the same, and counted by the
rate limiter like any other call."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from inboxd.api.hot_paths import HotPaths
from inboxd.app import create_app
from tests import factories
from tests.conftest import ACME_TOKEN, Api


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each GET of the two paths was answered by the hot layer (True) or handed on."""
    seen: list[bool] = []
    call, answer = HotPaths.__call__, HotPaths._answer

    async def each_request(self: HotPaths, scope: dict, *args: object) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            seen.append(False)
        await call(self, scope, *args)  # type: ignore[arg-type]

    async def answering(self: HotPaths, *args: object) -> bool:
        seen[-1] = await answer(self, *args)  # type: ignore[arg-type]
        return seen[-1]

    monkeypatch.setattr(HotPaths, "__call__", each_request)
    monkeypatch.setattr(HotPaths, "_answer", answering)
    return seen


@pytest.fixture
def api(engine, clock) -> Iterator[Api]:
    """Without a rate limit: the limiter asks the database every 100 ms, and a call it must ask
    about is handed on (uncounted) to the ordinary path, which would make these tests timing-bound.
    The limiter has a test of its own below."""
    with TestClient(create_app(engine, clock, rate_limit=0)) as client:
        yield Api(client, ACME_TOKEN)


@pytest.fixture
def anonymous(api: Api) -> Api:
    return Api(api.client, None)


def _warm(api: Api, conversation_id: str) -> None:
    assert api.get(f"/conversations/{conversation_id}").status_code == 200  # renders and caches


def test_a_cached_conversation_is_answered_as_the_ordinary_path_answers_it(api, answered):
    conversation = factories.conversation(api)
    _warm(api, conversation["id"])
    hot = api.get(f"/conversations/{conversation['id']}")
    ordinary = api.get(f"/conversations/{conversation['id']}?display_as=html")  # a query string: handed on
    assert answered[-2:] == [True, False]
    assert hot.status_code == ordinary.status_code == 200
    assert hot.content == ordinary.content
    names = [name.lower() for name in hot.headers]
    assert names == [name.lower() for name in ordinary.headers]
    assert hot.headers["content-type"] == "application/json"
    assert int(hot.headers["content-length"]) == len(hot.content)
    assert hot.headers["x-request-id"] != ordinary.headers["x-request-id"]


def test_a_cached_list_page_is_answered_in_front_of_the_router(api, answered):
    for _ in range(3):
        factories.conversation(api)
    first = api.get("/conversations?per_page=2")
    again = api.get("/conversations?per_page=2")
    assert answered[-1] is True
    assert again.content == first.content
    cursor = again.json()["pages"]["next"]["starting_after"]
    api.get(f"/conversations?per_page=2&starting_after={cursor}")
    assert api.get(f"/conversations?per_page=2&starting_after={cursor}").json()["pages"]["page"] == 2
    assert answered[-1] is True


def test_every_hot_answer_is_counted_by_the_rate_limiter(engine, clock, answered):
    # 6,000 a minute: 1,000 calls a 10-second window (the clock is frozen: all in one window). The
    # limiter admits from memory and asks the database every 10th call; near the limit it asks on
    # every call, and the ordinary path refuses (tests/api/test_rate_limits.py).
    with TestClient(create_app(engine, clock, rate_limit=6000)) as client:
        client.app.state.rate_limiter.interval = 3600.0  # no sync for time's sake: every 10th call
        api = Api(client, ACME_TOKEN)
        conversation = factories.conversation(api)
        remaining = []
        for _ in range(30):
            response = api.get(f"/conversations/{conversation['id']}")
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
    assert answered.count(True) >= 20, answered
    assert answered.count(False) >= 2, "the calls the limiter asked the database about were handed on"
    assert remaining == list(range(remaining[0], remaining[0] - 30, -1)), "each call counted once"


def test_an_unsupported_version_is_refused_even_for_a_cached_conversation(api, answered):
    conversation = factories.conversation(api)
    _warm(api, conversation["id"])
    refused = api.get(f"/conversations/{conversation['id']}", headers={"Intercom-Version": "9.9"}, validate=False)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "intercom_version_invalid"
    assert answered[-1] is False
    accepted = api.get(f"/conversations/{conversation['id']}", headers={"Intercom-Version": "2.10"})
    assert accepted.status_code == 200
    assert answered[-1] is True


def test_a_token_this_process_never_checked_goes_the_ordinary_way(api, anonymous, answered):
    conversation = factories.conversation(api)
    _warm(api, conversation["id"])
    stranger = Api(api.client, "not-a-token")
    refused = stranger.get(f"/conversations/{conversation['id']}", validate=False)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.get(f"/conversations/{conversation['id']}", validate=False).status_code == 401
    assert answered[-2:] == [False, False]


def test_a_bad_page_size_still_gets_its_error(api, answered):
    factories.conversation(api)
    api.get("/conversations")
    refused = api.get("/conversations?per_page=0", validate=False)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "parameter_invalid"
    assert answered[-1] is False


def _cursor(key_and_page: str) -> str:
    return base64.urlsafe_b64encode(key_and_page.encode()).decode("ascii").rstrip("=")


def test_a_cursor_out_of_range_is_refused_as_the_ordinary_path_refuses_it(api, answered):
    factories.conversation(api)
    api.get("/conversations")
    for cursor in (_cursor(f"[{2**64 - 1}, 1, 1]"), _cursor(f"[1, 1, {2**63 - 1}]")):
        refused = api.get(f"/conversations?starting_after={cursor}", validate=False)
        assert answered[-1] is False
        ordinary = api.get(f"/conversations?starting_after={cursor}&display_as=html", validate=False)
        assert refused.status_code == ordinary.status_code == 400
        assert refused.json()["errors"] == ordinary.json()["errors"]
        assert refused.json()["errors"][0]["code"] == "parameter_invalid"


def test_the_highest_page_is_answered_as_the_ordinary_path_answers_it(api, answered):
    factories.conversation(api)
    cursor = _cursor(f"[{2**63 - 1}, {2**63 - 1}, {2**31 - 2}]")
    api.get(f"/conversations?starting_after={cursor}")  # renders and caches
    hot = api.get(f"/conversations?starting_after={cursor}")
    assert answered[-1] is True
    ordinary = api.get(f"/conversations?starting_after={cursor}&display_as=html")
    assert hot.content == ordinary.content
    assert hot.json()["pages"]["page"] == 2**31 - 1
