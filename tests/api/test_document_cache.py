"""Whatever a write changes, the next GET shows: through the fast route and the router, from the
render cache or a fresh render alike. Every write operation of tests/api/test_events.py is run on
a conversation whose document is cached in two processes (api/render_cache.py, api/conversations.py
``keep_document``): the one that writes and one that does not learn of the write."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from inboxd.app import create_app
from inboxd.render import conversations as render_module
from tests.api.test_events import OPERATIONS, World
from tests.conftest import ACME_TOKEN, Api

# The writes that succeed (a delete too: every process then answers 404, as a fresh one does).
SUCCEEDING = [n for n in OPERATIONS if n not in ("a write that fails", "delete in 2.12 (the 405 of before)")]


def _unstamped(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without the request id an error carries (fresh for every request)."""
    return {key: value for key, value in answer.items() if key != "request_id"}


@pytest.mark.parametrize("name", SUCCEEDING)
def test_the_next_get_shows_what_a_write_changed(engine, clock, name):
    before, operation, _ = OPERATIONS[name]
    with (
        TestClient(create_app(engine, clock, rate_limit=0)) as fast,
        TestClient(create_app(engine, clock, rate_limit=0, fast_routes=False)) as ordinary,
    ):
        world = World(Api(fast, ACME_TOKEN))
        if before is not None:
            assert before(world).status_code == 200
        path = f"/conversations/{world.conversation}"
        for client in (fast, ordinary):  # cached in both processes
            assert Api(client, ACME_TOKEN).get(path).status_code == 200
        assert operation(world).status_code == 200
        shown = [_unstamped(Api(client, ACME_TOKEN).get(path).json()) for client in (fast, ordinary, fast, ordinary)]
    with TestClient(create_app(engine, clock, rate_limit=0)) as fresh:
        rendered = _unstamped(Api(fresh, ACME_TOKEN).get(path).json())
    assert shown == [rendered] * 4


def test_a_write_answer_is_the_next_document(api, monkeypatch):
    """Read-after-write: a client that replies, then fetches the conversation, is answered from
    the document the reply drew, rendering nothing again."""
    world = World(api)
    replied = world.reply(type="admin", admin_id=world.admin, message_type="comment", body="on it")
    renders: list[int] = []
    original = render_module.conversation

    def counting(*args: object, **kwargs: object) -> object:
        renders.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(render_module, "conversation", counting)
    shown = api.get(f"/conversations/{world.conversation}")
    assert shown.content == replied.content
    assert renders == []
