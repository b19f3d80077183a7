"""`make bench`'s first step (bench/search_bench.py) still runs: two tiny SQLite databases, every
query measured at both sizes (store and HTTP), plans, and the report written. The benchmark itself
never runs in `make test`; this keeps its script from rotting."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import search_bench  # noqa: E402


def test_search_bench_runs_on_two_tiny_databases(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    argv = [sys.executable, str(ROOT / "bench/search_bench.py"), "--engines", "sqlite", "--sizes", "200,400"]
    argv += ["--runs", "2", "--warmup", "1", "--http", "sqlite:400", "--plans"]
    argv += ["--data", str(tmp_path), "--output", str(output)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-4000:]

    report = output.read_text()
    assert "### sqlite, store" in report and "### sqlite, http" in report
    store_lines = [line for line in done.stderr.splitlines() if " store " in line]
    # 12 queries, each at both sizes, and every row of the store table has both columns filled in
    assert len(store_lines) == 24, done.stderr[-4000:]
    rows = [line for line in report.splitlines() if line.startswith("| ") and " / " in line]
    assert len(rows) >= 12 + 12  # store table (two sizes) and HTTP table
    assert "<summary>sqlite: two-level nested</summary>" in report


def test_sizes_take_turns_while_measured() -> None:
    """The ratio between sizes holds when the machine's speed drifts: runs alternate, in a rotated
    order, after each call's warm-up."""
    order: list[str] = []

    def call(name: str) -> Callable[[], tuple[int, int, str | None]]:
        def run() -> tuple[int, int, str | None]:
            order.append(name)
            return (len(name), 7, None)

        return run

    figures = search_bench.measure_interleaved([call("a"), call("b"), call("c")], runs=3, warmup=1)

    assert order == ["a", "b", "c", "a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert [f["rows"] for f in figures] == [1, 1, 1] and all(f["total"] == 7 for f in figures)
    assert all(f["median"] >= 0 and f["p95"] >= f["median"] for f in figures)
