"""`make bench` (bench/http_bench) still runs: on a tiny SQLite database, with one-second loads,
every endpoint it measures answers under wrk, with no failed request. The benchmark itself never
runs in `make test`; this only keeps its script from rotting. Needs wrk (skipped without it)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES

ROOT = Path(__file__).resolve().parent.parent
LOADS = {"get", "list", "search-open", "search-window", "search-rare", "reply", "parts", "cold-get", "read-after-write"}

pytestmark = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk): bench/http_bench needs it"
)


def test_http_bench_runs_on_a_tiny_database(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    argv = [sys.executable, str(ROOT / "bench/http_bench"), "--conversations", "300", "--engines", "sqlite"]
    argv += ["--duration", "1", "--warmup", "0", "--concurrency", "1,4", "--soak", "0", "--no-profile"]
    argv += ["--big-db", "", "--data", str(tmp_path), "--no-write", "--json", str(results)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-4000:]

    report = json.loads(results.read_text())
    figures = report["engines"]["sqlite"]["figures"]
    assert set(figures) == LOADS
    ceiling = report["ceiling"]["figures"]
    for key, by_concurrency in [*figures.items(), ("ceiling", ceiling)]:
        assert set(by_concurrency) == {"1", "4"}, key
        for concurrency, figure in by_concurrency.items():
            assert figure["rps"] > 0, (key, concurrency)
            assert figure["error_count"] == 0, (key, concurrency, figure)
    # every close/open request changed the conversation's state
    assert all(figure["noop"] == 0 for figure in figures["parts"].values())
    # read-after-write timed each kind of request, and every GET after a reply showed it
    for figure in figures["read-after-write"].values():
        assert figure["stale"] == 0
        assert {name: part["requests"] > 0 for name, part in figure["split"].items()} == {
            "reply": True,
            "after-write": True,
            "cached": True,
        }
    # the cold GET read each conversation of the GET set at most once per run
    get_ids = report["engines"]["sqlite"]["get_ids"]
    assert all(0 < figure["requests"] <= get_ids for figure in figures["cold-get"].values())
    assert "### sqlite" in done.stdout and "### verdict" in done.stdout


def test_http_bench_on_postgresql_measures_the_floors_and_two_processes(tmp_path: Path) -> None:
    """The PostgreSQL targets' parts run: the two floors (bench/floors.py) answer every request,
    and the several-processes form spreads each load over two `inboxd serve` with no failed
    request, no close that changed nothing, a cold GET that read each conversation at most once
    (each wrk reads its own share); the verdict judges each target against its floor or the ceiling."""
    if not POSTGRES_URL:
        reason = "PostgreSQL not configured: set INBOXD_TEST_POSTGRES_URL"
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (INBOXD_REQUIRE_POSTGRES=1 makes it mandatory)")
        pytest.skip(reason)
    size = 301  # a name no real run keeps (inboxd_bench_http_<size>), dropped afterwards
    results = tmp_path / "results.json"
    argv = [sys.executable, str(ROOT / "bench/http_bench"), "--conversations", str(size), "--engines", "postgresql"]
    argv += ["--duration", "1", "--warmup", "0", "--concurrency", "4", "--soak", "0", "--no-profile"]
    argv += ["--loads", "get,list,cold-get,reply,parts,select-floor,insert-floor", "--processes", "2"]
    argv += ["--big-db", "", "--data", str(tmp_path), "--no-write", "--json", str(results)]
    argv += ["--postgres-url", POSTGRES_URL]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=240, cwd=ROOT)
    finally:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "inboxd_bench_http_{size}" WITH (FORCE)'))
        admin.dispose()
    assert done.returncode == 0, done.stderr[-4000:]

    report = json.loads(results.read_text())
    assert set(report["floors"]) == {"select-floor", "insert-floor"}
    loads = {"get", "list", "cold-get", "reply", "parts"}
    one, two = report["engines"]["postgresql"], report["engines"]["postgresql × 2 processes"]
    assert set(one["figures"]) == loads and set(two["figures"]) == loads
    for by_concurrency in [*report["floors"].values(), *one["figures"].values(), *two["figures"].values()]:
        for figure in by_concurrency.values():
            assert figure["rps"] > 0 and figure["error_count"] == 0, figure
    assert all(figure["noop"] == 0 for figure in two["figures"]["parts"].values())
    assert all(0 < f["requests"] <= one["get_ids"] for f in two["figures"]["cold-get"].values())
    verdict = done.stdout[done.stdout.index("### verdict") :]
    for line in ("cold GET (document not cached) ≥ 0.30 × the SELECT floor", "reply ≥ 0.25 × the INSERT floor"):
        assert f"postgresql: {line} at c=4: " in verdict and f"postgresql × 2 processes: {line} at c=4: " in verdict
