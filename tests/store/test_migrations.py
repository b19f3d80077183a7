"""The migrations build exactly the schema store/tables.py declares, on both engines."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from inboxd.store import migrate
from inboxd.store.engine import transaction
from inboxd.store.scope import Store
from inboxd.store.tables import metadata, workspaces
from tests.conftest import T0
from tests.factories import stored_conversation


def test_migrations_match_the_declared_schema(engine):
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_upgrading_to_0003_counts_the_conversations_already_stored(engine):
    """0003 adds workspaces.conversation_count: a database upgraded with conversations in it must
    answer the list's total_count right away, not from zero."""
    with transaction(engine, write=True) as conn:
        ws = conn.execute(select(workspaces.c.id).where(workspaces.c.id_code == "acme")).scalar_one()
        store = Store(conn, ws)
        for n in range(3):
            stored_conversation(store, T0, f"before-{n}@example.com")
    config = migrate.alembic_config(engine)
    try:
        with engine.connect() as conn:
            conn.info["write"] = True
            with conn.begin():
                config.attributes["connection"] = conn
                command.downgrade(config, "0002_tokens_and_rate_limits")
    finally:
        migrate.upgrade(engine)
    with transaction(engine, write=False) as conn:
        assert Store(conn, ws).conversations.count() == 3
        other = conn.execute(select(workspaces.c.conversation_count).where(workspaces.c.id_code != "acme")).scalars()
        assert set(other) == {0}
