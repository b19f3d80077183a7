"""The command line and a run from start to end: seed what is missing, measure each engine and
the ceiling, the 1M database, then print the report and write it (and the JSON) where asked."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import http_bench
from http_bench.big_database import big_database
from http_bench.databases import postgres_template, postgres_unreachable, postgres_version, run_copy, sqlite_cache
from http_bench.machine import machine
from http_bench.measure import measure_ceiling, measure_engine, measure_floors, measure_processes
from http_bench.paths import BENCH, BIG_DB, log
from http_bench.report import report, to_json, write_markdown
from http_bench.runner import Run
from http_bench.verdict import total_errors


def main() -> int:
    parser = argparse.ArgumentParser(
        description=http_bench.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100_000, help="size of the seeded database")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--concurrency", default="1,16,64", help="wrk connections, comma-separated")
    parser.add_argument(
        "--loads",
        default="",
        help="only these loads (a quick look): comma-separated keys of get, list, search-open, search-window, "
        "search-rare, reply, parts, cold-get, read-after-write, select-floor, insert-floor",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per endpoint and concurrency")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each measured run (0: none)")
    parser.add_argument("--timeout", type=int, default=10, help="wrk's request timeout, seconds")
    parser.add_argument("--soak", type=int, default=0, help="seconds of mixed load for the memory soak (0: none)")
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="py-spy flame graphs of GET, list, reply and cold GET at the highest concurrency (--profile-dir)",
    )
    parser.add_argument("--profile-dir", type=Path, default=BENCH / "profiles")
    parser.add_argument(
        "--big-db",
        default=str(BIG_DB),
        help="the 1M SQLite database for start-up time and memory ('' skips); opened read-only",
    )
    parser.add_argument("--data", type=Path, default=BENCH / "data", help="where the seeded databases are kept")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("INBOXD_BENCH_POSTGRES_URL", "postgresql+psycopg://inboxd:inboxd@127.0.0.1/postgres"),
        help="a database of a role that may CREATE DATABASE (env INBOXD_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--floors",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="PostgreSQL: also measure the SELECT and INSERT floors the PostgreSQL targets are written in",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="PostgreSQL: also measure this many `inboxd serve` processes on the one database, the load "
        "spread over them, at the highest concurrency (1: not)",
    )
    parser.add_argument("--output", type=Path, default=BENCH / "BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print the results, leave BENCHMARKS.md alone")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    parser.add_argument("--prepare", action="store_true", help="only seed the databases that are missing or stale")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk; `make bench` does it as root)")
    args.data.mkdir(parents=True, exist_ok=True)
    engines = [e for e in args.engines.split(",") if e]

    pg_reason = postgres_unreachable(args.postgres_url) if "postgresql" in engines else None
    if args.prepare:
        sqlite_cache(args.conversations, args.data)
        if "postgresql" in engines and pg_reason is None:
            postgres_template(args.conversations, args.data, args.postgres_url)
        return 0
    with tempfile.TemporaryDirectory(prefix="inboxd-http-bench-") as tmp:
        workdir = Path(tmp)
        run = Run(args, workdir)
        run.results["machine"] = machine(postgres_version(args.postgres_url) if "postgresql" in engines else "not used")
        if pg_reason is not None:
            log(f"PostgreSQL skipped: {pg_reason}")
            run.results["skipped"]["postgresql"] = pg_reason
            engines.remove("postgresql")
        logs = workdir
        document: bytes | None = None
        try:
            for engine_name in engines:
                with run_copy(engine_name, args.conversations, args.data, args.postgres_url) as url:
                    sample, ids = measure_engine(run, engine_name, url, logs)
                    if engine_name == "postgresql":
                        if args.floors:
                            measure_floors(run, engine_name, url, ids.workspace, logs)
                        if args.processes > 1:
                            measure_processes(run, engine_name, url, ids, logs, args.processes)
                if document is None:
                    document = sample
                    measure_ceiling(run, document, workdir / f"{engine_name}-get.txt", logs)
            big_database(run, logs)
        except Exception:
            for log_file in sorted(logs.glob("*.log")):
                log(f"--- {log_file.name} (last lines)\n" + "\n".join(log_file.read_text().splitlines()[-20:]))
            raise
        command = " ".join([".venv/bin/python", "bench/http_bench", *sys.argv[1:]])
        block = report(run, command)
        print(block)
        if args.json is not None:
            args.json.write_text(json.dumps(to_json(run.results), indent=1, default=str))
        if not args.no_write:
            write_markdown(args.output, block)
            log(f"wrote {args.output}")
        errors = total_errors(run)
        if errors:
            log(f"✗ {errors} requests failed: the figures above are flagged")
            return 2
    return 0
