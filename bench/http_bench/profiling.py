"""py-spy on one worker during an extra run of a load (the measured rows are never taken under
the profiler), and where the samples of the flame graph went."""

from __future__ import annotations

import bisect
import html
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from http_bench.paths import log
from http_bench.runner import Load, Run
from http_bench.servers import Server
from http_bench.wrk import Figure


def profile(run: Run, server: Server, load: Load, engine_name: str, figures: dict[str, dict[int, Figure]]) -> None:
    """py-spy on one worker during an extra run of ``load`` at the highest concurrency (the
    measured figures are not taken under the profiler)."""
    c = max(run.concurrency)
    out_dir = run.args.profile_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{engine_name}-{load.key}-c{c}.svg"
    entry: dict[str, Any] = {"engine": engine_name, "load": load.label, "file": str(out.resolve())}
    run.results["profiles"].append(entry)
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        entry["error"] = "py-spy is not installed (`pip install -e '.[bench]'`; make bench does)"
        log(f"profile: {entry['error']}")
        return
    worker = server.workers()[0]
    seconds = run.args.duration
    if load.before is not None:
        load.before()
    argv = [spy, "record", "--pid", str(worker), "--duration", str(seconds + 1), "--rate", "100"]
    argv += ["--format", "flamegraph", "--output", str(out), "--nonblocking"]
    spy_run = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(0.5)
    figure = run.wrk.run(server.base + load.url_path, run.wrk.script(load.script(c), c), c, seconds)
    if figure.seconds < seconds - 0.5:  # the load ended early (the cold GET): so do the samples
        spy_run.send_signal(signal.SIGINT)  # py-spy writes what it has
    output, _ = spy_run.communicate(timeout=seconds + 60)
    entry["rps_under_profiler"] = round(figure.rps)
    if spy_run.returncode != 0 or not out.exists():
        entry["error"] = "py-spy could not record (ptrace not permitted?): " + " ".join(output.split())[-300:]
        log(f"profile: {entry['error']}")
        return
    entry["top"] = flame_summary(out)
    log(f"profile: {out} ({out.stat().st_size // 1024} KiB)")


def flame_summary(svg: Path, count: int = 8) -> dict[str, list[tuple[str, float]]]:
    """Where the samples of a py-spy flame graph went, in % of all samples: ``self``, the functions
    the samples were in (leaves), and ``inboxd``, inboxd's own functions including what they
    called (entry points and middleware left out). Read from the frames' sample positions
    (``fg:x``/``fg:w``), so a function on a stack twice is counted once."""
    text = svg.read_text(errors="replace")
    frames: list[tuple[str, float, int, int]] = []
    pattern = r'<title>(.*?)</title><rect x="[^"]*" y="([\d.]+)"[^>]*?fg:x="(\d+)" fg:w="(\d+)"'
    for match in re.finditer(pattern, text):
        name = re.sub(r" \([\d,]+ samples?, [\d.]+%\)$", "", html.unescape(match.group(1)))
        name = re.sub(r":\d+\)$", ")", name).replace("site-packages/", "")
        frames.append((name, float(match.group(2)), int(match.group(3)), int(match.group(4))))
    roots = [f for f in frames if f[0] == "all"]
    if not roots:
        return {"self": [], "inboxd": []}
    total, root_y = roots[0][3], roots[0][1]
    rows = sorted({f[1] for f in frames}, reverse=root_y != min(f[1] for f in frames))
    depth = {y: i for i, y in enumerate(rows)}
    by_depth: dict[int, list[tuple[int, int]]] = {}
    for _, y, x, w in frames:
        by_depth.setdefault(depth[y], []).append((x, w))
    for spans in by_depth.values():
        spans.sort()
    own: dict[str, int] = {}
    covered: dict[str, list[tuple[int, int]]] = {}
    for name, y, x, w in frames:
        children = by_depth.get(depth[y] + 1, [])
        i = bisect.bisect_left(children, (x, -1))
        inner = 0
        while i < len(children) and children[i][0] < x + w:
            inner += children[i][1]
            i += 1
        own[name] = own.get(name, 0) + w - inner
        covered.setdefault(name, []).append((x, x + w))
    skip = ("inboxd/__main__.py", "inboxd/cli.py", "inboxd/app.py")
    mine = {
        name: _union(spans)
        for name, spans in covered.items()
        if "(inboxd/" in name and not any(k in name for k in skip)
    }

    def top(values: dict[str, int]) -> list[tuple[str, float]]:
        ranked = sorted(values.items(), key=lambda kv: -kv[1])
        return [(name, 100 * n / total) for name, n in ranked[:count] if name != "all"]

    return {"self": top(own), "inboxd": top(mine)}


def _union(spans: list[tuple[int, int]]) -> int:
    length, end = 0, -1
    for a, b in sorted(spans):
        if b > end:
            length += b - max(a, end)
            end = b
    return length
