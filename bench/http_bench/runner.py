"""One run of the benchmark (its options, results and wrk driver) and one load measured at each
concurrency: a warm-up run, then the measured run."""

from __future__ import annotations

import argparse
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
            "notes": [],
        }

    def wanted(self, load: Load) -> bool:
        return self.only is None or load.key in self.only

    def measure(self, server_base: str, load: Load, engine: str, figures: dict[str, dict[int, Figure]]) -> None:
        for c in self.concurrency:
            if self.args.warmup > 0:
                self._once(server_base, load, c, self.args.warmup)
            figure = self._once(server_base, load, c, self.args.duration)
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

    def _once(self, base: str, load: Load, c: int, seconds: int) -> Figure:
        if load.before is not None:
            load.before()
        script = self.wrk.script(load.script(c), c)
        figure = self.wrk.run(base + load.url_path, script, c, seconds)
        if load.check is not None:
            load.check(figure)
        return figure
