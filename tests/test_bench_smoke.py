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
