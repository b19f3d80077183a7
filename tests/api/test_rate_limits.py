"""Per-token rate limits (api/rate_limits.py, docs/security.md): the headers, the 429, the reset, and
one count shared by every process on the database — in-process, over HTTP on both engines, and
with `inboxd serve --workers 2`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from inboxd.api.rate_limits import BATCH, RateLimiter, per_window
from inboxd.app import create_app
from inboxd.domain.clock import FrozenClock
from inboxd.store import migrate
from inboxd.store.engine import make_engine
from inboxd.store.rate_limits import add_calls
from inboxd.store.tables import rate_limits
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import token_digest
from tests.conftest import ACME_TOKEN, GLOBEX_TOKEN, Api
from tests.server import Server

PER_MINUTE = 60  # 10 calls per 10-second window


@pytest.fixture
def limited(engine: Engine, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(engine, clock, rate_limit=PER_MINUTE)) as client:
        yield client


def _window_end(clock: FrozenClock) -> int:
    now = clock.now()
    return now - now % 10 + 10


def test_intercom_splits_the_minute_in_six():
    assert (per_window(1_000), per_window(10_000), per_window(60), per_window(1)) == (167, 1667, 10, 1)


def test_every_authenticated_response_carries_the_headers(limited, clock):
    acme = Api(limited, ACME_TOKEN)
    first = acme.get("/me")
    assert first.status_code == 200
    assert first.headers["x-ratelimit-limit"] == "10"
    assert first.headers["x-ratelimit-remaining"] == "9"
    assert first.headers["x-ratelimit-reset"] == str(_window_end(clock))
    missing = acme.get("/conversations/999")  # an error answer is an authenticated response too
    assert missing.status_code == 404
    assert missing.headers["x-ratelimit-remaining"] == "8"

    refused = Api(limited, "not-a-token").get("/me")
    assert refused.status_code == 401
    assert "x-ratelimit-limit" not in refused.headers
    assert "x-ratelimit-limit" not in limited.get("/healthz").headers


def test_past_the_window_limit_is_429_until_the_window_resets(limited, clock):
    acme = Api(limited, ACME_TOKEN)
    for n in range(10):
        assert acme.get("/me").headers["x-ratelimit-remaining"] == str(9 - n)
    over = acme.get("/me")
    assert over.status_code == 429
    [error] = over.json()["errors"]
    assert error["code"] == "rate_limit_exceeded"
    assert "10 in 10_seconds" in error["message"]
    assert over.headers["x-ratelimit-remaining"] == "0"
    assert over.headers["x-ratelimit-reset"] == str(_window_end(clock))
    assert int(over.headers["retry-after"]) == _window_end(clock) - clock.now()
    # A refused call does not read its body: it is refused first. The version is checked before
    # the limit (api/http.py: auth → version → rate limit → body), so a bad one is a 400 still.
    assert acme.post("/contacts", content=b"{not json").status_code == 429
    assert acme.post("/contacts", content=b"{}", headers={"Intercom-Version": "nope"}).status_code == 400

    assert Api(limited, GLOBEX_TOKEN).get("/me").status_code == 200  # each token has its own count

    clock.advance(_window_end(clock) - clock.now())
    again = acme.get("/me")
    assert again.status_code == 200
    assert again.headers["x-ratelimit-remaining"] == "9"
    assert again.headers["x-ratelimit-reset"] == str(_window_end(clock))


def test_zero_disables_the_limit(engine, clock):
    with TestClient(create_app(engine, clock, rate_limit=0)) as client:
        acme = Api(client, ACME_TOKEN)
        for _ in range(15):
            response = acme.get("/me")
            assert response.status_code == 200
        assert "x-ratelimit-limit" not in response.headers


def test_two_app_instances_on_one_database_count_together(engine, clock):
    # Two processes behind a load balancer: each its own app, limiter and connection pool.
    other = make_engine(engine.url.render_as_string(hide_password=False), pool_size=2)
    try:
        with (
            TestClient(create_app(engine, clock, rate_limit=PER_MINUTE)) as one,
            TestClient(create_app(other, clock, rate_limit=PER_MINUTE)) as two,
        ):
            apis = [Api(one, ACME_TOKEN), Api(two, ACME_TOKEN)]
            remaining = [apis[n % 2].get("/me").headers["x-ratelimit-remaining"] for n in range(10)]
            assert remaining == [str(9 - n) for n in range(10)]
            assert apis[0].get("/me").status_code == 429
            assert apis[1].get("/me").status_code == 429
    finally:
        other.dispose()


def _digest() -> str:
    return token_digest(ACME_TOKEN)


def _call(limiter: RateLimiter, now: int) -> bool:
    verdict = limiter.check(_digest(), now)
    if verdict is None:
        verdict = limiter.sync(_digest(), now)
    return verdict.allowed


def test_one_process_admits_exactly_the_limit_with_few_writes(engine, clock):
    limiter = RateLimiter(engine, 6 * 600, monotonic=lambda: 0.0)  # 600 per window
    now = clock.now()
    admitted = sum(_call(limiter, now) for _ in range(700))
    assert admitted == 600
    with transaction(engine, write=False) as conn:
        stored = conn.execute(select(rate_limits.c.calls)).scalar_one()
    # Synced every BATCH calls, then at every call in the window's last tenth: not 700 writes.
    assert 600 <= stored <= 700


def test_processes_overshoot_by_less_than_a_batch_each(engine, clock):
    limiters = [RateLimiter(engine, 6 * 600, monotonic=lambda: 0.0) for _ in range(3)]
    now = clock.now()
    admitted = sum(_call(limiters[n % 3], now) for n in range(900))
    assert 600 <= admitted <= 600 + 3 * (BATCH - 1)


def test_a_sync_prunes_the_tokens_earlier_windows(engine, clock):
    now = clock.now()
    with transaction(engine, write=True) as conn:
        for start in (now - 30, now - 20, now - 10):
            add_calls(conn, _digest(), start, 5)
        add_calls(conn, token_digest(GLOBEX_TOKEN), now - 30, 5)
    limiter = RateLimiter(engine, PER_MINUTE)
    assert _call(limiter, now)
    with transaction(engine, write=False) as conn:
        rows = conn.execute(select(rate_limits.c.token_sha256, func.count()).group_by(rate_limits.c.token_sha256))
        assert dict(rows.all()) == {_digest(): 1, token_digest(GLOBEX_TOKEN): 1}


# -- the real server, two worker processes -------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    database = f"sqlite:///{tmp_path}/served.sqlite3"
    migrate.upgrade(make_engine(database))
    server = Server(tmp_path, database, {"INBOXD_WORKERS": "2", "INBOXD_RATE_LIMIT": str(PER_MINUTE)}, "limits")
    try:
        server.wait_ready()
        [token] = re.findall(r"^\s+(demo_[A-Za-z0-9_-]+)\s*$", server.output, re.MULTILINE)
        yield server, token
    finally:
        server.stop()


def test_workers_of_one_server_share_the_count(served):
    server, token = served
    answers: list[Any] = []
    for _ in range(24):
        # A new connection each time, so that both workers take calls.
        response = httpx2.get(f"{server.base}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        answers.append((response.headers["x-ratelimit-reset"], response.status_code))
    # Calls are grouped by window, in case one ended during the test: none admits more than 10.
    admitted = Counter(reset for reset, status in answers if status == 200)
    assert set(status for _, status in answers) <= {200, 429}
    assert max(admitted.values()) == 10, (answers, server.logs())
