"""Search latency of `POST /conversations/search` at 10k, 100k and 1M conversations, SQLite and
PostgreSQL. Run with the project's interpreter::

    .venv/bin/python bench/search_bench.py                      # everything, writes bench/BENCHMARKS.md
    .venv/bin/python bench/search_bench.py --sizes 10000 --engines sqlite --no-write

Each database is seeded once by `inboxd seed` (the same code, fixed --seed and --now) and kept
under bench/data/ (SQLite files) or as PostgreSQL databases ``inboxd_bench_<N>``; a marker records
the seed parameters and the database is rebuilt when they change. After seeding, the snoozes that
ran out are woken once, as the first request would (inboxd wakes them lazily), so every measured
request finds the database in the same steady state; the app's clock is frozen at the seed's `now`.

Measured per query: ``store`` = the endpoint's own store calls in one read transaction (parse,
Search.where, the keyset page through api.cursors.walk, Search.count for total_count), no HTTP,
no rendering; ``http`` = the whole request through the ASGI app (Starlette TestClient): auth,
the snooze probe, search, related rows, rendering, JSON. Median and p95 over --runs runs after
--warmup runs. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from inboxd import seed as seeding  # noqa: E402
from inboxd.api import cursors  # noqa: E402
from inboxd.app import create_app  # noqa: E402
from inboxd.config import WorkspaceFile  # noqa: E402
from inboxd.domain.clock import FrozenClock  # noqa: E402
from inboxd.operations.snoozes import sweep  # noqa: E402
from inboxd.search import query as search_query  # noqa: E402
from inboxd.search.query import DEFAULT_COUNT_LIMIT  # noqa: E402
from inboxd.seed_words import VOCABULARY  # noqa: E402
from inboxd.store import migrate  # noqa: E402
from inboxd.store.engine import make_engine  # noqa: E402
from inboxd.store.scope import Store  # noqa: E402
from inboxd.store.tables import admins, tags, teams, token_stats, workspaces  # noqa: E402
from inboxd.store.transactions import transaction  # noqa: E402
from inboxd.store.workspaces import apply_workspace_file  # noqa: E402

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z: the seeded history ends here, and the app's clock stays here
DAY = 86400
SEED = dict(seed=42, now=NOW, parts="1-8", contacts_ratio=5, admins=8, tags=36)
TOKEN = "bench-token"
WORKSPACE = WorkspaceFile.model_validate(
    {
        "workspaces": [
            {
                "name": "Bench",
                "id_code": "bench",
                "access_tokens": [TOKEN],
                "admins": [
                    {"name": "Ada Admin", "email": "ada@bench.test"},
                    {"name": "Grace Hopper", "email": "grace@bench.test"},
                ],
                "teams": [
                    {"name": "Support", "admin_emails": ["ada@bench.test", "grace@bench.test"]},
                    {"name": "Billing", "admin_emails": ["grace@bench.test"]},
                ],
            }
        ]
    }
)
FREQUENT, RARE = VOCABULARY[20], VOCABULARY[1999]  # ~10 % and ~0.1 % of bodies (seed_words)
TARGET_MS, TARGET_RATIO = 50.0, 5.0


# -- databases ------------------------------------------------------------------------------------


def _marker(size: int) -> dict[str, Any]:
    return {**SEED, "conversations": size, "schema": migrate_head()}


def seed_options(params: dict[str, Any], size: int) -> seeding.Options:
    """`inboxd seed`'s options for ``size`` conversations from a benchmark's SEED parameters."""
    low, high = map(int, str(params["parts"]).split("-"))
    return seeding.Options(
        conversations=size,
        contacts=max(1, size // int(params["contacts_ratio"])),
        admins=int(params["admins"]),
        tags=int(params["tags"]),
        parts=(low, high),
        seed=int(params["seed"]),
        now=int(params["now"]),
        jobs=os.cpu_count() or 1,
    )


def _data_params(params: Any) -> Any:
    return {k: v for k, v in params.items() if k != "schema"} if isinstance(params, dict) else None


def analyse(engine: Engine) -> None:
    """Fresh planner statistics after a migration added indexes."""
    if engine.dialect.name == "sqlite":
        with transaction(engine, write=True) as conn:
            conn.exec_driver_sql("ANALYZE")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")


def migrate_head() -> str:
    return sorted(p.name for p in (ROOT / "src/inboxd/store/migrations/versions").glob("*.py"))[-1]


def database(
    engine_name: str, size: int, data: Path, pg_url: str, log: Callable[[str], None]
) -> tuple[Engine, float | None]:
    """The seeded database of ``size`` conversations, built when missing or stale; the seconds the
    seed took when it was built now (else the figure recorded when it was built)."""
    marker_path = data / f"{engine_name}-{size}.json"
    wanted = _marker(size)
    recorded = json.loads(marker_path.read_text()) if marker_path.exists() else None
    # Same data, older schema: the migrations bring it up to date (as they would a user's database),
    # which is much faster than seeding again.
    same_data = recorded is not None and _data_params(recorded.get("params")) == _data_params(wanted)
    if engine_name == "sqlite":
        path = data / f"search-{size}.sqlite3"
        fresh = not same_data or not path.exists()
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        name = f"inboxd_bench_{size}"
        admin = make_engine(pg_url, pool_size=1)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            fresh = not same_data or exists is None
            if fresh:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    if not fresh:
        assert recorded is not None
        if recorded["params"] != wanted:
            log(f"migrating {engine_name} {size:,} to {wanted['schema']} …")
            migrate.upgrade(engine)
            analyse(engine)
            marker_path.write_text(json.dumps({**recorded, "params": wanted}))
        return engine, recorded.get("seconds")
    log(f"seeding {engine_name} {size:,} …")
    migrate.upgrade(engine)
    with transaction(engine, write=True) as conn:
        apply_workspace_file(conn, WORKSPACE, NOW)
    started = time.monotonic()
    seeding.seed(engine, "bench", seed_options(SEED, size), lambda done: None)
    seconds = time.monotonic() - started
    woken = wake(engine)
    log(f"  seeded in {seconds:,.1f} s; woke {woken:,} snoozes that had run out")
    marker_path.write_text(json.dumps({"params": wanted, "seconds": round(seconds, 1)}))
    return engine, seconds


def wake(engine: Engine, now: int = NOW) -> int:
    """Wake every snooze due at ``now``, as the server's sweep would at start-up, then re-ANALYZE
    the tables it changed (the seed analysed them all)."""
    with transaction(engine, write=False) as conn:
        before = conn.execute(
            text("SELECT count(*) FROM conversations WHERE state = 'snoozed' AND snoozed_until <= :n"), {"n": now}
        ).scalar_one()
    sweep(engine, now)
    if engine.dialect.name == "sqlite":
        with transaction(engine, write=True) as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) conversations")
            conn.exec_driver_sql("VACUUM (ANALYZE) conversation_parts")
    return int(before)


def workspace_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(workspaces.c.id).where(workspaces.c.id_code == "bench")).scalar_one())


# -- queries --------------------------------------------------------------------------------------


def f(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def group(operator: str, *children: dict[str, Any]) -> dict[str, Any]:
    return {"operator": operator, "value": list(children)}


def queries(engine: Engine) -> dict[str, dict[str, Any]]:
    """The measured queries; ids come from the seeded workspace (the same at every size)."""
    ws = workspace_id(engine)
    with engine.connect() as conn:
        admin = (
            conn.execute(
                select(admins.c.id).where(admins.c.workspace_id == ws, admins.c.kind == "admin").order_by(admins.c.id)
            )
            .scalars()
            .first()
        )
        team = conn.execute(select(teams.c.id).where(teams.c.workspace_id == ws).order_by(teams.c.id)).scalars().first()
        by_name = dict(conn.execute(select(tags.c.name, tags.c.id).where(tags.c.workspace_id == ws)).all())
    window = [f("created_at", ">=", NOW - 400 * DAY), f("created_at", "<", NOW - 370 * DAY)]  # 30 days, a year ago
    three_tags = [f("tag_ids", "=", str(by_name[name])) for name in ("bug", "onboarding", "login")]
    return {
        "state = open": {"query": f("state", "=", "open")},
        "created_at in a 30-day range": {"query": group("AND", *window)},
        "state = open AND admin_assignee_id": {
            "query": group("AND", f("state", "=", "open"), f("admin_assignee_id", "=", admin))
        },
        f"body word, frequent ({FREQUENT})": {"query": f("source.body", "=", FREQUENT)},
        f"body word, rare ({RARE})": {"query": f("source.body", "=", RARE)},
        "frequent word AND 30-day range": {"query": group("AND", f("source.body", "=", FREQUENT), *window)},
        "rare word AND 30-day range": {"query": group("AND", f("source.body", "=", RARE), *window)},
        "OR of three tags": {"query": group("OR", *three_tags)},
        # Two levels of groups, the root counted: the deepest the search allows (docs/search.md).
        # Until that limit counted the root this was `state = open AND (… OR …)`, a level deeper; an
        # OR of the two inboxes is the same query and runs the same statements.
        "two-level nested": {
            "query": group(
                "OR",
                group(
                    "AND",
                    f("state", "=", "open"),
                    f("admin_assignee_id", "=", admin),
                    f("created_at", ">", NOW - 90 * DAY),
                ),
                group(
                    "AND", f("state", "=", "open"), f("team_assignee_id", "=", team), f("source.body", "=", FREQUENT)
                ),
            )
        },
        "matching nothing": {"query": f("created_at", ">", NOW)},
        "matching everything": {"query": f("created_at", ">", 0)},
        "page 5 via cursors (state = closed)": {"query": f("state", "=", "closed"), "pages": 5},
    }


def run_store(engine: Engine, ws: int, body: dict[str, Any]) -> tuple[int, int, str | None]:
    """What the endpoint does with the store for one request: (rows, total_count, next cursor)."""
    with transaction(engine, write=False) as conn:
        store = Store(conn, ws)
        parsed = search_query.parse(body)
        plan = store.search.where(parsed.root, parsed.per_page)
        page = cursors.walk(
            parsed.starting_after,
            parsed.per_page,
            (int, int),
            lambda limit, after: store.search.page(plan, limit, after),
            lambda row: [row["updated_at"], row["id"]],
            field="pagination.starting_after",
        )
        total = store.search.count(plan, DEFAULT_COUNT_LIMIT)
    return len(page.rows), total, page.next_cursor


def run_http(client: Any, body: dict[str, Any]) -> tuple[int, int, str | None]:
    response = client.post("/conversations/search", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    answer = response.json()
    cursor = (answer["pages"].get("next") or {}).get("starting_after")
    return len(answer["conversations"]), answer["total_count"], cursor


def request_body(spec: dict[str, Any], run: Callable[[dict[str, Any]], tuple[int, int, str | None]]) -> dict[str, Any]:
    """The request to measure. For "page N", the first N - 1 pages are walked once (the data does
    not move) and the measured request is the N-th, with the cursor the (N-1)-th page returned."""
    body: dict[str, Any] = {"query": spec["query"], "pagination": {"per_page": 20}}
    for _ in range(spec.get("pages", 1) - 1):
        _, _, cursor = run(body)
        assert cursor is not None
        body = {**body, "pagination": {"per_page": 20, "starting_after": cursor}}
    return body


def measure(call: Callable[[], tuple[int, int, str | None]], runs: int, warmup: int) -> dict[str, Any]:
    [figure] = measure_interleaved([call], runs, warmup)
    return figure


def measure_interleaved(
    calls: list[Callable[[], tuple[int, int, str | None]]], runs: int, warmup: int
) -> list[dict[str, Any]]:
    """Each call ``runs`` times after ``warmup`` runs, the calls taking turns (one run of each,
    the order rotated every round): a drift of the machine's speed while they are measured (a
    busy neighbour on a shared host) moves them all, not the one measured at the time, so ratios
    between them hold (1M against 10k)."""
    for call in calls:
        for _ in range(warmup):
            call()
    times: list[list[float]] = [[] for _ in calls]
    results: list[tuple[int, int, str | None]] = [(0, 0, None) for _ in calls]
    for round_ in range(runs):
        for k in range(len(calls)):
            i = (k + round_) % len(calls)
            started = time.perf_counter()
            results[i] = calls[i]()
            times[i].append((time.perf_counter() - started) * 1000)
    return [_figure(sorted(t), result) for t, result in zip(times, results, strict=True)]


def _figure(times: list[float], result: tuple[int, int, str | None]) -> dict[str, Any]:
    return {
        "median": statistics.median(times),
        "p95": times[math.ceil(0.95 * len(times)) - 1],
        "rows": result[0],
        "total": result[1],
    }


# -- plans ----------------------------------------------------------------------------------------


def plans(engine: Engine, body: dict[str, Any]) -> list[tuple[str, str]]:
    """The plan of every statement the store ran for ``body`` (first page): (SQL, plan)."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "conversations" in statement:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        run_store(engine, workspace_id(engine), {"query": body["query"]})
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    out = []
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement, parameters in captured:
            if engine.dialect.name == "sqlite":
                rows = raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
                plan = "\n".join(f"{'  ' * _depth(rows, r[0])}{r[3]}" for r in rows)
            else:
                with raw.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
                    plan = "\n".join(r[0] for r in cur.fetchall())
            out.append((statement, plan))
    return out


def _depth(rows: list[Any], parent: int) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth, node = 0, parents.get(parent, 0)
    while node:
        depth, node = depth + 1, parents.get(node, 0)
    return depth


# -- report ---------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    pg = "?"
    with contextlib.suppress(OSError):
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": _cpu(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "load average at start (1/5/15 min; other work on the machine skews the figures)": " ".join(
            f"{x:.2f}" for x in os.getloadavg()
        )
        if hasattr(os, "getloadavg")
        else "?",
    }


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def write_report(path: Path, results: dict[str, Any], command: str) -> None:
    sizes = sorted({size for (_, size, _) in results["store"]})
    lines = [
        "<!-- results:start (written by bench/search_bench.py; edit outside these markers) -->",
        "## Results",
        "",
        f"- command: `{command}`",
        *(f"- {key}: {value}" for key, value in results["machine"].items()),
        f"- seed: `inboxd seed --seed {SEED['seed']} --now {NOW} --parts-per-conversation {SEED['parts']} "
        f"--contacts N/{SEED['contacts_ratio']} --admins {SEED['admins']} --tags {SEED['tags']}` into a workspace "
        "with 2 admins and 2 teams (+ the 8 seeded admins); then the due snoozes woken once",
        f"- words: frequent = `{FREQUENT}`, rare = `{RARE}`; documents: "
        + "; ".join(f"{k}: {v}" for k, v in results["words"].items()),
        "- seconds to seed: " + "; ".join(f"{k}: {v}" for k, v in results["seeding"].items()),
        "",
        f"Milliseconds, median / p95 of {results['runs']} runs after {results['warmup']} warm-up runs. "
        "`store` = the endpoint's store calls (parse, where, page, count) in one read transaction; "
        "`http` = the whole request through the ASGI app. ✗ = misses the target "
        f"(median < {TARGET_MS:.0f} ms at 1M, 1M/10k < {TARGET_RATIO:.0f}×).",
        "",
    ]
    for mode in ("store", "http"):
        engines = [e for e in ("sqlite", "postgresql") if any(k[0] == e for k in results[mode])]
        for engine_name in engines:
            names = list(results["queries"])
            mode_sizes = [s for s in sizes if (engine_name, s, names[0]) in results[mode]]
            if not mode_sizes:
                continue
            lines += [f"### {engine_name}, {mode}", ""]
            header = "| query | " + " | ".join(f"{s:,}" for s in mode_sizes) + " | matches at largest | ratio |"
            lines += [header, "|---" * (len(mode_sizes) + 3) + "|"]
            for name in names:
                cells = []
                for s in mode_sizes:
                    r = results[mode][(engine_name, s, name)]
                    miss = s >= 1_000_000 and r["median"] >= TARGET_MS
                    cells.append(f"{r['median']:.2f} / {r['p95']:.2f}{' ✗' if miss else ''}")
                first, last = (
                    results[mode][(engine_name, mode_sizes[0], name)],
                    results[mode][(engine_name, mode_sizes[-1], name)],
                )
                ratio = last["median"] / max(first["median"], 1e-9)
                ratio_cell = f"{ratio:.1f}×{' ✗' if ratio >= TARGET_RATIO else ''}" if len(mode_sizes) > 1 else "—"
                lines.append(f"| {name} | " + " | ".join(cells) + f" | {last['total']:,} | {ratio_cell} |")
            lines.append("")
    if results["plans"]:
        lines += ["### Plans at the largest size (first page and total_count)", ""]
        for (engine_name, name), statements in results["plans"].items():
            lines += [f"<details><summary>{engine_name}: {name}</summary>", "", "```"]
            for statement, plan in statements:
                statement = re.sub(r"\s+", " ", statement).strip()
                statement = re.sub(
                    r"^SELECT conversations\.id, conversations\.workspace_id, .*? FROM", "SELECT … FROM", statement
                )
                lines += [statement, plan, ""]
            lines += ["```", "</details>", ""]
    lines.append("<!-- results:end -->")
    block = "\n".join(lines)
    old = path.read_text() if path.exists() else "# Search benchmarks\n\n<!-- results:start -->\n<!-- results:end -->\n"
    new = re.sub(r"<!-- results:start.*?<!-- results:end -->", lambda _: block, old, flags=re.S)
    path.write_text(new)


def measure_store(
    engine_name: str, opened: list[tuple[int, Engine]], args: argparse.Namespace, results: dict[str, Any], log: Any
) -> None:
    """Every query's store calls on each seeded database of one engine, the sizes taking turns
    run by run (measure_interleaved), so the 1M/10k ratio compares like with like."""
    per_size = []
    for size, engine in opened:
        ws = workspace_id(engine)
        with engine.connect() as conn:
            counts = dict(
                conn.execute(
                    select(token_stats.c.token, token_stats.c.documents).where(
                        token_stats.c.workspace_id == ws, token_stats.c.token.in_([FREQUENT, RARE])
                    )
                ).all()
            )
        results["words"][f"{engine_name} {size:,}"] = f"{counts.get(FREQUENT, 0):,} / {counts.get(RARE, 0):,}"
        per_size.append((size, engine, ws, queries(engine)))
    results["queries"] = per_size[-1][3]
    for name in per_size[-1][3]:
        calls: list[Callable[[], tuple[int, int, str | None]]] = []
        for _, engine, ws, bodies in per_size:
            body = request_body(bodies[name], lambda b, engine=engine, ws=ws: run_store(engine, ws, b))
            calls.append(lambda engine=engine, ws=ws, body=body: run_store(engine, ws, body))
        for (size, *_), r in zip(per_size, measure_interleaved(calls, args.runs, args.warmup), strict=True):
            results["store"][(engine_name, size, name)] = r
            log(f"{engine_name:>10} {size:>9,} store {name:<40} {r['median']:8.2f} {r['p95']:8.2f}  {r['total']:,}")


def measure_http_and_plans(
    engine_name: str, size: int, engine: Engine, args: argparse.Namespace, results: dict[str, Any], log: Any
) -> None:
    """One seeded database after its store figures: HTTP when asked, then plans when asked."""
    sizes = [int(s) for s in args.sizes.split(",")]
    bodies = queries(engine)
    if args.http == "all" or (engine_name, str(size)) in args.http_cases:
        with make_client(engine) as client:
            for name, spec in bodies.items():
                body = request_body(spec, lambda b: run_http(client, b))
                r = measure(lambda body=body: run_http(client, body), args.runs, args.warmup)
                results["http"][(engine_name, size, name)] = r
                log(f"{engine_name:>10} {size:>9,} http  {name:<40} {r['median']:8.2f} {r['p95']:8.2f}")
    if args.plans and size == max(sizes):
        for name, body in bodies.items():
            results["plans"][(engine_name, name)] = plans(engine, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--http", default="sqlite:1000000", help="engine:size pairs measured over HTTP too, or 'all'")
    parser.add_argument("--data", type=Path, default=ROOT / "bench/data")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("INBOXD_BENCH_POSTGRES_URL", "postgresql+psycopg://inboxd:inboxd@127.0.0.1/postgres"),
        help="a database of a role that may CREATE DATABASE (env INBOXD_BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench/BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print the results, leave BENCHMARKS.md alone")
    parser.add_argument("--plans", action="store_true", help="add every query's plans at the largest size")
    parser.add_argument("--prepare", action="store_true", help="only seed the databases that are missing")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = args.engines.split(",")
    args.http_cases = {tuple(p.split(":")) for p in args.http.split(",")} if args.http not in ("", "all") else set()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    results: dict[str, Any] = {
        "store": {},
        "http": {},
        "plans": {},
        "words": {},
        "seeding": {},
        "runs": args.runs,
        "warmup": args.warmup,
        "machine": machine(),
        "queries": {},
    }
    for engine_name in engines:
        opened: list[tuple[int, Engine]] = []
        try:
            for size in sizes:
                engine, seconds = database(engine_name, size, args.data, args.postgres_url, log)
                opened.append((size, engine))
                results["seeding"][f"{engine_name} {size:,}"] = f"{seconds:,.0f}" if seconds is not None else "?"
            if not args.prepare:
                measure_store(engine_name, opened, args, results, log)
                for size, engine in opened:
                    measure_http_and_plans(engine_name, size, engine, args, results, log)
        finally:
            for _, engine in opened:
                engine.dispose()
    command = " ".join([".venv/bin/python", "bench/search_bench.py", *sys.argv[1:]])
    if not args.no_write and not args.prepare:
        write_report(args.output, results, command)
        log(f"wrote {args.output}")


def make_client(engine: Engine) -> Any:
    from starlette.testclient import TestClient

    # No rate limit: the clock is frozen, so every run of every benchmark falls in one window.
    return TestClient(create_app(engine, FrozenClock(NOW), rate_limit=0), raise_server_exceptions=True)


if __name__ == "__main__":
    main()
