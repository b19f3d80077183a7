"""Plans of selective searches, on a seeded workspace of a few thousand conversations (both engines).

Every statement the search runs for a selective filter (the page, ``total_count``, and the planner's
own look-ups) must reach ``conversations`` through an index that narrows them: never a full scan of
the table, and never a walk of a whole workspace's index entries either, which on a one-workspace
database is the same full scan. The statements are captured as :class:`inboxd.store.search.Search`
runs them (so the test follows the compiler as it changes) and explained with their own parameters.

SQLite: ``EXPLAIN QUERY PLAN``; every line on ``conversations`` must be a ``SEARCH`` constrained
by more than ``workspace_id``. PostgreSQL: ``EXPLAIN (FORMAT JSON)`` after the seed's
``VACUUM (ANALYZE)``, with ``enable_seqscan = off`` for the explained transaction only: on a few
thousand rows the planner rightly prefers sequential scans, and the question here is whether an
index *can* serve the query (bench/BENCHMARKS.md has the plans chosen at 1M). No node on
``conversations`` may then be a Seq Scan or an index scan whose condition is only ``workspace_id``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text

from inboxd import seed as seeding
from inboxd.search.query import DEFAULT_COUNT_LIMIT, parse
from inboxd.seed_words import VOCABULARY
from inboxd.store import migrate
from inboxd.store.engine import make_engine
from inboxd.store.search import Search
from inboxd.store.tables import conversation_contacts, conversation_tags, token_stats, workspaces
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import apply_workspace_file
from tests.conftest import T0, WORKSPACES, _Postgres

COUNT = 3000


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, int]]:
    """One seeded database per engine for the whole module (seeding is the slow part). The
    PostgreSQL one is the session's test database, which the next `engine` fixture truncates."""
    if request.param == "postgres":
        engine = _Postgres.engine()
    else:
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('plans')}/plans.sqlite3")
        migrate.upgrade(engine)
    with transaction(engine, write=True) as conn:
        apply_workspace_file(conn, WORKSPACES, T0)
    seeding.seed(engine, "acme", seeding.Options(conversations=COUNT, parts=(0, 2), seed=11, now=T0, jobs=1))
    with engine.connect() as conn:
        ws = conn.execute(select(workspaces.c.id).where(workspaces.c.id_code == "acme")).scalar_one()
    yield engine, int(ws)
    engine.dispose()


def _values(engine: Engine, ws: int) -> dict[str, Any]:
    """A contact, a tag and a rare word of the seeded workspace, and a conversation id."""
    with engine.connect() as conn:
        contact = conn.execute(
            select(conversation_contacts.c.contact_id).where(conversation_contacts.c.workspace_id == ws).limit(1)
        ).scalar_one()
        # The least used tag: a selective filter (a frequent tag is rightly walked to, store/search/).
        tag = conn.execute(
            select(conversation_tags.c.tag_id)
            .where(conversation_tags.c.workspace_id == ws)
            .group_by(conversation_tags.c.tag_id)
            .order_by(func.count(), conversation_tags.c.tag_id)
            .limit(1)
        ).scalar_one()
        rare = conn.execute(
            select(token_stats.c.token)
            .where(token_stats.c.workspace_id == ws, token_stats.c.documents.between(1, 3))
            .order_by(token_stats.c.token)
            .limit(1)
        ).scalar_one()
        some_id = conn.execute(text("SELECT max(id) FROM conversations")).scalar_one()
    return {"contact": contact, "tag": str(tag), "rare": rare, "id": str(some_id)}


QUERIES = {
    "state": lambda v: {"field": "state", "operator": "=", "value": "snoozed"},
    "id": lambda v: {"field": "id", "operator": "=", "value": v["id"]},
    "created_at range": lambda v: {
        "operator": "AND",
        "value": [
            {"field": "created_at", "operator": ">=", "value": T0 - 40 * 86400},
            {"field": "created_at", "operator": "<", "value": T0 - 30 * 86400},
        ],
    },
    "body word, rare": lambda v: {"field": "source.body", "operator": "=", "value": v["rare"]},
    "contact_ids": lambda v: {"field": "contact_ids", "operator": "=", "value": v["contact"]},
    "tag_ids": lambda v: {"field": "tag_ids", "operator": "=", "value": v["tag"]},
}


def _statements(engine: Engine, ws: int, query: dict[str, Any]) -> list[tuple[str, Any]]:
    """The SELECTs on conversations that one search runs: planner look-ups, the page, the count."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if re.search(r"\bFROM conversations\b", statement):
            captured.append((statement, parameters))

    with transaction(engine, write=False) as conn:
        event.listen(conn, "before_cursor_execute", capture)
        search = Search(conn, ws)
        parsed = parse({"query": query})
        plan = search.where(parsed.root, parsed.per_page)
        search.page(plan, parsed.per_page + 1, None)
        search.count(plan, DEFAULT_COUNT_LIMIT)
        event.remove(conn, "before_cursor_execute", capture)
    assert captured
    return captured


def _sqlite_whole_scans(conn: Any, statement: str, parameters: Any) -> list[str]:
    raw = conn.connection.driver_connection
    details = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()]
    on_table = [d for d in details if re.match(r"(SCAN|SEARCH) conversations\b", d)]
    assert on_table, details
    return [d for d in on_table if d.startswith("SCAN") or re.search(r"\(workspace_id=\?\)$", d)]


def _postgres_whole_scans(conn: Any, statement: str, parameters: Any) -> list[str]:
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0][0]["Plan"]
    bad: list[str] = []
    seen: list[str] = []

    def narrowed(condition: str | None) -> bool:
        rest = re.sub(r"\(?workspace_id = '?\d+'?(::bigint)?\)?", "", condition or "")
        return bool(re.search(r"[=<>]", rest))

    def visit(node: dict[str, Any], heap: str | None = None) -> None:
        relation = node.get("Relation Name") or heap
        if relation == "conversations":
            kind = node["Node Type"]
            seen.append(kind)
            if kind == "Seq Scan" or (
                kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan") and not narrowed(node.get("Index Cond"))
            ):
                bad.append(f"{kind} {node.get('Index Name', '')} {node.get('Index Cond', '')}".strip())
        inner = "conversations" if node["Node Type"] == "Bitmap Heap Scan" and relation == "conversations" else None
        for child in node.get("Plans", []):
            visit(child, inner)

    visit(plan)
    assert seen, plan
    return bad


@pytest.mark.parametrize("name", list(QUERIES))
def test_selective_searches_use_an_index_that_narrows_conversations(seeded, name):
    engine, ws = seeded
    dialect = engine.dialect.name
    query = QUERIES[name](_values(engine, ws))
    statements = _statements(engine, ws, query)
    whole: list[str] = []
    with transaction(engine, write=False) as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        for statement, parameters in statements:
            scans = (_sqlite_whole_scans if dialect == "sqlite" else _postgres_whole_scans)(conn, statement, parameters)
            whole += [f"{' '.join(statement.split())[:160]} → {scan}" for scan in scans]
    assert not whole, "\n".join(whole)


def test_the_rare_word_is_rare_and_the_vocabulary_skewed(seeded):
    """The premise of the plan checks: Zipf-skewed bodies, frequent words and rare ones."""
    engine, ws = seeded
    with engine.connect() as conn:
        documents = dict(
            conn.execute(
                select(token_stats.c.token, token_stats.c.documents).where(token_stats.c.workspace_id == ws)
            ).all()
        )
    assert documents[VOCABULARY[20]] > COUNT * 0.05
    assert sum(1 for n in documents.values() if n <= 3) > len(documents) / 3
