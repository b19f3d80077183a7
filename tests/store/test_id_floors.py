"""No id of a deleted conversation is given again, on either database: not to the next
conversation, not to the block `inboxd seed` reserves (store/id_floors.py)."""

from __future__ import annotations

from sqlalchemy import select

from inboxd.store import bulk_load
from inboxd.store.scope import Store
from inboxd.store.tables import workspaces
from inboxd.store.transactions import transaction
from tests.conftest import T0
from tests.factories import stored_conversation


def _acme(conn) -> Store:  # type: ignore[no-untyped-def]
    return Store(conn, conn.execute(select(workspaces.c.id).where(workspaces.c.id_code == "acme")).scalar_one())


def test_the_newest_conversations_id_stays_taken_once_deleted(engine):
    with transaction(engine, write=True) as conn:
        store = _acme(conn)
        stored_conversation(store, T0, "first@example.test")
        newest = stored_conversation(store, T0, "newest@example.test")
        store.conversations.delete(newest)
    with transaction(engine, write=True) as conn:
        assert bulk_load.reserve(conn, "conversations", 10) > newest
        created = stored_conversation(_acme(conn), T0, "next@example.test")
        assert created > newest
        again = stored_conversation(_acme(conn), T0, "after@example.test")
        assert again == created + 1  # the floor passed, numbering goes on as usual
