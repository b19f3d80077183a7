"""PostgreSQL's group commit (store/unit_of_work.py ``WriteQueue._run_on_loop``): the writes an event
loop queued while its batch ran share one transaction, without a savepoint each; a write that fails
or conflicts ends the batch, and what was stored is exactly what the writes answered.

The writes are submitted together, so they meet in one batch. Transactions are counted as
SQLAlchemy begins them on the loop's engine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, insert, text
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from inboxd.store.loop_work import close_loop_engine, loop_engine, open_loop_engine
from inboxd.store.scope import Store
from inboxd.store.tables import tags
from inboxd.store.transactions import transaction
from inboxd.store.unit_of_work import write_queue
from tests.conftest import T0
from tests.store.tag_writes import (
    add_tag,
    add_tag_drawn_together,
    add_tag_shown,
    bodies,
    conflicting_writes,
    tag_names,
)

POSTGRES = pytest.mark.parametrize("engine", ["postgres"], indirect=True)


def _submitted(
    engine: Engine, runs: list[Callable[[Connection], Any]], names: list[Any] | None = None
) -> tuple[list[Any], int]:
    """Outcomes of ``runs`` submitted at once (each naming ``names[i]``), and how many
    transactions they took."""

    async def main() -> tuple[list[Any], int]:
        await open_loop_engine(engine)
        begun: list[object] = []

        def count(conn: object) -> None:
            begun.append(conn)

        sync_engine = loop_engine(engine).sync_engine
        event.listen(sync_engine, "begin", count)
        try:
            queue = write_queue(engine, None)
            named = names or [None] * len(runs)
            tasks = [asyncio.create_task(queue.submit(run, name)) for run, name in zip(runs, named, strict=True)]
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            assert not queue.pending and not queue.alone  # idle again
            return list(outcomes), len(begun)
        finally:
            event.remove(sync_engine, "begin", count)
            await close_loop_engine(engine)

    return asyncio.run(main())


@POSTGRES
def test_queued_writes_commit_in_one_transaction_without_savepoints(engine):
    savepoints: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "SAVEPOINT" in statement.upper():
            savepoints.append(statement)

    before = len(tag_names(engine))
    event.listen(engine, "before_cursor_execute", watch)  # the loop engine shares the sync engine's events
    try:
        outcomes, transactions = _submitted(engine, [add_tag(f"t{i}") for i in range(10)])
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert bodies(outcomes) == [f"t{i}" for i in range(10)]
    assert transactions == 1
    assert savepoints == []
    assert tag_names(engine)[before:] == [f"t{i}" for i in range(10)]


@POSTGRES
def test_a_failing_write_answers_its_error_and_leaves_nothing_half_written(engine):
    before = len(tag_names(engine))

    def half_then_fail(conn: Connection) -> tuple[Response, frozenset[int]]:
        conn.execute(insert(tags).values(workspace_id=1, name="half", name_folded="half", created_at=T0))
        raise RuntimeError("a bug in the handler")

    duplicate = add_tag("t0")  # tags' names are unique per workspace: one of the two fails
    outcomes, _ = _submitted(engine, [add_tag("t0"), half_then_fail, duplicate, add_tag("t1")])
    answered = bodies(outcomes)
    assert answered[1::2] == ["RuntimeError", "t1"]
    # Neither was answered before the other ran: either may be the one stored.
    assert sorted(answered[0::2]) == ["IntegrityError", "t0"]
    assert any(isinstance(o, IntegrityError) for o in outcomes[0::2])
    assert sorted(tag_names(engine)[before:]) == ["t0", "t1"]


@POSTGRES
def test_a_write_that_changes_what_an_earlier_answer_shows_waits_for_the_next_batch(engine):
    before = len(tag_names(engine))
    runs = conflicting_writes()
    outcomes, _ = _submitted(engine, runs)
    # The first answer counts its own tag and b's, not c's or d's.
    assert bodies(outcomes) == [str(before + 2), "b", "c", "d"]
    assert tag_names(engine)[before:] == ["a", "b", "c", "d"]


@POSTGRES
def test_writes_naming_one_conversation_never_share_a_batch(engine):
    """The second reply to a conversation would change what the first one's answer shows: it
    waits for the next batch instead of ending this one."""
    before = len(tag_names(engine))
    runs = [add_tag_shown("a", shows=7), add_tag("b"), add_tag_shown("c", shows=7), add_tag("d")]
    outcomes, transactions = _submitted(engine, runs, names=[(1, 7), (1, 8), (1, 7), None])
    assert bodies(outcomes) == [str(before + 3), "b", str(before + 4), "d"]
    assert transactions == 2
    assert tag_names(engine)[before:] == ["a", "b", "d", "c"]


@POSTGRES
def test_a_batch_gives_way_to_a_lock_held_elsewhere_and_the_write_waits_alone(engine):
    """A batch's write that meets a row another transaction holds does not keep its whole batch
    waiting: past the batch's lock timeout it runs alone, and waits there as long as it must."""
    with transaction(engine, write=True) as conn:
        conn.execute(insert(tags).values(workspace_id=1, name="held", name_folded="held", created_at=T0))

    def rename(conn: Connection) -> tuple[Response, frozenset[int]]:
        conn.execute(text("UPDATE tags SET name = 'renamed' WHERE workspace_id = 1 AND name_folded = 'held'"))
        return Response("renamed"), frozenset()

    async def main() -> tuple[list[Any], float]:
        loop = asyncio.get_running_loop()
        holder = engine.connect()
        holder.begin()
        holder.execute(text("SELECT 1 FROM tags WHERE workspace_id = 1 AND name_folded = 'held' FOR UPDATE"))
        await open_loop_engine(engine)
        try:
            queue = write_queue(engine, None)
            tasks = [asyncio.create_task(queue.submit(r)) for r in (add_tag("x"), rename, add_tag("y"))]
            started = loop.time()
            done, _ = await asyncio.wait(tasks, timeout=0.6)
            quick = [t for t in done if t in (tasks[0], tasks[2])]
            assert len(quick) == 2, "the writes beside the blocked one were not held up"
            await loop.run_in_executor(None, holder.rollback)  # the lock is let go
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            return list(outcomes), loop.time() - started
        finally:
            holder.close()
            await close_loop_engine(engine)

    outcomes, _ = asyncio.run(main())
    assert bodies(outcomes) == ["x", "renamed", "y"]
    assert "renamed" in tag_names(engine)


@POSTGRES
def test_what_a_batch_drew_is_kept_only_once_it_has_committed(engine):
    """Answers of a PostgreSQL batch are drawn before its COMMIT: what they leave for the render
    cache must wait for it, or a batch that fails to commit would leave documents of versions that
    were never stored (and whose numbers come back with other content)."""
    kept: list[tuple[int, ...]] = []

    def draw_all(store: Store, shows: list[int]) -> list[Response]:
        store.committed.append(lambda: kept.append(tuple(shows)))
        return [Response(f"together {s}") for s in shows]

    with transaction(engine, write=True) as conn:  # a check PostgreSQL makes at COMMIT
        conn.exec_driver_sql(
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'poison'; END $$"
        )
        conn.exec_driver_sql(
            "CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT ON tags DEFERRABLE INITIALLY DEFERRED "
            "FOR EACH ROW WHEN (NEW.name = 'poison') EXECUTE FUNCTION refuse_poison()"
        )
    try:
        poisoned = [add_tag_drawn_together("a", 1, draw_all), add_tag_drawn_together("b", 2, draw_all)]
        outcomes, _ = _submitted(engine, [*poisoned, add_tag("poison")])
        assert kept == []  # the batch never committed; then each ran alone, drawn alone
        assert bodies(outcomes) == ["alone 1", "alone 2", "ProgrammingError"]  # raised at its own COMMIT
        outcomes, _ = _submitted(
            engine, [add_tag_drawn_together("c", 3, draw_all), add_tag_drawn_together("d", 4, draw_all)]
        )
        assert bodies(outcomes) == ["together 3", "together 4"]
        assert kept == [(3, 4)]
    finally:
        with transaction(engine, write=True) as conn:
            conn.exec_driver_sql("DROP TRIGGER refuse_poison ON tags")
            conn.exec_driver_sql("DROP FUNCTION refuse_poison()")
