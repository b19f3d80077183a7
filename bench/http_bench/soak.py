"""The soak: mixed GET/list/search at the highest concurrency for --soak seconds, the workers'
memory every 10 s; a worker is flat when its last sample is within FLAT_GROWTH of its first."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from http_bench.paths import log
from http_bench.runner import Run
from http_bench.servers import Server
from http_bench.wrk import Script, parse_wrk

FLAT_GROWTH = 0.10  # soak: a worker is "flat" when its last sample is within 10 % of its first


def mix_script(ids_file: Path, list_paths: list[str], search_bodies: list[str]) -> Script:
    """Of every 10 requests, 8 GET a random id, 1 a list page (1-5 in turn), 1 a search."""
    return Script("mix", {"ids": ids_file, "lists": list_paths, "searches": search_bodies})


def soak(run: Run, server: Server, get_file: Path, paths: list[str], searches: list[str]) -> dict[str, Any]:
    """Mixed GET/list/search at the highest concurrency for --soak seconds, the workers' memory
    every 10 s."""
    c = max(run.concurrency)
    seconds = run.args.soak
    log(f"soak: {seconds} s of mixed GET/list/search at c={c} …")
    script = run.wrk.script(mix_script(get_file, paths, searches), c)
    process = subprocess.Popen(
        run.wrk.command(server.base + "/", script, c, seconds),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    samples: list[tuple[int, dict[int, float]]] = []
    started = time.monotonic()
    while process.poll() is None:
        elapsed = time.monotonic() - started
        if elapsed >= 10 * (len(samples) + 1):
            samples.append((round(elapsed), server.rss()))
        time.sleep(0.2)
    stdout, stderr = process.communicate()
    figure = parse_wrk(stdout, stderr)
    workers: dict[int, list[float]] = {}
    for _, sample in samples:
        for pid, mb in sample.items():
            workers.setdefault(pid, []).append(mb)
    per_worker = {
        str(pid): {
            "first": values[0],
            "last": values[-1],
            "max": max(values),
            "flat": values[-1] <= values[0] * (1 + FLAT_GROWTH),
        }
        for pid, values in workers.items()
    }
    log(f"soak: {figure.rps:,.0f} rps, errors {figure.error_count}; RSS MB " + json.dumps(per_worker))
    return {
        "seconds": seconds,
        "concurrency": c,
        "figure": figure,
        "samples": [(t, sorted(s.values())) for t, s in samples],
        "workers": per_worker,
    }
