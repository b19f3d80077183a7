"""The SQL shapes proposed in bench/BENCHMARKS.md ("Why the misses, and fixes"), timed on the
benchmark's seeded databases against the shapes store/search.py emits today. Run after
search_bench.py has built the databases::

    .venv/bin/python bench/plan_variants.py --engine sqlite --size 1000000
    .venv/bin/python bench/plan_variants.py --engine postgresql --size 1000000 --with-indexes

``--with-indexes`` creates the proposed assignee index for the run and drops it afterwards (on
SQLite, on a copy of the database). Raw SQL on purpose: these are candidate plans, not inboxd code.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from search_bench import DAY, FREQUENT, NOW, RARE, ROOT
from sqlalchemy import text
from sqlalchemy.engine import make_url

from inboxd.store.engine import make_engine

LO, HI = NOW - 400 * DAY, NOW - 370 * DAY
ASSIGNEE_INDEX = "CREATE INDEX bench_admin_state ON conversations (workspace_id, admin_assignee_id, state, updated_at)"


def variants(pg: bool, ids: str) -> list[tuple[str, str]]:
    exists_word = (
        "EXISTS (SELECT 1 FROM conversation_tokens t WHERE t.workspace_id = :ws AND t.conversation_id = c.id "
        "AND t.token = :word)"
    )
    in_word = "c.id IN (SELECT conversation_id FROM conversation_tokens WHERE workspace_id = :ws AND token = :word)"
    exists_tag = (
        "EXISTS (SELECT 1 FROM conversation_tags g WHERE g.workspace_id = :ws AND g.conversation_id = c.id "
        "AND g.tag_id = {})"
    )
    page = "ORDER BY c.updated_at DESC, c.id DESC LIMIT 21"
    rows = "SELECT * FROM conversations c WHERE workspace_id = :ws AND"
    count = "SELECT count(*) FROM conversations c WHERE workspace_id = :ws AND"
    # Not usable for ordering, so each planner has to take the index of the WHERE clause and sort.
    sort_only = "ORDER BY c.updated_at + 0 DESC, c.id DESC LIMIT 21" if pg else "ORDER BY +c.updated_at DESC LIMIT 21"
    return [
        ("Planner.total today: count the workspace", "SELECT count(*) FROM conversations c WHERE workspace_id = :ws"),
        (
            "  proposed: token_stats lookup (O(1))",
            "SELECT documents FROM token_stats WHERE workspace_id = :ws AND token = :word",
        ),
        (
            "frequent word count today (EXISTS)",
            f"SELECT count(*) FROM conversations c WHERE workspace_id = :ws AND {exists_word}",
        ),
        ("  proposed: IN (token rows)", f"SELECT count(*) FROM conversations c WHERE workspace_id = :ws AND {in_word}"),
        (
            "  proposed: count the token rows",
            "SELECT count(*) FROM conversation_tokens WHERE workspace_id = :ws AND token = :word",
        ),
        (
            "rare word page today",
            f"{rows} {in_word.replace(':word', ':rare')} {page}",
        ),
        (
            "  proposed: ids fetched first, then id IN (ids)",
            f"{rows} c.id IN ({ids}) {page}",
        ),
        (
            "OR of 3 tags count today (3 EXISTS)",
            "SELECT count(*) FROM conversations c WHERE workspace_id = :ws AND ("
            + " OR ".join(exists_tag.format(t) for t in (":t1", ":t2", ":t3"))
            + ")",
        ),
        (
            "  proposed: one IN over the 3 tags",
            "SELECT count(*) FROM conversations c WHERE workspace_id = :ws AND c.id IN "
            "(SELECT conversation_id FROM conversation_tags WHERE workspace_id = :ws AND tag_id IN (:t1, :t2, :t3))",
        ),
        (
            "OR of 3 tags page today",
            "SELECT * FROM conversations c WHERE workspace_id = :ws AND ("
            + " OR ".join(exists_tag.format(t) for t in (":t1", ":t2", ":t3"))
            + f") {page}",
        ),
        (
            "  proposed: one EXISTS with tag_id IN (3)",
            "SELECT * FROM conversations c WHERE workspace_id = :ws AND EXISTS "
            "(SELECT 1 FROM conversation_tags g WHERE g.workspace_id = :ws AND g.conversation_id = c.id "
            f"AND g.tag_id IN (:t1, :t2, :t3)) {page}",
        ),
        (
            "created_at window page today",
            f"{rows} created_at >= :lo AND created_at < :hi {page}",
        ),
        (
            "  proposed: range index + sort",
            f"{rows} created_at >= :lo AND created_at < :hi {sort_only}",
        ),
        (
            "created_at > now (nothing) page today",
            f"{rows} created_at > :now {page}",
        ),
        (
            "  proposed: range index + sort",
            f"{rows} created_at > :now {sort_only}",
        ),
        (
            "  the probe deciding it (bounded count)",
            "SELECT count(*) FROM (SELECT 1 FROM conversations WHERE workspace_id = :ws "
            "AND created_at > :now LIMIT 10000) AS probe",
        ),
        (
            "frequent word AND window page today",
            f"{rows} {exists_word} AND created_at >= :lo AND created_at < :hi {page}",
        ),
        (
            "  proposed: range index + sort",
            f"{rows} {exists_word} AND created_at >= :lo AND created_at < :hi {sort_only}",
        ),
        (
            "open AND admin page",
            f"{rows} state = 'open' AND admin_assignee_id = :admin {page}",
        ),
        (
            "open AND admin count",
            f"{count} state = 'open' AND admin_assignee_id = :admin",
        ),
        ("exact count, everything", f"{count} created_at > 0"),
        (
            "  capped count (10,001)",
            "SELECT count(*) FROM (SELECT 1 FROM conversations WHERE workspace_id = :ws AND created_at > 0 "
            "LIMIT 10001) AS capped",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="sqlite")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--with-indexes", action="store_true")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://inboxd:inboxd@127.0.0.1/postgres")
    args = parser.parse_args()
    pg = args.engine == "postgresql"
    if pg:
        url = (
            make_url(args.postgres_url).set(database=f"inboxd_bench_{args.size}").render_as_string(hide_password=False)
        )
    else:
        path = ROOT / f"bench/data/search-{args.size}.sqlite3"
        if args.with_indexes:
            copy = Path(f"/tmp/inboxd-plan-variants-{args.size}.sqlite3")
            shutil.copyfile(path, copy)
            path = copy
        url = f"sqlite:///{path}"
    engine = make_engine(url)
    with engine.connect() as conn:
        params: dict[str, Any] = dict(
            conn.execute(
                text(
                    "SELECT (SELECT id FROM workspaces WHERE id_code = 'bench') AS ws, "
                    "(SELECT min(id) FROM admins WHERE kind = 'admin') AS admin"
                )
            )
            .one()
            ._mapping
        )
        tags = dict(conn.execute(text("SELECT name, id FROM tags WHERE workspace_id = :ws"), params).all())
        rare_ids = [
            r[0]
            for r in conn.execute(
                text("SELECT conversation_id FROM conversation_tokens WHERE workspace_id = :ws AND token = :rare"),
                {**params, "rare": RARE},
            )
        ]
    params.update(
        word=FREQUENT, rare=RARE, lo=LO, hi=HI, now=NOW, t1=tags["bug"], t2=tags["onboarding"], t3=tags["login"]
    )
    ids = ", ".join(str(i) for i in rare_ids) or "0"
    with engine.connect() as conn:
        if args.with_indexes:
            conn.execute(text(ASSIGNEE_INDEX))
            conn.execute(text("ANALYZE conversations"))
            conn.commit()
        try:
            for label, sql in variants(pg, ids):
                conn.execute(text(sql), params).fetchall()
                times = []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    rows = conn.execute(text(sql), params).fetchall()
                    times.append((time.perf_counter() - started) * 1000)
                shown = rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else f"{len(rows)} rows"
                print(f"{statistics.median(times):10.2f} ms  {label:<48} {shown}", flush=True)
                conn.rollback()
        finally:
            if args.with_indexes and pg:
                conn.execute(text("DROP INDEX bench_admin_state"))
                conn.commit()
    engine.dispose()


if __name__ == "__main__":
    main()
