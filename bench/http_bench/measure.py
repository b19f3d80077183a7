"""What a run measures on one engine (every load against ``inboxd serve``, the workers' memory
around them) and the ceiling the figures are read against."""

from __future__ import annotations

import concurrent.futures
import json
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from http_bench.cold_get import cold_get_load
from http_bench.databases import WORKSPACE_TOML
from http_bench.id_sets import IdSets, id_sets
from http_bench.loads import FLOOR_LABELS, get_script, list_paths, read_loads, search_bodies
from http_bench.paths import BENCH, log
from http_bench.profiling import profile
from http_bench.read_after_write import halves, read_after_write_load
from http_bench.runner import Load, Run
from http_bench.servers import WORKERS, Sampler, Server, free_port, inboxd_serve
from http_bench.soak import soak
from http_bench.write_loads import write_loads
from http_bench.wrk import Figure, Script
from inboxd.store.engine import make_engine


def measure_engine(run: Run, engine_name: str, url: str, logs: Path) -> tuple[bytes, IdSets]:
    """Every load on one engine; returns a GET response of median size (the ceiling's document) and
    the conversations the loads asked for."""
    args = run.args
    t = id_sets(url)
    files = run.workdir
    (files / f"{engine_name}-get.txt").write_text("\n".join(t.get_ids) + "\n")
    (files / f"{engine_name}-reply.txt").write_text("\n".join(t.reply_ids) + "\n")
    workspace_file = files / "workspace.toml"
    workspace_file.write_text(WORKSPACE_TOML)
    searches = search_bodies(url)
    probe = make_engine(url)
    server = inboxd_serve(url, free_port(), logs, f"inboxd-{engine_name}", workspace_file)
    result: dict[str, Any] = {"figures": {}, "get_ids": len(t.get_ids)}
    run.results["engines"][engine_name] = result
    try:
        result["startup_s"] = server.start()
        result["rss_idle"] = sorted(server.rss().values())
        sample = sorted(
            (server.get(f"/conversations/{i}") for i in t.get_ids[:21]),
            key=len,
        )[len(t.get_ids[:21]) // 2]
        result["document_bytes"] = len(sample)
        paths = list_paths(server)
        result["first_views"] = first_views(server, t.get_ids, probe)
        log(
            f"{engine_name:>10}  first views of {len(t.get_ids):,} conversations ({PASSES} rounds): "
            f"{result['first_views']['rps']:,.0f} rps in the first (renders)"
        )
        figures: dict[str, dict[int, Figure]] = {}
        result["figures"] = figures
        get_file = files / f"{engine_name}-get.txt"
        loads = read_loads(get_file, paths, searches)
        with Sampler(server) as sampler:
            for load in filter(run.wanted, loads):
                run.measure(server.base, load, engine_name, figures)
            if args.profile:
                for load in filter(run.wanted, loads[:2]):
                    profile(run, server, load, engine_name, figures)
            if args.soak > 0 and engine_name == "sqlite":
                run.results["soak"] = soak(run, server, get_file, paths, list(searches.values()))
            writes = write_loads(run, engine_name, t, probe)
            for load in filter(run.wanted, writes):
                run.measure(server.base, load, engine_name, figures)
            if args.profile and run.wanted(writes[0]):
                profile(run, server, writes[0], engine_name, figures)  # the reply: where a write's time goes
            # Last: they change the GET set's conversations, which the loads above read cached.
            cache_loads(run, server, engine_name, t, probe, figures)
        result["rss_peak"] = sorted(sampler.peak.values())
    finally:
        server.stop()
        probe.dispose()
    return sample, t


# The loads of the several-processes form (those issue 20's targets name), at the top concurrency;
# the cold GET comes after them.
PROCESSES_LOADS = ("get", "list", "reply", "parts")


def measure_processes(run: Run, engine_name: str, url: str, t: IdSets, logs: Path, count: int) -> None:
    """``count`` ``inboxd serve`` processes of WORKERS workers each on one database, as a team runs
    them behind a load balancer: each load spread evenly over them (one wrk per process, at once),
    at the highest concurrency. Each process's workers view the GET set first, as the one process
    did. Recorded as an engine of its own, "<engine> × <count> processes"."""
    files = run.workdir
    probe = make_engine(url)
    workspace_file = files / "workspace.toml"
    servers = [inboxd_serve(url, free_port(), logs, f"inboxd-{engine_name}-{n}", workspace_file) for n in range(count)]
    figures: dict[str, dict[int, Figure]] = {}
    result: dict[str, Any] = {"figures": figures, "get_ids": len(t.get_ids), "processes": count}
    name = result_name(engine_name, count)
    run.results["engines"][name] = result
    top = [max(run.concurrency)]
    bases = [server.base for server in servers]
    try:
        result["startup_s"] = max(server.start() for server in servers)
        result["rss_idle"] = sorted(mb for server in servers for mb in server.rss().values())
        sample = servers[0].get(f"/conversations/{t.get_ids[0]}")
        result["document_bytes"] = len(sample)
        views = [first_views(server, t.get_ids, probe) for server in servers]
        result["first_views"] = {**views[0], "rps": min(v["rps"] for v in views)}
        get_file = files / f"{engine_name}-get.txt"
        loads = read_loads(get_file, list_paths(servers[0]), {})  # no search: none is a target
        wanted = [load for load in [*loads, *write_loads(run, engine_name, t, probe)] if load.key in PROCESSES_LOADS]
        for load in filter(run.wanted, wanted):
            run.measure(bases, load, name, figures, top)
        cold = cold_get_load(get_file, t.get_ids, t.workspace, probe)
        if run.wanted(cold):
            run.measure(bases, cold, name, figures, top)
    finally:
        for server in servers:
            server.stop()
        probe.dispose()


def result_name(engine_name: str, count: int) -> str:
    """The several-processes form's name in the results and the report."""
    return f"{engine_name} × {count} processes"


def measure_floors(run: Run, engine_name: str, url: str, workspace: int, logs: Path) -> None:
    """The PostgreSQL floors (bench/floors.py) on the run's database, with the GET set and the
    reply ids of the engine's loads: one primary-key SELECT, and one committed single-row INSERT,
    per request."""
    files = run.workdir
    port = free_port()
    argv = [sys.executable, str(BENCH / "floors.py"), "--database-url", url, "--workspace", str(workspace)]
    argv += ["--port", str(port), "--workers", str(WORKERS)]
    server = Server("floors", argv, port, logs)
    figures: dict[str, dict[int, Figure]] = {}
    body = json.dumps({"type": "admin", "message_type": "comment", "body": "On it, thanks!"})
    loads = [
        Load("select-floor", FLOOR_LABELS["select-floor"], "/", lambda c: get_script(files / f"{engine_name}-get.txt")),
        Load(
            "insert-floor",
            FLOOR_LABELS["insert-floor"],
            "/",
            lambda c: Script("reply", {"ids": files / f"{engine_name}-reply.txt", "body": body, "offset": 0}),
        ),
    ]
    try:
        server.start()
        for load in filter(run.wanted, loads):
            run.measure(server.base, load, "floors", figures)
    finally:
        server.stop()
    run.results["floors"] = figures


def cache_loads(
    run: Run, server: Server, engine_name: str, t: IdSets, probe: Engine, figures: dict[str, dict[int, Figure]]
) -> None:
    """The cold GET, then read-after-write (its control GETs viewed again first: the cold GET left
    the GET set uncached)."""
    files = run.workdir
    cold = cold_get_load(files / f"{engine_name}-get.txt", t.get_ids, t.workspace, probe)
    if run.wanted(cold):
        run.measure(server.base, cold, engine_name, figures)
        if run.args.profile:
            profile(run, server, cold, engine_name, figures)  # a render: where an uncached GET's time goes
    writes, controls = halves(t)
    writes_file, controls_file = (
        files / f"{engine_name}-after-write-replies.txt",
        files / f"{engine_name}-after-write-controls.txt",
    )
    writes_file.write_text("\n".join(writes) + "\n")
    controls_file.write_text("\n".join(controls) + "\n")
    after_write = read_after_write_load(writes_file, controls_file, t.admin_id)
    if run.wanted(after_write):
        first_views(server, controls, probe)
        run.measure(server.base, after_write, engine_name, figures)


PASSES = 2 * WORKERS  # rounds of first views: a worker misses an id after them 1 time in 2**PASSES


def first_views(server: Server, ids: list[str], probe: Engine, clients: int = 8) -> dict[str, Any]:
    """GET every conversation of ``ids`` until every worker has drawn it: the GET figures are those
    of a server whose conversations have been viewed since their last change, its steady state.
    Each worker keeps the documents it drew (api/render_cache.py), and which worker answers is the
    kernel's choice per connection, so the ids are fetched in ``PASSES`` rounds, each GET on a
    connection of its own (a worker missing one after them draws it in the warm-up). The rate of
    the first round (each view a render) is reported beside them; a Python client keeps up here."""
    del probe  # nothing to wait for: no document is written anywhere
    rounds = []
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for _ in range(PASSES):
            started = time.monotonic()
            for _ in pool.map(lambda i: server.get(f"/conversations/{i}"), ids):
                pass
            rounds.append(time.monotonic() - started)
    return {"rps": len(ids) / rounds[0], "seconds": sum(rounds), "passes": PASSES, "clients": clients}


def measure_ceiling(run: Run, document: bytes, get_file: Path, logs: Path) -> None:
    body = run.workdir / "ceiling.json"
    body.write_bytes(document)
    port = free_port()
    argv = [sys.executable, str(BENCH / "ceiling.py"), "--body", str(body), "--port", str(port)]
    argv += ["--workers", str(WORKERS)]
    server = Server("ceiling", argv, port, logs)
    figures: dict[str, dict[int, Figure]] = {}
    try:
        server.start()
        load = Load("ceiling", f"ceiling: {len(document):,}-byte document", "/", lambda c: get_script(get_file))
        run.measure(server.base, load, "ceiling", figures)
    finally:
        server.stop()
    run.results["ceiling"] = {"figures": figures.get("ceiling", {}), "document_bytes": len(document)}
