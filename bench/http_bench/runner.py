"""One run of the benchmark (its options, results and wrk driver) and one load measured at each
concurrency: a warm-up run, then the measured run."""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from http_bench.paths import log
from http_bench.wrk import Figure, Script, Wrk


@dataclasses.dataclass
class Load:
    key: str
    label: str
    url_path: str  # the URL wrk is given (the script may choose other paths)
    script: Callable[[int], Script]  # concurrency -> the script, built just before each wrk run
    before: Callable[[], None] | None = None  # called before each wrk run (close/open: states)
    check: Callable[[Figure], None] | None = None  # called after each wrk run


class Run:
    """One benchmark run: options, the wrk driver, the results, the log."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args, self.workdir = args, workdir
        self.wrk = Wrk(workdir, args.timeout)
        self.concurrency = [int(c) for c in args.concurrency.split(",")]
        # --loads: measure only these (a quick look; the report then lacks the others' figures).
        self.only = set(args.loads.split(",")) if args.loads else None
        self.results: dict[str, Any] = {
            "engines": {},
            "ceiling": {},
            "skipped": {},
            "big": {},
            "soak": None,
            "profiles": [],
            "floors": {},
            "notes": [],
        }

    def wanted(self, load: Load) -> bool:
        return self.only is None or load.key in self.only

    def measure(
        self,
        bases: str | list[str],
        load: Load,
        engine: str,
        figures: dict[str, dict[int, Figure]],
        concurrency: list[int] | None = None,
    ) -> None:
        """``load`` at each concurrency against one server, or spread evenly over several (their
        base URLs: a load balancer's share, one wrk each, run at once)."""
        for c in concurrency or self.concurrency:
            if self.args.warmup > 0:
                self._once(bases, load, c, self.args.warmup)
            figure = self._once(bases, load, c, self.args.duration)
            figures.setdefault(load.key, {})[c] = figure
            flag = "  ✗ ERRORS " + json.dumps(figure.errors) if figure.errors else ""
            if figure.noop:
                flag += f"  ✗ {figure.noop} answers changed nothing"
            if figure.stale:
                flag += f"  ✗ {figure.stale} GETs did not show the reply before them"
            log(
                f"{engine:>10}  {load.label:<48} c={c:<3} {figure.rps:>9,.0f} rps  "
                f"p50 {figure.p50_ms:7.2f}  p99 {figure.p99_ms:7.2f} ms{flag}"
            )
            for name, part in (figure.split or {}).items():
                log(
                    f"{'':>10}    {name:<46} c={c:<3} {part.rps:>9,.0f} rps  "
                    f"p50 {part.p50_ms:7.2f}  p99 {part.p99_ms:7.2f} ms"
                )

    def _once(self, bases: str | list[str], load: Load, c: int, seconds: int) -> Figure:
        if load.before is not None:
            load.before()
        if isinstance(bases, str):
            figure = self.wrk.run(bases + load.url_path, self.wrk.script(load.script(c), c), c, seconds)
        else:
            share = max(1, c // len(bases))
            scripts = [
                self.wrk.script(load.script(share), share, instance=n, instances=len(bases)) for n in range(len(bases))
            ]
            with concurrent.futures.ThreadPoolExecutor(len(bases)) as pool:
                runs = pool.map(
                    lambda pair: self.wrk.run(pair[0] + load.url_path, pair[1], share, seconds),
                    zip(bases, scripts, strict=True),
                )
                figure = combined(list(runs))
        if load.check is not None:
            load.check(figure)
        return figure


def combined(runs: list[Figure]) -> Figure:
    """Several wrk runs made at once, one per server, as one figure: the requests and errors added,
    over the longest run's time; p50 the mean of theirs weighted by requests (each run's own
    distribution is all wrk prints), p99 the worst of theirs. A split (read-after-write) is
    combined the same way, kind by kind."""
    if len(runs) == 1:
        return runs[0]
    requests = sum(f.requests for f in runs)
    errors: dict[str, int] = {}
    for f in runs:
        for kind, count in f.errors.items():
            errors[kind] = errors.get(kind, 0) + count
    splits = [f.split for f in runs if f.split]
    return Figure(
        requests=requests,
        seconds=max(f.seconds for f in runs),
        errors=errors,
        p50_ms=sum(f.p50_ms * f.requests for f in runs) / requests if requests else 0.0,
        p99_ms=max(f.p99_ms for f in runs),
        noop=None if all(f.noop is None for f in runs) else sum(f.noop or 0 for f in runs),
        stale=None if all(f.stale is None for f in runs) else sum(f.stale or 0 for f in runs),
        split={kind: combined([s[kind] for s in splits if kind in s]) for kind in splits[0]} if splits else None,
    )
