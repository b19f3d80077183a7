"""The long form of the reliability runs: `make reliability` (docs/reliability.md).

    .venv/bin/python -m tests.reliability.long                  # both engines, 1 and 2 workers
    .venv/bin/python -m tests.reliability.long --engines sqlite --kills 5

Per engine and worker count: a crash campaign (inboxd under full-speed concurrent writes, killed
with SIGKILL mid-load ``--kills`` times, restarted, and everything acknowledged checked present
and whole after every restart), then concurrency bursts (``--clients`` clients writing to one
conversation at the same instant, ``--rounds`` times). PostgreSQL runs in a database of its own
beside INBOXD_TEST_POSTGRES_URL's (or ``--postgres-url``), created and dropped here.

``--processes 2`` (in the default ``1,2``): the same with two `inboxd serve` processes
(``--process-workers`` workers each) on one database, the load spread over both, each kill taking
one while the other serves on; then the checks of processes.py (reads through one right after
writes through the other, revocations, a shared rate limit).
Exit status 1 if anything was lost, half-applied or refused.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tests.reliability.driver import (
    BurstResult,
    CampaignResult,
    burst_campaign,
    crash_campaign,
    durability_settings,
    log,
    postgres_database,
    sqlite_url,
)
from tests.reliability.processes import ProcessesResult, processes_campaign


def machine() -> dict[str, str]:
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "?")
    memory = ""
    with open("/proc/meminfo", encoding="utf-8") as info:
        memory = f"{int(info.readline().split()[1]) // 1024 // 1024} GiB"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": f"{cpu}, {os.cpu_count()} CPUs",
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.long", description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (one process)")
    parser.add_argument("--processes", default="1,2", help="comma-separated `inboxd serve` counts on one database")
    parser.add_argument("--process-workers", type=int, default=2, help="workers of each of several processes")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer connections")
    parser.add_argument(
        "--requests-per-kill",
        type=int,
        nargs=2,
        default=(200, 600),
        metavar=("MIN", "MAX"),
        help="requests sent between a restart and the next kill (drawn uniformly)",
    )
    parser.add_argument("--clients", type=int, default=32, help="clients of each concurrency burst")
    parser.add_argument("--rounds", type=int, default=10, help="concurrency rounds (3 bursts each)")
    parser.add_argument("--postgres-url", default=os.environ.get("INBOXD_TEST_POSTGRES_URL"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)

    about = machine()
    log(f"machine: {about}")
    results: list[dict[str, Any]] = []
    failed = False
    for engine in args.engines.split(","):
        if engine == "postgres" and not args.postgres_url:
            log("PostgreSQL skipped: set INBOXD_TEST_POSTGRES_URL or pass --postgres-url")
            failed = True
            continue
        forms = []
        for count in (int(p) for p in args.processes.split(",")):
            if count == 1:
                forms += [(1, int(w), ("crash", "bursts")) for w in args.workers.split(",")]
            else:
                forms.append((count, args.process_workers, ("crash", "bursts", "processes")))
        for count, workers, kinds in forms:
            with tempfile.TemporaryDirectory(prefix=f"inboxd-reliability-{engine}-") as directory:
                workdir = Path(directory)
                for kind in kinds:
                    result = _run(kind, engine, workers, count, workdir / kind, args)
                    failed |= bool(result["problems"]) or result["lost"] > 0
                    results.append(result)
    _print(results, about)
    if args.json:
        args.json.write_text(json.dumps({"machine": about, "results": results}, indent=2), encoding="utf-8")
    return 1 if failed else 0


def _run(
    kind: str, engine: str, workers: int, processes: int, workdir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    workdir.mkdir()
    result: CampaignResult | BurstResult | ProcessesResult
    if engine == "sqlite":
        url = sqlite_url(workdir)
        result = _campaign(kind, workdir, url, workers, processes, args)
        settings = durability_settings(url)
    else:
        with postgres_database(args.postgres_url, f"inboxd_reliability_{os.getpid()}") as url:
            result = _campaign(kind, workdir, url, workers, processes, args)
            settings = durability_settings(url)
    out = {"kind": kind, **asdict(result), "settings": settings}
    if not isinstance(result, ProcessesResult):
        out["statuses"] = dict(result.statuses)  # asdict() would turn a Counter inside out
    out["problems"] = out["problems"][:50]
    for problem in out["problems"][:10]:
        log(f"PROBLEM ({engine}, {workers} workers, {kind}): {problem}")
    return out


def _campaign(
    kind: str, workdir: Path, url: str, workers: int, processes: int, args: argparse.Namespace
) -> CampaignResult | BurstResult | ProcessesResult:
    if kind == "processes":
        result = processes_campaign(workdir, url, workers=workers, count=processes)
        log(
            f"{result.engine} {processes} processes of w{workers}: {result.writes} writes, {result.reads} reads "
            f"compared, {result.revocations} revocations (first refusal at most "
            f"{max(result.first_refusal, default=0) * 1000:.0f} ms after the commit), admitted {result.admitted} "
            f"of {result.rate_limit} + {result.rate_slack}: {len(result.problems)} problems"
        )
        return result
    if kind == "crash":
        return crash_campaign(
            workdir,
            url,
            kills=args.kills,
            writers=args.writers,
            requests_per_kill=tuple(args.requests_per_kill),
            workers=workers,
            processes=processes,
            seed=args.seed,
        )
    return burst_campaign(workdir, url, workers=workers, processes=processes, rounds=args.rounds, clients=args.clients)


def _processes(r: dict[str, Any]) -> str:
    return f"{r['processes']} × {r['workers']}" if r["processes"] > 1 else str(r["workers"])


def _print(results: list[dict[str, Any]], about: dict[str, str]) -> None:
    crash = [r for r in results if r["kind"] == "crash"]
    bursts = [r for r in results if r["kind"] == "bursts"]
    several = [r for r in results if r["kind"] == "processes"]
    print()
    print(
        "| engine | workers (processes × workers) | kills | requests | acknowledged | in flight at a kill | lost "
        "| problems | conversations / parts | parts dated before the one ahead "
        "| answered by the other while one was down | time |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in crash:
        down = f"{r['served_during_kills']:,} ({r['failed_during_kills']} not 2xx)" if r["processes"] > 1 else "–"
        print(
            f"| {r['engine']} | {_processes(r)} | {r['kills']} | {r['sent']:,} | {r['acknowledged']:,} | "
            f"{r['unanswered']} ({r['unanswered_applied']} found applied) | {r['lost']} | {len(r['problems'])} | "
            f"{r['conversations']} / {r['parts']:,} | {r['time_inversions']} | {down} | {r['seconds']:.0f} s |"
        )
    print()
    print(
        "| engine | workers (processes × workers) | bursts × clients | requests | acknowledged | lost | problems "
        "| slowest | time |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in bursts:
        print(
            f"| {r['engine']} | {_processes(r)} | {r['bursts']} × {r['clients']} | {r['sent']:,} | "
            f"{r['acknowledged']:,} | {r['lost']} | {len(r['problems'])} | {r['slowest']:.2f} s | "
            f"{r['seconds']:.0f} s |"
        )
    if several:
        print()
        print(
            "| engine | processes × workers | writes, then reads through the other compared | problems "
            "| revocations: calls after the commit, all refused? | first refusal after the commit (slowest path) "
            "| rate limit per window (+ slack): admitted | time |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for r in several:
            refusals = sorted(r["first_refusal"])
            slowest = (
                f"median {refusals[len(refusals) // 2] * 1000:.0f} ms, max {refusals[-1] * 1000:.0f} ms"
                if refusals
                else "–"
            )
            print(
                f"| {r['engine']} | {_processes(r)} | {r['writes']:,}, {r['reads']:,} | {len(r['problems'])} | "
                f"{r['revocations']}: {r['calls_after_revocation']:,} | {slowest} | "
                f"{r['rate_limit']:,} (+{r['rate_slack']}): {', '.join(f'{a:,}' for a in r['admitted'])} | "
                f"{r['seconds']:.0f} s |"
            )
    print()
    for key, value in about.items():
        print(f"- {key}: {value}")
    for engine, settings in {r["engine"]: r["settings"] for r in crash}.items():
        print(f"- {engine}: {', '.join(f'{name} = {value}' for name, value in settings.items())}")


if __name__ == "__main__":
    sys.exit(main())
