"""Group commit (store/unit_of_work.py): SQLite writes queued on one event loop run in one
transaction, each in its own savepoint, and are answered once it has committed.

The HTTP tests run on both engines (PostgreSQL's batches have tests of their own:
tests/store/test_postgres_batches.py) and hold SQLite's write gate from another thread while the
requests queue, so that they meet in one batch. The queue tests drive a WriteQueue directly with
writes of their own against a real database.

How many transactions a batch took is what SQLite was asked to begin: every write transaction
begins with ``BEGIN IMMEDIATE`` (store/engine.py), and :func:`write_transactions` counts those
statements as SQLite runs them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, Engine, event, insert, text
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.responses import Response

from inboxd.app import create_app
from inboxd.store.engine import make_engine
from inboxd.store.scope import Store
from inboxd.store.tables import tags
from inboxd.store.unit_of_work import WriteQueue, write_queue
from inboxd.store.write_gate import write_gate
from tests import factories
from tests.conftest import ACME_TOKEN, GLOBEX_TOKEN, T0
from tests.store.tag_writes import (
    add_tag,
    add_tag_drawn_together,
    bodies,
    conflicting_writes,
    tag_names,
)

HEADERS = {"Authorization": f"Bearer {ACME_TOKEN}"}


@contextmanager
def write_transactions(engine: Engine) -> Iterator[list[str]]:
    """The write transactions SQLite begins for this thread (the event loop's) while the block runs,
    committed or not: each ``BEGIN IMMEDIATE`` it executes, seen by sqlite3's trace callback on
    every connection checked out meanwhile. Other threads' writes (the document writer's) are not
    the queue's and are left out. On PostgreSQL: nothing is seen (the HTTP tests check SQLite's
    batches only)."""
    begun: list[str] = []
    if engine.dialect.name != "sqlite":
        yield begun
        return
    loop_thread = threading.get_ident()

    def trace(statement: str) -> None:
        if statement == "BEGIN IMMEDIATE" and threading.get_ident() == loop_thread:
            begun.append(statement)

    def checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        dbapi_conn.set_trace_callback(trace)

    def checkin(dbapi_conn: Any, _record: Any) -> None:
        if dbapi_conn is not None:
            dbapi_conn.set_trace_callback(None)

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        yield begun
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)


@contextmanager
def gate_held_elsewhere(engine: Engine) -> Iterator[threading.Event]:
    """Hold the engine's write gate in another thread until the event is set (no-op on PostgreSQL)."""
    gate = write_gate(engine)
    release, taken = threading.Event(), threading.Event()

    def hold() -> None:
        assert gate is not None
        with gate.held():
            taken.set()
            release.wait(10)

    thread = threading.Thread(target=hold) if gate is not None else None
    if thread is not None:
        thread.start()
        taken.wait(10)
    try:
        yield release
    finally:
        release.set()
        if thread is not None:
            thread.join(10)


async def _queued(engine: Engine, calls: list[Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]], app: Any):
    """Run the calls concurrently while another thread holds the write gate, then let them in."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HEADERS) as client:
        gate = write_gate(engine)
        queue = write_queue(engine, gate) if gate is not None else None
        with write_transactions(engine) as begun, gate_held_elsewhere(engine) as release:
            tasks = [asyncio.create_task(call(client)) for call in calls]
            await _until_queued(queue, len(calls))
            release.set()
            responses = await asyncio.gather(*tasks)
        return responses, (len(begun) if queue is not None else None)


async def _until_queued(queue: WriteQueue | None, count: int) -> None:
    """Until ``count`` writes wait in the queue, behind the gate (PostgreSQL: a moment)."""
    if queue is None:
        await asyncio.sleep(0.3)
        return
    for _ in range(1000):
        await asyncio.sleep(0.01)
        if len(queue.pending) >= count:
            return
    raise AssertionError(f"{len(queue.pending)} of {count} writes queued")


def _reply(conversation_id: str, admin_id: str, body: str):
    def call(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.post(
            f"/conversations/{conversation_id}/reply",
            json={"type": "admin", "admin_id": admin_id, "message_type": "comment", "body": body},
        )

    return call


def test_concurrent_replies_each_answer_with_the_conversation_after_their_own_reply(api, engine, clock):
    app = create_app(engine, clock, rate_limit=0)  # the rate limiter writes too: not behind the held gate
    admin = api.get("/admins").json()["admins"][0]["id"]
    conversations = [factories.conversation(api)["id"] for _ in range(4)]
    # Two replies to each conversation: the second of a pair may not share a batch with the first
    # (the first one's answer would show it), every other reply may.
    calls = [_reply(c, admin, f"<p>reply {n} to {c}</p>") for n in range(2) for c in conversations]
    responses, transactions = asyncio.run(_queued(engine, calls, app))

    assert [r.status_code for r in responses] == [200] * len(calls)
    for n, response in enumerate(responses):
        conversation = response.json()
        own = f"<p>reply {n // len(conversations)} to {conversation['id']}</p>"
        assert conversation["conversation_parts"]["conversation_parts"][-1]["body"] == own
    for conversation_id in conversations:
        bodies = [
            p["body"]
            for p in api.get(f"/conversations/{conversation_id}").json()["conversation_parts"]["conversation_parts"]
        ]
        assert sorted(bodies) == [f"<p>reply 0 to {conversation_id}</p>", f"<p>reply 1 to {conversation_id}</p>"]
    if transactions is not None:
        # SQLite: batches, not eight transactions; at least two (a pair never shares one), more
        # when a pair's second reply reached the queue before other conversations' first ones.
        assert 2 <= transactions <= 5


def test_a_failing_write_answers_its_error_and_the_rest_of_its_batch_commits(api, engine, clock):
    app = create_app(engine, clock, rate_limit=0)  # the rate limiter writes too: not behind the held gate
    admin = api.get("/admins").json()["admins"][0]["id"]
    good = [factories.conversation(api)["id"] for _ in range(3)]

    def bad_body(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.post(f"/conversations/{good[0]}/reply", json={"type": "admin", "admin_id": admin, "body": "x"})

    calls = [
        _reply(good[0], admin, "one"),
        _reply("999999", admin, "nobody"),
        bad_body,
        _reply(good[1], admin, "two"),
        _reply(good[2], admin, "three"),
    ]
    responses, transactions = asyncio.run(_queued(engine, calls, app))

    assert [r.status_code for r in responses] == [200, 404, 400, 200, 200]
    assert responses[1].json()["errors"][0]["code"] == "not_found"
    assert responses[2].json()["errors"][0]["field"] == "message_type"
    for conversation_id, body in zip(good, ["one", "two", "three"], strict=True):
        parts = api.get(f"/conversations/{conversation_id}").json()["conversation_parts"]["conversation_parts"]
        assert [p["body"] for p in parts] == [body]
    if transactions is not None:
        assert transactions == 1


def test_answers_of_one_batch_drawn_together_each_show_their_own_conversation(api, globex, engine, clock):
    """Replies, a close and a reply in another workspace share a batch; the answers of one workspace
    are drawn in one go (store/unit_of_work.py): each is still exactly what GET shows afterwards,
    and the other workspace's answer shows nothing of the first's."""
    app = create_app(engine, clock, rate_limit=0)  # the rate limiter writes too: not behind the held gate
    admin = api.get("/admins").json()["admins"][0]["id"]
    other_admin = globex.get("/admins").json()["admins"][0]["id"]
    mine = [factories.conversation(api)["id"] for _ in range(3)]
    theirs = factories.conversation(globex)["id"]

    def close(conversation_id: str):
        def call(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
            return client.post(
                f"/conversations/{conversation_id}/parts",
                json={"message_type": "close", "type": "admin", "admin_id": admin},
            )

        return call

    def other_workspace(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.post(
            f"/conversations/{theirs}/reply",
            json={"type": "admin", "admin_id": other_admin, "message_type": "comment", "body": "theirs"},
            headers={"Authorization": f"Bearer {GLOBEX_TOKEN}"},
        )

    calls = [_reply(mine[0], admin, "one"), close(mine[1]), other_workspace, _reply(mine[2], admin, "three")]
    responses, transactions = asyncio.run(_queued(engine, calls, app))

    assert [r.status_code for r in responses] == [200] * 4
    assert [r.json()["id"] for r in responses] == [mine[0], mine[1], theirs, mine[2]]
    for response, shown in zip(responses, [api, api, globex, api], strict=True):
        assert response.json() == shown.get(f"/conversations/{response.json()['id']}").json()
    assert responses[1].json()["state"] == "closed"
    assert responses[2].json()["conversation_parts"]["conversation_parts"][-1]["body"] == "theirs"
    if transactions is not None:
        assert transactions == 1


# -- the queue itself ---------------------------------------------------------------------------


@pytest.fixture
def sqlite_engine(tmp_path, sqlite_template) -> Iterator[Engine]:
    import shutil

    shutil.copyfile(sqlite_template, tmp_path / "db.sqlite3")
    engine = make_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    yield engine
    engine.dispose()


async def _behind_the_gate(
    engine: Engine, runs: list[Any], before_release: Callable[[list[asyncio.Task[Response]]], None] | None = None
):
    """Submit ``runs`` to the engine's queue while another thread holds the gate; the outcomes."""
    gate = write_gate(engine)
    assert gate is not None
    queue = write_queue(engine, gate)
    with write_transactions(engine) as begun, gate_held_elsewhere(engine) as release:
        tasks = [asyncio.create_task(queue.submit(run)) for run in runs]
        await _until_queued(queue, len(runs))
        if before_release is not None:
            before_release(tasks)
            await asyncio.sleep(0)
        release.set()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert queue.leader is None and not queue.pending  # idle again
    return outcomes, len(begun)


def test_queued_writes_commit_in_one_transaction(sqlite_engine):
    before = len(tag_names(sqlite_engine))
    outcomes, transactions = asyncio.run(_behind_the_gate(sqlite_engine, [add_tag(f"t{i}") for i in range(10)]))
    assert bodies(outcomes) == [f"t{i}" for i in range(10)]
    assert transactions == 1
    assert tag_names(sqlite_engine)[before:] == [f"t{i}" for i in range(10)]


def test_a_write_that_changes_what_an_earlier_answer_shows_waits_for_the_next_batch(sqlite_engine):
    before = len(tag_names(sqlite_engine))
    runs = conflicting_writes()
    outcomes, transactions = asyncio.run(_behind_the_gate(sqlite_engine, runs))
    # The first answer counts its own tag and b's, not c's or d's.
    assert bodies(outcomes) == [str(before + 2), "b", "c", "d"]
    assert transactions == 2
    assert tag_names(sqlite_engine)[before:] == ["a", "b", "c", "d"]


def test_answers_of_a_kind_are_drawn_together_once(sqlite_engine):
    groups: list[list[int]] = []

    def draw_all(snapshot: Store, shows: list[int]) -> list[Response]:
        groups.append(shows)
        return [Response(f"together {s}") for s in shows]

    runs = [add_tag_drawn_together("a", 1, draw_all), add_tag("b"), add_tag_drawn_together("c", 2, draw_all)]
    outcomes, _ = asyncio.run(_behind_the_gate(sqlite_engine, runs))
    assert bodies(outcomes) == ["together 1", "b", "together 2"]
    assert groups == [[1, 2]]


def test_answers_drawn_together_are_drawn_one_by_one_when_the_group_fails(sqlite_engine):
    groups: list[list[int]] = []

    def draw_all(snapshot: Store, shows: list[int]) -> list[Response]:
        groups.append(shows)
        raise RuntimeError("a bug in drawing several")

    runs = [add_tag_drawn_together("a", 1, draw_all), add_tag_drawn_together("c", 2, draw_all)]
    outcomes, _ = asyncio.run(_behind_the_gate(sqlite_engine, runs))
    assert bodies(outcomes) == ["alone 1", "alone 2"]
    assert groups == [[1, 2]]


def test_a_write_that_fails_is_rolled_back_alone(sqlite_engine):
    before = len(tag_names(sqlite_engine))

    def half_then_fail(conn: Connection) -> tuple[Response, frozenset[int]]:
        conn.execute(insert(tags).values(workspace_id=1, name="half", name_folded="half", created_at=T0))
        raise RuntimeError("a bug in the handler")

    duplicate = add_tag("t0")  # tags' names are unique per workspace: IntegrityError
    outcomes, transactions = asyncio.run(
        _behind_the_gate(sqlite_engine, [add_tag("t0"), half_then_fail, duplicate, add_tag("t1")])
    )
    assert bodies(outcomes) == ["t0", "RuntimeError", "IntegrityError", "t1"]
    assert transactions == 1
    assert tag_names(sqlite_engine)[before:] == ["t0", "t1"]


def test_a_write_that_meets_a_database_error_runs_again(sqlite_engine):
    attempts = []

    def flaky(conn: Connection) -> tuple[Response, frozenset[int]]:
        attempts.append(1)
        conn.execute(
            insert(tags).values(
                workspace_id=1, name=f"try{len(attempts)}", name_folded=f"try{len(attempts)}", created_at=T0
            )
        )
        if len(attempts) == 1:
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return Response("ok"), frozenset()

    before = len(tag_names(sqlite_engine))
    outcomes, _ = asyncio.run(_behind_the_gate(sqlite_engine, [flaky, add_tag("next")]))
    assert bodies(outcomes) == ["ok", "next"]
    assert tag_names(sqlite_engine)[before:] == ["try2", "next"]  # the first try left nothing


def test_when_the_commit_fails_each_write_runs_again_alone_and_once(sqlite_engine):
    def fails_at_commit(conn: Connection) -> tuple[Response, frozenset[int]]:
        # A foreign key checked at COMMIT: the statement passes, the transaction cannot commit.
        conn.execute(text("PRAGMA defer_foreign_keys = ON"))
        conn.execute(insert(tags).values(workspace_id=424242, name="orphan", name_folded="orphan", created_at=T0))
        return Response("orphan"), frozenset()

    before = len(tag_names(sqlite_engine))
    outcomes, transactions = asyncio.run(_behind_the_gate(sqlite_engine, [add_tag("x"), fails_at_commit, add_tag("y")]))
    assert bodies(outcomes) == ["x", "IntegrityError", "y"]
    assert isinstance(outcomes[1], IntegrityError)
    assert tag_names(sqlite_engine)[before:] == ["x", "y"]  # each stored once
    # The batch, then x alone, the orphan three times, y alone.
    assert transactions == 1 + 1 + 3 + 1


def test_writes_whose_client_went_away_leave_the_queue_and_it_goes_on(sqlite_engine):
    before = len(tag_names(sqlite_engine))

    def cancel_leader_and_one(tasks: list[asyncio.Task[Response]]) -> None:
        tasks[0].cancel()  # the leader, waiting for the gate
        tasks[2].cancel()

    outcomes, _ = asyncio.run(
        _behind_the_gate(sqlite_engine, [add_tag(f"w{i}") for i in range(5)], before_release=cancel_leader_and_one)
    )
    assert bodies(outcomes) == ["CancelledError", "w1", "CancelledError", "w3", "w4"]
    assert tag_names(sqlite_engine)[before:] == ["w1", "w3", "w4"]


def test_a_batch_is_at_most_max_batch_writes(sqlite_engine):
    async def main() -> tuple[list[Any], int]:
        gate = write_gate(sqlite_engine)
        assert gate is not None
        queue = WriteQueue(sqlite_engine, gate, max_batch=3)
        with write_transactions(sqlite_engine) as begun, gate_held_elsewhere(sqlite_engine) as release:
            tasks = [asyncio.create_task(queue.submit(add_tag(f"m{i}"))) for i in range(7)]
            await _until_queued(queue, 7)
            release.set()
            outcomes = await asyncio.gather(*tasks)
        return outcomes, len(begun)

    outcomes, transactions = asyncio.run(main())
    assert bodies(outcomes) == [f"m{i}" for i in range(7)]
    assert transactions == 3
