"""The conversation store on SQLite and PostgreSQL: what is written stays written, what fails
leaves nothing behind, and one workspace's store never reaches another's rows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.store import migrate
from inboxd.store.engine import make_engine
from inboxd.store.scope import Store
from inboxd.store.tables import admins, conversation_contacts, conversations
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import apply_workspace_file, workspace_for_token
from tests import factories
from tests.conftest import ACME_TOKEN, GLOBEX_TOKEN, T0, WORKSPACES


def _store(conn, token):
    workspace = workspace_for_token(conn, token)
    assert workspace is not None
    return Store(conn, workspace.id)


def _start(store, now):
    return factories.stored_conversation(store, now, f"c{now}@example.test")


def test_data_survives_a_new_engine(engine):
    with transaction(engine, write=True) as conn:
        conversation_id = _start(_store(conn, ACME_TOKEN), T0)
    engine.dispose()
    reopened = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with transaction(reopened, write=False) as conn:
            found = _store(conn, ACME_TOKEN).conversations.get(conversation_id)
        assert found is not None and found.state == "open" and found.created_at == T0
    finally:
        reopened.dispose()


def test_a_failed_unit_of_work_leaves_nothing_half_written(engine):
    with pytest.raises(RuntimeError), transaction(engine, write=True) as conn:
        _start(_store(conn, ACME_TOKEN), T0)
        raise RuntimeError("the request failed after the insert")
    with transaction(engine, write=False) as conn:
        assert conn.execute(select(func.count()).select_from(conversations)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(conversation_contacts)).scalar_one() == 0


def test_apply_writes_state_and_parts_together(engine):
    with transaction(engine, write=True) as conn:
        store = _store(conn, ACME_TOKEN)
        conversation_id = _start(store, T0)
        before = store.conversations.require(conversation_id)
        operator = Actor("bot", str(store.admins.operator_id()))
        change = domain.update_attributes(before, operator, T0 + 10, title="Hello", custom_attributes={"x": 1})
        part_ids = store.conversations.apply(before, change)
    with transaction(engine, write=False) as conn:
        store = _store(conn, ACME_TOKEN)
        after = store.conversations.require(conversation_id)
        parts, total = store.conversations.recent_parts(conversation_id)
    assert after.title == "Hello" and after.custom_attributes == {"x": 1}
    assert after.stats.count_conversation_parts == 2
    assert total == 2 and [p.id for p in parts] == part_ids


def test_workspace_scope_is_structural(engine):
    with transaction(engine, write=True) as conn:
        conversation_id = _start(_store(conn, ACME_TOKEN), T0)
    with transaction(engine, write=False) as conn:
        globex = _store(conn, GLOBEX_TOKEN)
        assert globex.conversations.get(conversation_id) is None
        assert globex.conversations.count() == 0
        assert globex.conversations.page(10, None) == []
        assert globex.conversations.related([conversation_id])[conversation_id].contacts == []


def test_only_the_500_most_recent_parts_are_loaded(engine):
    with transaction(engine, write=True) as conn:
        store = _store(conn, ACME_TOKEN)
        conversation_id = _start(store, T0)
        before = store.conversations.require(conversation_id)
        operator = Actor("bot", str(store.admins.operator_id()))
        parts = [domain.Part("note", operator, T0 + i, body=f"note {i}") for i in range(503)]
        store.conversations.apply(before, domain.Change(before, parts))
    with transaction(engine, write=False) as conn:
        loaded, total = _store(conn, ACME_TOKEN).conversations.recent_parts(conversation_id)
    assert total == 503
    assert len(loaded) == 500
    assert loaded[0].body == "note 3" and loaded[-1].body == "note 502"


def test_a_part_and_its_state_are_one_insert(tmp_path):
    """The state a part records rides on the part's own INSERT: a close writes one statement for
    its part, and no other statement touches the parts table (on SQLite, whose trace sees every
    statement, the DBAPI cursor's too)."""
    from inboxd.operations import conversation_parts as operations

    engine = make_engine(f"sqlite:///{tmp_path}/trace.sqlite3")
    migrate.upgrade(engine)
    with transaction(engine, write=True) as conn:
        apply_workspace_file(conn, WORKSPACES, T0)
    with transaction(engine, write=True) as conn:
        store = _store(conn, ACME_TOKEN)
        conversation_id = _start(store, T0)
        admin_id = str(
            conn.execute(
                select(func.min(admins.c.id)).where(
                    admins.c.workspace_id == store.workspace_id, admins.c.kind == "admin"
                )
            ).scalar_one()
        )
        raw = conn.connection.driver_connection
        seen: list[str] = []
        raw.set_trace_callback(seen.append)
        try:
            operations.close(store, T0 + 60, str(conversation_id), admin_id)
        finally:
            raw.set_trace_callback(None)
        state = conn.exec_driver_sql(
            "SELECT state FROM conversation_parts WHERE conversation_id = ?", (conversation_id,)
        ).scalar_one()
    engine.dispose()
    table = re.compile(r"\bconversation_parts\b")
    touching = [s for s in seen if table.search(s) and not s.lstrip().upper().startswith("SELECT")]
    assert len(touching) == 1 and touching[0].lstrip().upper().startswith("INSERT"), touching
    assert state == "closed"
