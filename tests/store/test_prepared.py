"""Prepared statements (store/prepared.py) answer what SQLAlchemy's own execution answers, on both
engines: same rows, same Python values (JSON parsed, booleans as bool), expanding lists of every
length, defaults of bound literals, INSERT … RETURNING, and inside the request's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, func, insert, select, update

from inboxd.store.prepared import Prepared
from inboxd.store.scope import Store
from inboxd.store.tables import conversation_parts, conversations
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import workspace_for_token
from tests import factories
from tests.conftest import ACME_TOKEN, T0


def _store(conn):
    workspace = workspace_for_token(conn, ACME_TOKEN)
    assert workspace is not None
    return Store(conn, workspace.id)


def _seeded(engine, count=3):
    with transaction(engine, write=True) as conn:
        store = _store(conn)
        ids = [factories.stored_conversation(store, T0 + i, f"p{i}@example.test") for i in range(count)]
        return store.workspace_id, ids


_ROWS = (
    select(conversations)
    .where(conversations.c.workspace_id == bindparam("ws"), conversations.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(conversations.c.id)
)


@pytest.mark.parametrize("size", [0, 1, 2, 3])
def test_rows_equal_sqlalchemys_for_every_list_length(engine, size):
    ws, ids = _seeded(engine)
    params = {"ws": ws, "ids": ids[:size]}
    with transaction(engine, write=False) as conn:
        expected = [row._asdict() for row in conn.execute(_ROWS, params)]
        got = Prepared(_ROWS).rows(conn, params)
    assert got == expected
    assert len(got) == size
    for row in got:  # typed as SQLAlchemy types them, not as the driver returns them
        assert type(row["read"]) is bool and type(row["custom_attributes"]) is dict


def test_bound_literals_and_first_and_scalar(engine):
    ws, ids = _seeded(engine)
    statement = select(conversations.c.id, conversations.c.state).where(
        conversations.c.workspace_id == bindparam("ws"),
        conversations.c.state == "open",
        conversations.c.id == bindparam("id"),
    )
    prepared = Prepared(statement)
    with transaction(engine, write=False) as conn:
        assert prepared.first(conn, {"ws": ws, "id": ids[0]}) == {"id": ids[0], "state": "open"}
        assert prepared.first(conn, {"ws": ws + 1, "id": ids[0]}) is None
        assert prepared.scalar(conn, {"ws": ws, "id": ids[1]}) == ids[1]


def test_writes_join_the_transaction_and_roll_back_with_it(engine):
    ws, ids = _seeded(engine, 1)
    bump = Prepared(
        update(conversations)
        .where(conversations.c.workspace_id == bindparam("ws"), conversations.c.id == bindparam("conversation"))
        .values(version=conversations.c.version + 1)
    )
    add = Prepared(insert(conversation_parts).returning(conversation_parts.c.id))
    part = {
        "workspace_id": ws,
        "conversation_id": ids[0],
        "part_type": "comment",
        "body": "<p>hi</p>",
        "created_at": T0,
        "updated_at": T0,
        "notified_at": T0,
        "author_type": "admin",
        "author_id": "1",
        "attachments": [{"url": "https://example.test/a.png"}],
        "redacted": False,
    }
    count = select(func.count()).select_from(conversation_parts).where(conversation_parts.c.conversation_id == ids[0])
    version = select(conversations.c.version).where(conversations.c.id == ids[0])
    with transaction(engine, write=False) as conn:
        parts_before, version_before = conn.execute(count).scalar_one(), conn.execute(version).scalar_one()
    with pytest.raises(RuntimeError), transaction(engine, write=True) as conn:
        assert bump.run(conn, {"ws": ws, "conversation": ids[0]}) == 1
        add.inserted(conn, part)
        raise RuntimeError("the request failed")
    with transaction(engine, write=True) as conn:
        assert bump.run(conn, {"ws": ws, "conversation": ids[0]}) == 1
        part_id = add.inserted(conn, part)
    with transaction(engine, write=False) as conn:
        assert conn.execute(count).scalar_one() == parts_before + 1
        assert conn.execute(version).scalar_one() == version_before + 1
        stored = conn.execute(select(conversation_parts).where(conversation_parts.c.id == part_id)).one()._asdict()
    assert stored["attachments"] == [{"url": "https://example.test/a.png"}] and stored["redacted"] is False


def test_a_column_with_a_python_default_must_be_given(engine):
    ws, ids = _seeded(engine, 1)
    add = Prepared(insert(conversation_parts))
    with transaction(engine, write=False) as conn, pytest.raises(ValueError, match="attachments"):
        add.run(conn, {"workspace_id": ws, "conversation_id": ids[0]})
