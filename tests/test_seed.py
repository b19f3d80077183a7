"""`inboxd seed` on SQLite and PostgreSQL: rows as the API would have written them (statistics that a
replay of the parts gives again, the token index and its counts), served and searched over HTTP
with every response checked against the spec, and the same data from the same seed."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from inboxd import seed as seeding
from inboxd.cli import main
from inboxd.domain import statistics
from inboxd.domain.conversations import Actor, Part
from inboxd.store import migrate
from inboxd.store.engine import make_engine
from inboxd.store.search_index import index_terms
from inboxd.store.tables import (
    admins,
    contacts,
    conversation_contacts,
    conversation_days,
    conversation_parts,
    conversation_tags,
    conversation_teammates,
    conversation_tokens,
    conversations,
    messages,
    metadata,
    token_stats,
    workspaces,
)
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import apply_workspace_file
from tests.conftest import T0, WORKSPACES

COUNT = 240
OPTIONS = seeding.Options(conversations=COUNT, seed=7, now=T0, jobs=1)


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seeding.seed(engine, "acme", OPTIONS)
    return engine


def _rows(conn: Any, table: Any, *order: Any) -> list[dict[str, Any]]:
    return [row._asdict() for row in conn.execute(select(table).order_by(*order))]


def _replay(created_at: int, parts: list[dict[str, Any]]) -> tuple[statistics.Statistics, str]:
    """The statistics and state the parts imply, folded again from the stored rows alone; each part
    must have recorded the state it left the conversation in."""
    stats, state = statistics.started_by_contact(created_at), "open"
    moves = {"close": "closed", "snoozed": "snoozed", "open": "open", "timer_unsnooze": "open"}
    for row in parts:
        new = moves.get(row["part_type"], state)
        if row["part_type"] == "comment" and row["author_type"] in statistics.CONTACT_TYPES and state != "open":
            new = "open"
        part = Part(row["part_type"], Actor(row["author_type"], row["author_id"]), row["created_at"])
        stats = statistics.record(stats, part, reopens=state == "closed" and new == "open")
        state = new
        assert (row["state"], row["ticket_state"], row["previous_ticket_state"]) == (state, None, None)
    return stats, state


def _days_of(rows: list[dict[str, Any]]) -> dict[int, tuple[int, int, int]]:
    """conversation_days as it must be: per UTC day of creation, how many, lowest and highest id."""
    ids: dict[int, list[int]] = {}
    for row in rows:
        ids.setdefault(row["created_at"] // 86400, []).append(row["id"])
    return {day: (len(found), min(found), max(found)) for day, found in ids.items()}


def test_rows_are_what_the_api_would_have_written(seeded):
    with transaction(seeded, write=False) as conn:
        acme = conn.execute(select(workspaces.c.id).where(workspaces.c.id_code == "acme")).scalar_one()
        rows = _rows(conn, conversations, conversations.c.id)
        sources = {m["id"]: m for m in _rows(conn, messages, messages.c.id)}
        parts: dict[int, list[dict[str, Any]]] = {}
        for part in _rows(conn, conversation_parts, conversation_parts.c.id):
            parts.setdefault(part["conversation_id"], []).append(part)
        participants = {
            (r["conversation_id"], r["position"]): r["contact_id"] for r in _rows(conn, conversation_contacts)
        }
        teammates: dict[int, list[int]] = {}
        for r in _rows(conn, conversation_teammates, conversation_teammates.c.position):
            teammates.setdefault(r["conversation_id"], []).append(r["admin_id"])
        tokens: dict[int, set[str]] = {}
        for r in _rows(conn, conversation_tokens):
            tokens.setdefault(r["conversation_id"], set()).add(r["token"])
        documents = {r["token"]: r["documents"] for r in _rows(conn, token_stats) if r["workspace_id"] == acme}
        days = {
            r["day"]: (r["conversations"], r["first_id"], r["last_id"])
            for r in _rows(conn, conversation_days)
            if r["workspace_id"] == acme
        }
        human = set(conn.execute(select(admins.c.id).where(admins.c.kind == "admin")).scalars())
        known_contacts = set(conn.execute(select(contacts.c.id)).scalars())

    assert len(rows) == COUNT and {row["workspace_id"] for row in rows} == {acme}
    counted: Counter[str] = Counter()
    for row in rows:
        source = sources[row["source_id"]]
        assert (source["conversation_id"], source["body"], source["created_at"]) == (
            row["id"],
            row["source_body"],
            row["created_at"],
        )
        assert participants[(row["id"], 0)] == row["source_author_id"] == source["contact_id"] in known_contacts
        own = parts.get(row["id"], [])
        stats, state = _replay(row["created_at"], own)
        assert {name: row[f"stat_{name}"] for name in statistics.ALL} == {
            **stats.as_dict(),
            "reply_durations": list(stats.reply_durations),
        }
        assert row["state"] == state
        assert (row["snoozed_until"] is not None) == (state == "snoozed")
        commenters = [int(p["author_id"]) for p in own if p["part_type"] == "comment" and p["author_type"] == "admin"]
        assert teammates.get(row["id"], []) == list(dict.fromkeys(commenters))
        assert set(commenters) <= human
        assert row["updated_at"] >= max([row["created_at"], *(p["created_at"] for p in own)])
        assert row["updated_at"] <= T0
        terms = index_terms(row["source_body"])
        assert tokens.get(row["id"], set()) == set(terms)
        counted.update(terms)
    assert documents == dict(counted)
    assert days == _days_of(rows)

    # Every state, snoozes that have run out (inboxd wakes them lazily) and snoozes still running.
    states = Counter(row["state"] for row in rows)
    assert set(states) == {"open", "closed", "snoozed"}
    snoozes = [row["snoozed_until"] for row in rows if row["state"] == "snoozed"]
    assert min(snoozes) < T0 < max(snoozes)
    part_counts = [len(parts.get(row["id"], [])) for row in rows]
    assert max(part_counts) <= 30 and sum(part_counts) / COUNT > 5
    assert any(row["custom_attributes"] for row in rows)
    assert any(row["admin_assignee_id"] for row in rows) and any(row["team_assignee_id"] for row in rows)
    assert T0 - 2 * seeding.YEAR <= min(row["created_at"] for row in rows) < T0 - seeding.YEAR


def test_the_api_lists_retrieves_and_searches_seeded_conversations(seeded, api):
    listed = api.get("/conversations", params={"per_page": 50}).json()
    assert listed["total_count"] == COUNT
    for item in listed["conversations"][:8]:
        full = api.get(f"/conversations/{item['id']}").json()
        assert full["conversation_parts"]["total_count"] == len(full["conversation_parts"]["conversation_parts"])
        assert full["source"]["body"]
        assert full["contacts"]["contacts"][0]["id"] == full["source"]["author"]["id"]

    # The first request woke the snoozes that had run out; the counts below are after that.
    with transaction(seeded, write=False) as conn:
        by_state = dict(conn.execute(select(conversations.c.state, func.count()).group_by(conversations.c.state)).all())
        common = conn.execute(select(token_stats.c.token).order_by(token_stats.c.documents.desc()).limit(1)).scalar()
    for state, count in by_state.items():
        found = api.post("/conversations/search", json={"query": {"field": "state", "operator": "=", "value": state}})
        assert found.json()["total_count"] == count
    body = {"query": {"field": "source.body", "operator": "=", "value": common}, "pagination": {"per_page": 5}}
    page = api.post("/conversations/search", json=body).json()
    with transaction(seeded, write=False) as conn:
        expected = conn.execute(
            select(func.count()).select_from(conversation_tokens).where(conversation_tokens.c.token == common)
        ).scalar_one()
    assert page["total_count"] == expected > 0
    assert all(common in index_terms(c["source"]["body"]) for c in page["conversations"])


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: sorted(tuple(map(repr, row)) for row in conn.execute(select(table)))
            for table in metadata.sorted_tables
            if table.name not in ("access_tokens",)
        }


def _fresh(path: Any) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with transaction(engine, write=True) as conn:
        apply_workspace_file(conn, WORKSPACES, T0)
    return engine


def test_the_same_seed_gives_the_same_data_whatever_the_processes(tmp_path):
    small = seeding.Options(conversations=1500, seed=3, now=T0, parts=(0, 6), jobs=1)
    first, second, other = (
        _fresh(tmp_path / "a.sqlite3"),
        _fresh(tmp_path / "b.sqlite3"),
        _fresh(tmp_path / "c.sqlite3"),
    )
    seeding.seed(first, "acme", small)
    seeding.seed(second, "acme", seeding.Options(**{**small.__dict__, "jobs": 2}))
    seeding.seed(other, "acme", seeding.Options(**{**small.__dict__, "seed": 4}))
    assert _dump(first) == _dump(second)
    assert _dump(first)["conversations"] != _dump(other)["conversations"]
    for engine in (first, second, other):
        engine.dispose()


def test_cli_seeds_an_empty_database_into_the_demo_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("INBOXD_DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path}/seeded.sqlite3"
    args = ["seed", "--database-url", url, "--conversations", "60", "--now", str(T0), "--jobs", "1"]
    result = CliRunner().invoke(main, args)

    assert result.exit_code == 0, result.output
    assert "demo_" in result.output  # the demo workspace's token, printed once as `serve` does
    assert "workspace demo: 60 conversations" in result.output
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(conversations)).scalar_one() == 60
        assert conn.execute(select(func.count()).select_from(conversation_tags)).scalar_one() > 0
    engine.dispose()

    again = CliRunner().invoke(main, [*args, "--workspace", "nope"])
    assert again.exit_code == 1 and "no workspace with id_code 'nope'" in again.output
    bad = CliRunner().invoke(main, [*args, "--parts-per-conversation", "5-2"])
    assert bad.exit_code == 2 and "--parts-per-conversation" in bad.output
