"""PostgreSQL reads and writes on the event loop (store/loop_work.py): a request's transaction
gives the loop away while PostgreSQL works, so the loop's other requests go on meanwhile, and all
of them together keep to the loop's own connections."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, func, select, text

from inboxd.store.cached_reads import CachedReads
from inboxd.store.engine import make_engine, pooled
from inboxd.store.loop_work import LOOP_CONNECTIONS, close_loop_engine, loop_engine, open_loop_engine
from inboxd.store.scope import Store
from inboxd.store.tables import tags
from inboxd.store.transactions import transaction
from inboxd.store.unit_of_work import costly_read, ordinary_read, write

POSTGRES = pytest.mark.parametrize("engine", ["postgres"], indirect=True)


@POSTGRES
def test_reads_overlap_on_the_loop_within_its_connections(engine: Engine) -> None:
    running = 0
    most = 0

    def slow_read(store: Store) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            store.conn.execute(text("SELECT pg_sleep(0.02)")).all()
        finally:
            running -= 1

    async def burst() -> int:
        await open_loop_engine(engine)  # as the app's start does
        try:
            await asyncio.gather(*(ordinary_read(engine, 1, slow_read) for _ in range(4 * LOOP_CONNECTIONS)))
            return int(loop_engine(engine).pool.checkedin())  # type: ignore[attr-defined]
        finally:
            await close_loop_engine(engine)

    opened = asyncio.run(burst())
    assert most > 1  # the reads overlapped: each gave the loop away while PostgreSQL slept
    assert most <= opened <= LOOP_CONNECTIONS  # on the loop's own connections, no more than it keeps


@POSTGRES
def test_a_write_that_fails_on_the_loop_leaves_nothing(engine: Engine) -> None:
    def tag_then_fail(store: Store) -> None:
        store.conn.execute(tags.insert().values(workspace_id=1, name="half", name_folded="half", created_at=0))
        raise ValueError("the write's own error")

    async def attempt() -> None:
        try:
            await write(engine, 1, tag_then_fail)
        finally:
            await close_loop_engine(engine)

    with pytest.raises(ValueError, match="the write's own error"):
        asyncio.run(attempt())
    with transaction(engine, write=False) as conn:
        assert conn.execute(select(func.count()).select_from(tags).where(tags.c.name == "half")).scalar() == 0


@POSTGRES
def test_requests_plan_once_and_searches_per_value(engine: Engine) -> None:
    """A request's prepared statements keep one generic plan (their shapes are fixed); a search,
    whose best plan depends on the values it asks for, keeps PostgreSQL's default. Behind a
    transaction pooler no statement is prepared, and nothing is set."""

    def planning(store: Store) -> str:
        return str(store.conn.execute(text("SHOW plan_cache_mode")).scalar())

    async def both() -> tuple[str, str]:
        await open_loop_engine(engine)
        try:
            return await ordinary_read(engine, 1, planning), await costly_read(engine, 1, planning, None)
        finally:
            await close_loop_engine(engine)

    request, search = asyncio.run(both())
    assert (request, search) == (("auto" if pooled(engine) else "force_generic_plan"), "auto")


@POSTGRES
def test_the_urls_own_startup_options_are_kept_beside_inboxds(engine: Engine) -> None:
    """A database URL may carry libpq's startup options (`?options=-c statement_timeout=…`):
    every connection inboxd opens keeps them, with its own settings added, not in their place."""
    if pooled(engine):
        pytest.skip("behind a transaction pooler inboxd sets no startup options (PgBouncer refuses them)")
    url = engine.url.update_query_dict({"options": "-c statement_timeout=4321"})
    own = make_engine(url.render_as_string(hide_password=False))
    settings = "SELECT current_setting('statement_timeout'), current_setting('jit'), current_setting('plan_cache_mode')"

    def shown(store: Store) -> tuple[str, ...]:
        return tuple(store.conn.execute(text(settings)).one())

    async def everywhere() -> list[tuple[str, ...]]:
        await open_loop_engine(own)
        hot = CachedReads(own, connections=1)
        try:
            request = await ordinary_read(own, 1, shown)
            search = await costly_read(own, 1, shown, None)
            (cached,) = await hot._grouped(f"SELECT 1, s.* FROM ({settings}) s, unnest(%s::int[])", (1,)) or [()]
            return [request, search, cached]
        finally:
            hot.close()
            await close_loop_engine(own)

    try:
        request, search, cached = asyncio.run(everywhere())
    finally:
        own.dispose()
    assert request == ("4321ms", "off", "force_generic_plan")
    assert search == ("4321ms", "off", "auto")
    assert cached == ("4321ms", "on", "force_generic_plan")
