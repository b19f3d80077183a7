"""Two `inboxd serve --workers 2` on one database, as a team runs them behind a load balancer, on
both engines: what one writes the other serves at once, a revoked token is refused by both at once,
the rate limit is one budget, and SIGKILL of either loses nothing while the other serves on.

The long form, with figures, is `make reliability` (docs/reliability.md, "Several processes").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability import processes
from tests.reliability.conftest import database
from tests.reliability.driver import Recorder, crash_campaign, setup, sqlite_url
from tests.reliability.processes import Processes
from tests.server import postgres_database

PER_MINUTE = 1_200  # 200 a window: well above the slack of 4 processes, well below what two processes alone would admit


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processes]:
    """Both processes started at the same moment on a database nobody migrated yet: they migrate
    and apply the workspace file one after the other (store/migrate.py)."""
    directory = tmp_path_factory.mktemp(f"processes-{request.param}")
    if request.param == "sqlite":
        yield from _started(directory, sqlite_url(directory))
        return
    with postgres_database("inboxd_processes") as url:
        yield from _started(directory, url)


def _started(directory: Path, url: str) -> Iterator[Processes]:
    pair = Processes(directory, url, rate_limit=PER_MINUTE).start()
    try:
        yield pair
    finally:
        pair.close()
    assert pair.server_errors() == 0, pair.logs()


def _a_conversation(pair: Processes) -> str:
    world = setup(pair.bases[0], Recorder(), contacts=1, conversations=1, tags=0)
    return world.live[0]


def test_what_one_process_writes_the_other_serves_at_once(pair):
    result = processes.read_your_writes(pair.bases, pair.database_url, clients=6, rounds=6)

    assert result.problems == []
    assert (result.writes, result.reads) == (6 * 6, 6 * 6 * 3)


def test_a_token_revoked_is_refused_by_both_processes_at_once(pair):
    result = processes.revocation(pair.bases, pair.database_url, _a_conversation(pair), keep_calling=0.5)

    assert result.problems == []
    assert result.after_commit > 0
    # Every process and path refused it, the first refusal at most one call after the commit.
    assert len(result.refused_after) == len(pair.bases) * len(processes.PROBES)
    assert result.slowest < 1.0, result.refused_after


def test_the_rate_limit_is_one_budget_over_both_processes(pair):
    result = processes.shared_rate_limit(
        pair.bases, pair.database_url, _a_conversation(pair), per_minute=PER_MINUTE, workers=pair.workers
    )

    assert result.problems == []
    # Each window admitted at most its limit and the documented slack (checked inside), and
    # both processes refused once the budget they share was spent: far from 2 × 200 admitted.
    assert result.limit + result.slack < 2 * result.limit
    assert set(result.refused_by) == set(pair.bases), result.refused_by
    assert max(result.admitted.values()) >= result.limit - result.slack, result.admitted


def test_sigkill_of_either_process_loses_nothing_and_the_other_serves_on(tmp_path):
    """PostgreSQL only here (each restart of a 2-worker process under load costs seconds); both
    engines in `make reliability`."""
    for url in database("postgres", tmp_path):
        result = crash_campaign(tmp_path, url, kills=2, writers=6, requests_per_kill=(40, 80), workers=2, processes=2)

    assert result.problems == []
    assert (result.kills, result.lost) == (2, 0)
    assert result.unanswered > 0, result  # the kills landed mid-request
    # While each was down the other answered every request it was sent (2xx, checked inside).
    assert result.served_during_kills > 0
    assert result.failed_during_kills == 0
