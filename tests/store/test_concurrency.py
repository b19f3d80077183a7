"""Writers racing on one conversation, each in its own transaction and connection, as concurrent
requests are: no update is lost on either engine."""

from __future__ import annotations

import threading

from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.operations.snoozes import sweep
from inboxd.store.scope import Store
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import workspace_for_token
from tests import factories
from tests.conftest import ACME_TOKEN, T0

WRITERS = 16


def _scope(conn):
    workspace = workspace_for_token(conn, ACME_TOKEN)
    assert workspace is not None
    return Store(conn, workspace.id)


def _start(engine):
    with transaction(engine, write=True) as conn:
        store = _scope(conn)
        return factories.stored_conversation(store, T0, "race@example.test", body="hi"), store.admins.me()


def _race(work, count=WRITERS):
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_concurrent_replies_are_all_kept_and_counted(engine):
    conversation_id, admin = _start(engine)

    def reply(i):
        with transaction(engine, write=True) as conn:
            store = _scope(conn)
            before = store.conversations.require(conversation_id)
            change = domain.reply_as_admin(before, Actor("admin", str(admin["id"])), "comment", f"r{i}", (), T0 + i)
            store.conversations.apply(before, change)

    _race(reply)
    with transaction(engine, write=False) as conn:
        store = _scope(conn)
        after = store.conversations.require(conversation_id)
        parts, total = store.conversations.recent_parts(conversation_id)
    assert total == WRITERS
    assert after.stats.count_conversation_parts == WRITERS
    assert sorted(p.body for p in parts) == sorted(f"r{i}" for i in range(WRITERS))


def test_a_due_snooze_wakes_once_however_many_requests_race(engine):
    conversation_id, admin = _start(engine)
    with transaction(engine, write=True) as conn:
        store = _scope(conn)
        before = store.conversations.require(conversation_id)
        store.conversations.apply(before, domain.snooze(before, Actor("admin", str(admin["id"])), T0 + 10, T0))

    def wake(_):
        sweep(engine, T0 + 100)

    _race(wake, 8)
    with transaction(engine, write=False) as conn:
        parts, _ = _scope(conn).conversations.recent_parts(conversation_id)
    assert [p.part_type for p in parts] == ["snoozed", "timer_unsnooze"]


def test_a_read_sees_one_snapshot_while_a_write_commits(engine):
    """A GET reads the conversation row, then its parts: a reply committed in between must show in
    neither (on PostgreSQL, READ COMMITTED would show the part beside the row from before it)."""
    conversation_id, admin = _start(engine)
    with transaction(engine, write=False) as conn:
        store = _scope(conn)
        before = store.conversations.require(conversation_id)
        with transaction(engine, write=True) as other:
            writer = _scope(other)
            current = writer.conversations.require(conversation_id)
            change = domain.reply_as_admin(current, Actor("admin", str(admin["id"])), "comment", "in between", (), T0)
            writer.conversations.apply(current, change)
        parts, total = store.conversations.recent_parts(conversation_id)
        assert (before.stats.count_conversation_parts, total, parts) == (0, 0, [])
    with transaction(engine, write=False) as conn:
        assert _scope(conn).conversations.recent_parts(conversation_id)[1] == 1
