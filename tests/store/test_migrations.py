"""The migrations build exactly the schema store/tables/ declares, on both engines."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, LargeBinary, MetaData, String, Table, delete, func, insert, inspect, select, update
from sqlalchemy.types import BigInteger

from inboxd.operations import snoozes
from inboxd.store import migrate
from inboxd.store.cached_reads import CachedReads
from inboxd.store.engine import make_engine
from inboxd.store.scope import Store
from inboxd.store.tables import (
    conversation_days,
    conversation_parts,
    conversations,
    metadata,
    workspaces,
)
from inboxd.store.transactions import transaction, writing_connection
from inboxd.store.workspaces import apply_workspace_file
from tests import factories
from tests.conftest import T0, WORKSPACES
from tests.factories import stored_conversation

EXPRESSION_INDEX = "ix_conversations_workspace_id_created_day_updated_at"


def _not_the_expression_index(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # SQLAlchemy does not reflect expression indexes on SQLite: compared by name below instead.
    return not (type_ == "index" and name == EXPRESSION_INDEX)


def _foreign_key(fk):  # type: ignore[no-untyped-def]
    return (fk.parent.name, tuple(fk.column_keys), fk.referred_table.name)


def _without_sqlite_rowid_keys(differences):  # type: ignore[no-untyped-def]
    """SQLite keeps a single-column foreign key where the schema declares (x_id, workspace_id) →
    (id, workspace_id): its numbered tables keep `id INTEGER PRIMARY KEY` (migration 0012,
    docs/decisions.md). Exactly those pairs are dropped from the comparison; any other difference stays."""
    declared = {
        (table, columns[0], referred)
        for kind, fk in differences
        if kind == "add_fk"
        for table, columns, referred in [_foreign_key(fk)]
        if columns[1:] == ("workspace_id",)
    }
    found = {
        (table, columns[0], referred)
        for kind, fk in differences
        if kind == "remove_fk"
        for table, columns, referred in [_foreign_key(fk)]
        if len(columns) == 1
    }
    paired = declared & found

    def kept(difference):  # type: ignore[no-untyped-def]
        kind, fk = difference if isinstance(difference, tuple) else (None, None)
        if kind not in ("add_fk", "remove_fk"):
            return True
        table, columns, referred = _foreign_key(fk)
        return (table, columns[0], referred) not in paired

    return [difference for difference in differences if kept(difference)]


def test_migrations_match_the_declared_schema(engine):
    with engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        context = MigrationContext.configure(conn, opts={"include_object": _not_the_expression_index})
        differences = compare_metadata(context, metadata)
    if engine.dialect.name == "sqlite":
        differences = _without_sqlite_rowid_keys(differences)
    assert differences == []
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            names = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
        else:
            names = {index["name"] for index in inspect(conn).get_indexes(conversations.name)}
    assert EXPRESSION_INDEX in names


def test_upgrading_to_0003_counts_the_conversations_already_stored(engine):
    """0003 adds workspaces.conversation_count: a database upgraded with conversations in it must
    answer the list's total_count right away, not from zero."""
    with transaction(engine, write=True) as conn:
        ws = conn.execute(select(workspaces.c.id).where(workspaces.c.id_code == "acme")).scalar_one()
        store = Store(conn, ws)
        for n in range(3):
            stored_conversation(store, T0, f"before-{n}@example.com")
    try:
        _downgrade(engine, "0002_tokens_and_rate_limits")
    finally:
        migrate.upgrade(engine)
    with transaction(engine, write=False) as conn:
        assert Store(conn, ws).conversations.count() == 3
        other = conn.execute(select(workspaces.c.conversation_count).where(workspaces.c.id_code != "acme")).scalars()
        assert set(other) == {0}


def test_upgrading_to_0004_fills_conversation_days_from_the_conversations_already_stored(engine, clock):
    """0004 adds conversation_days (search counts created_at ranges from it): a database upgraded
    with conversations in it must count them by day of creation right away, as `create` would have."""
    with transaction(engine, write=True) as conn:
        ws = conn.execute(select(workspaces.c.id).where(workspaces.c.id_code == "acme")).scalar_one()
        store = Store(conn, ws)
        for n, at in enumerate((T0 - 86400 - 1, T0 - 86400, T0 - 1, T0, T0 + 3600)):
            stored_conversation(store, at, f"before-{n}@example.com")
    with transaction(engine, write=False) as conn:
        written = set(conn.execute(select(conversation_days)).all())
    try:
        _downgrade(engine, "0003_search_indexes_and_counts")
    finally:
        migrate.upgrade(engine)
    with transaction(engine, write=False) as conn:
        filled = set(conn.execute(select(conversation_days)).all())
        ids = sorted(conn.execute(select(conversations.c.created_at, conversations.c.id)).all())
    day = T0 // 86400
    assert (
        filled
        == written
        == {
            (ws, day - 2, 1, ids[0].id, ids[0].id),
            (ws, day - 1, 2, ids[1].id, ids[2].id),
            (ws, day, 2, ids[3].id, ids[4].id),
        }
    )


def test_upgrading_an_analyzed_sqlite_database_keeps_the_list_on_its_index(tmp_path, clock):
    """A database with statistics for the old indexes only (`inboxd seed` runs ANALYZE) must not
    have GET /conversations sorted from a new index after an upgrade: 0004 refreshes them."""
    engine = make_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    try:
        migrate.upgrade(engine)
        with transaction(engine, write=True) as conn:
            apply_workspace_file(conn, WORKSPACES, T0)
            ws = conn.execute(select(workspaces.c.id).where(workspaces.c.id_code == "acme")).scalar_one()
            store = Store(conn, ws)
            for n in range(30):
                stored_conversation(store, T0 + n, f"old-{n}@example.com")
        # Back to 0003 with statistics (dropping an index drops its statistics), then up again.
        _downgrade(engine, "0003_search_indexes_and_counts")
        with transaction(engine, write=True) as conn:
            conn.exec_driver_sql("ANALYZE")
            # The statistics of the 100k benchmark database as `inboxd seed` left them (0002's indexes).
            conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'conversations'")
            for index, stat in (
                ("ix_conversations_workspace_id_created_at_updated_at_id", "100000 100000 1 1 1"),
                ("ix_conversations_workspace_id_updated_at_id", "100000 100000 1 1"),
                ("ix_conversations_workspace_id_state_updated_at", "100000 100000 50000 1"),
                ("ix_conversations_workspace_id_state_snoozed_until", "100000 100000 50000 50000"),
                ("ix_conversations_workspace_id_source_id", "100000 100000 1"),
            ):
                conn.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES ('conversations', ?, ?)", (index, stat))
        migrate.upgrade(engine)
        with transaction(engine, write=False) as conn:
            raw = conn.connection.driver_connection
            hot = CachedReads(engine)
            plans = {
                "hot page": [r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + hot.page_sql, ("x", ws, ws, ws, 21))],
                "store page": [
                    r[3]
                    for r in raw.execute(
                        "EXPLAIN QUERY PLAN SELECT id FROM conversations WHERE workspace_id = ? "
                        "ORDER BY updated_at DESC, id DESC LIMIT 21",
                        (ws,),
                    )
                ],
            }
            hot.close()
            analyzed = set(conn.exec_driver_sql("SELECT idx FROM sqlite_stat1 WHERE tbl = 'conversations'").scalars())
            indexes = set(
                conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'conversations'"
                ).scalars()
            )
    finally:
        engine.dispose()
    assert indexes <= analyzed  # the new indexes too: none looks more selective than it is
    for name, plan in plans.items():
        assert not any("TEMP B-TREE" in step for step in plan), (name, plan)
        assert any("ix_conversations_workspace_id_updated_at_id" in step for step in plan), (name, plan)


def _downgrade(engine, revision):
    """Take the database back to ``revision`` in one write transaction (the test upgrades again)."""
    config = migrate.alembic_config(engine)
    with engine.connect() as conn, writing_connection(conn), conn.begin():
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def _part_states(engine):
    with transaction(engine, write=False) as conn:
        return conn.execute(
            select(
                conversation_parts.c.id,
                conversation_parts.c.part_type,
                conversation_parts.c.state,
                conversation_parts.c.ticket_state,
                conversation_parts.c.previous_ticket_state,
            ).order_by(conversation_parts.c.id)
        ).all()


def _a_history(api, engine, clock):
    """Conversations whose parts move through every state, one of them converted to a ticket."""
    ada = api.get("/me").json()
    contact = factories.contact(api)
    first = factories.conversation(api, contact_id=contact["id"])
    second = factories.conversation(api)
    factories.conversation(api)  # no parts at all

    def post(conversation, kind, **body):
        response = api.post(f"/conversations/{conversation['id']}/{kind}", json={"admin_id": ada["id"], **body})
        assert response.status_code == 200, response.text

    post(first, "reply", type="admin", message_type="comment", body="On it")
    post(second, "reply", type="admin", message_type="note", body="Looking")
    post(first, "parts", message_type="close")
    reply = {"type": "user", "intercom_user_id": contact["id"], "message_type": "comment", "body": "Not fixed"}
    assert api.post(f"/conversations/{first['id']}/reply", json=reply).status_code == 200
    post(first, "parts", message_type="snoozed", snoozed_until=clock.now() + 60)
    clock.advance(120)
    snoozes.sweep(engine, clock.now())
    post(first, "parts", message_type="assignment", type="admin", assignee_id=ada["id"])
    post(second, "parts", message_type="snoozed", snoozed_until=clock.now() + 86400)
    post(first, "parts", message_type="close")
    ticket_type = factories.ticket_type(api, category="Customer")
    converted = api.post(f"/conversations/{second['id']}/convert", json={"ticket_type_id": ticket_type["id"]})
    assert converted.status_code == 200, converted.text


def test_upgrading_to_0008_records_the_state_of_every_part_already_stored(api, engine, clock):
    """0008 adds the parts' state (2.13's part `state`) and ticket states: parts written before it
    get what the writes would have recorded, replayed conversation by conversation."""
    _a_history(api, engine, clock)
    written = _part_states(engine)
    assert [(kind, state) for _, kind, state, _, _ in written] == [
        ("comment", "open"),
        ("note", "open"),
        ("close", "closed"),
        ("comment", "open"),
        ("snoozed", "snoozed"),
        ("timer_unsnooze", "open"),
        ("assignment", "open"),
        ("snoozed", "snoozed"),
        ("close", "closed"),
        ("ticket_state_updated_by_admin", "snoozed"),
    ]
    assert [row[3:] for row in written if row.part_type == "ticket_state_updated_by_admin"] == [
        ("submitted", "submitted")
    ]
    assert all(row[3:] == (None, None) for row in written if row.part_type != "ticket_state_updated_by_admin")
    try:
        _downgrade(engine, "0007_quick_replies_priority")
        with transaction(engine, write=True) as conn:  # documents kept before: 2.13's lack the state
            ws = conn.execute(select(workspaces.c.id).where(workspaces.c.id_code == "acme")).scalar_one()
            conn.execute(delete(conversation_documents))
            first = conn.execute(select(func.min(conversations.c.id))).scalar_one()
            for shape in ("2.10", "2.12", "2.13", "2.16"):
                row = {"conversation_id": first, "shape": shape, "workspace_id": ws, "version": 1, "document": b"{}"}
                conn.execute(insert(conversation_documents).values(row))
    finally:
        migrate.upgrade(engine, "0008_part_states")
    try:
        with transaction(engine, write=False) as conn:
            kept = conn.execute(select(conversation_documents.c.shape).order_by(conversation_documents.c.shape))
            assert list(kept.scalars()) == ["2.10", "2.12"]
    finally:
        migrate.upgrade(engine)
    assert _part_states(engine) == written


# The rendered documents kept in the database from 0006 to 0010 (which drops them: reads never write).
conversation_documents = Table(
    "conversation_documents",
    MetaData(),
    Column("conversation_id", BigInteger, primary_key=True),
    Column("shape", String(8), primary_key=True),
    Column("workspace_id", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("document", LargeBinary, nullable=False),
)


def test_0010_drops_the_stored_documents(engine):
    assert "conversation_documents" not in inspect(engine).get_table_names()
    try:
        _downgrade(engine, "0009_id_floors")
        assert "conversation_documents" in inspect(engine).get_table_names()
    finally:
        migrate.upgrade(engine)
    assert "conversation_documents" not in inspect(engine).get_table_names()


def test_0008_fills_states_in_batches_carrying_a_conversation_over(api, engine, clock):
    """A conversation whose parts span two batches keeps its state from one to the next."""
    _a_history(api, engine, clock)
    written = _part_states(engine)
    path = Path(migrate.MIGRATIONS, "versions", "0008_part_states.py")
    spec = importlib.util.spec_from_file_location("part_states_migration", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for batch in (1, 2, 3):
        with transaction(engine, write=True) as conn:
            conn.execute(update(conversation_parts).values(state=None))
            migration._fill_states(conn, batch=batch)
        assert _part_states(engine) == written, batch
