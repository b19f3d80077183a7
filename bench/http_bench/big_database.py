"""Start-up time and worker memory on the 1M SQLite database of bench/search_bench.py, opened
read-only and served with the clock frozen (bench/frozen_serve.py), or the reason it was skipped."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import search_bench

from http_bench.databases import NOW, TOKEN
from http_bench.loads import answers, list_paths, search_bodies
from http_bench.paths import BENCH, log, shown
from http_bench.runner import Run
from http_bench.servers import WORKERS, Sampler, Server, free_port, inboxd_serve
from http_bench.soak import mix_script
from inboxd.store import migrate
from inboxd.store import tables as schema_tables


def big_database(run: Run, logs: Path) -> None:
    """Start-up time and worker memory on the 1M SQLite database of bench/search_bench.py, read-only."""
    if not run.args.big_db:
        run.results["skipped"]["1M database"] = "--big-db ''"
        return
    path = Path(run.args.big_db)
    if not path.exists():
        run.results["skipped"]["1M database"] = f"{path} does not exist (make bench-search creates it)"
        return
    head = migrate.head_revision()
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            current = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
            present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            size = int(conn.execute("SELECT count(*) FROM conversations").fetchone()[0])
            ids = [str(r[0]) for r in conn.execute("SELECT id FROM conversations ORDER BY random() LIMIT 20000")]
    except sqlite3.Error as exc:
        run.results["skipped"]["1M database"] = f"{path} cannot be read: {exc}"
        return
    if current != [head]:
        run.results["skipped"]["1M database"] = (
            f"{path.name} is at migration {','.join(current)}, this code at {head}: serving it would migrate "
            "it (a write to bench/search_bench.py's data); `make bench-search` rebuilds it"
        )
        return
    missing = sorted(set(schema_tables.metadata.tables) - present)
    if missing:
        run.results["skipped"]["1M database"] = (
            f"{path.name} lacks the table(s) {', '.join(missing)} of this code (a migration changed since it "
            "was built); `make bench-search` rebuilds it"
        )
        return
    marker = path.parent / f"sqlite-{size}.json"  # search_bench's: written once its seed is complete
    if path.name.startswith("search-") and (
        not marker.exists() or json.loads(marker.read_text())["params"].get("schema") != search_bench.migrate_head()
    ):
        run.results["skipped"]["1M database"] = f"{path.name} is being built by bench/search_bench.py (no marker)"
        return
    # `inboxd serve` gets a plain URL: it cannot take a read-only URI (`file:…?mode=ro&uri=true`), as
    # it applies migrations first (src/inboxd/cli.py); with no workspace file and the schema at head,
    # its start only reads (the migration step takes the write lock for an instant and writes nothing).
    url = f"sqlite:///{path.resolve()}"
    big: dict[str, Any] = {"path": shown(path)}
    big["conversations"] = size
    run.results["big"] = big
    startups, idle = [], []
    for attempt in range(3):
        server = inboxd_serve(url, free_port(), logs, f"inboxd-1M-{attempt}", None)
        try:
            startups.append(server.start())
            idle.append(sorted(server.rss().values()))
        finally:
            server.stop()
    big["startup_s"] = startups
    big["rss_ready"] = idle[-1]
    log(f"1M: start-up to /readyz {', '.join(f'{s:.2f}' for s in startups)} s; RSS at ready {idle[-1]} MB")
    ids_file = run.workdir / "big-ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    port = free_port()
    read_only = f"sqlite:///file:{path.resolve()}?mode=ro&uri=true"  # frozen_serve runs no migration
    argv = [sys.executable, str(BENCH / "frozen_serve.py"), "--database-url", read_only, "--now", str(NOW)]
    argv += ["--port", str(port), "--workers", str(WORKERS)]
    server = Server("inboxd-1M-frozen", argv, port, logs)
    try:
        server.start()
        # bench/search_bench.py's database opens with its token; one of this script's with ours
        token = next((t for t in (getattr(search_bench, "TOKEN", TOKEN), TOKEN) if answers(server, t)), TOKEN)
        c = max(run.concurrency)
        seconds = max(3 * run.args.duration, 30)
        script = mix_script(ids_file, list_paths(server, token), list(search_bodies(read_only).values()))
        with Sampler(server) as sampler:
            figure = run.wrk.run(server.base + "/", run.wrk.script(script, c, token), c, seconds)
        big["get"] = figure
        big["seconds"] = seconds
        big["rss_peak"] = sorted(sampler.peak.values())
        big["rss_after"] = sorted(server.rss().values())
        log(
            f"1M: mixed GET/list/search c={c} {figure.rps:,.0f} rps, errors {figure.error_count}; "
            f"worker RSS peak {big['rss_peak']} MB"
        )
    finally:
        server.stop()
