"""GET /conversations/{id} answered from the render cache by one statement (store/cached_reads.py): it must
answer exactly what the ordinary path would, whatever happened since the document was cached."""

from __future__ import annotations

import asyncio

import orjson
import psycopg
import pytest
from sqlalchemy import event, select
from starlette.testclient import TestClient

from inboxd.app import create_app
from inboxd.store import access_tokens
from inboxd.store.cached_reads import CachedReads
from inboxd.store.tables import conversations
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import token_digest
from tests import factories
from tests.conftest import ACME_TOKEN, GLOBEX_TOKEN, T0, Api

NOW = T0 + 3600


def _warm(api, conversation_id):
    """Two GETs: the first renders and caches, the second is served by the shortcut."""
    first = api.get(f"/conversations/{conversation_id}")
    second = api.get(f"/conversations/{conversation_id}")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    return second.json()


def test_a_write_is_seen_at_once(api):
    conversation = factories.conversation(api)
    _warm(api, conversation["id"])
    admin = api.get("/admins").json()["admins"][0]
    api.post(
        f"/conversations/{conversation['id']}/reply",
        json={"message_type": "comment", "type": "admin", "admin_id": admin["id"], "body": "On it"},
    )
    shown = api.get(f"/conversations/{conversation['id']}").json()
    assert [p["body"] for p in shown["conversation_parts"]["conversation_parts"]] == ["On it"]


def test_a_revoked_token_is_refused_even_for_a_cached_conversation(api, engine):
    conversation = factories.conversation(api)
    _warm(api, conversation["id"])
    with transaction(engine, write=True) as conn:
        assert access_tokens.revoke(conn, ACME_TOKEN, NOW) is not None
    refused = api.get(f"/conversations/{conversation['id']}", validate=False)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == "unauthorized"


def test_a_snooze_that_ran_out_wakes_through_a_warm_cache(api, clock):
    conversation = factories.conversation(api)
    admin = api.get("/admins").json()["admins"][0]
    api.post(
        f"/conversations/{conversation['id']}/parts",
        json={"message_type": "snoozed", "admin_id": admin["id"], "snoozed_until": NOW + 600},
    )
    assert _warm(api, conversation["id"])["state"] == "snoozed"
    clock.advance(601)
    woken = api.get(f"/conversations/{conversation['id']}").json()
    assert woken["state"] == "open"
    assert woken["conversation_parts"]["conversation_parts"][-1]["part_type"] == "timer_unsnooze"


def test_another_workspace_gets_not_found_for_a_cached_conversation(api, globex):
    conversation = factories.conversation(api)
    _warm(api, conversation["id"])
    missing = globex.get(f"/conversations/{conversation['id']}")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "not_found"


def test_plaintext_and_html_are_cached_apart(api):
    conversation = factories.conversation(api, body="<p>Hello <b>there</b></p>")
    html = _warm(api, conversation["id"])
    plain = api.get(f"/conversations/{conversation['id']}?display_as=plaintext").json()
    assert html["source"]["body"] == "<p>Hello <b>there</b></p>"
    assert plain["source"]["body"] == "Hello there"


def test_a_broken_kept_connection_falls_back_and_recovers(api, client):
    conversation = factories.conversation(api)
    expected = _warm(api, conversation["id"])
    hot = client.app.state.cached_reads
    broken = hot.kept()
    assert broken, "the warm-up kept a connection"
    for kept in broken:  # a dropped connection, a restarted database
        kept.pgconn.finish() if hasattr(kept, "pgconn") else kept.close()
    assert api.get(f"/conversations/{conversation['id']}").json() == expected
    assert api.get(f"/conversations/{conversation['id']}").json() == expected
    now = hot.kept()
    assert now and not set(map(id, now)) & set(map(id, broken)), "a new connection was kept after the broken ones"


def test_a_cached_conversation_costs_one_statement_outside_any_transaction(api, client, engine):
    """The point of the shortcut: no SQLAlchemy transaction at all for a cached document."""
    conversation = factories.conversation(api)
    api.get(f"/conversations/{conversation['id']}")  # renders and caches
    statements: list[str] = []

    def count(*args: object) -> None:
        if "conversations" in str(args[2]):  # the rate limiter's bookkeeping is not the read
            statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert api.get(f"/conversations/{conversation['id']}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []


def _walk(api, per_page):
    pages, cursor = [], None
    while True:
        query = f"?per_page={per_page}" + (f"&starting_after={cursor}" if cursor else "")
        response = api.get("/conversations" + query)
        assert response.status_code == 200
        pages.append(response.content)
        cursor = response.json()["pages"].get("next", {}).get("starting_after")
        if not cursor:
            return pages


def test_the_list_from_cached_items_is_byte_for_byte_the_rendered_list(api, client, engine, clock):
    for _ in range(5):
        factories.conversation(api)
        clock.advance(1)
    rendered = _walk(api, 2)  # renders every page, caching the items
    statements: list[str] = []

    def count(*args: object) -> None:
        if "conversations" in str(args[2]):  # the rate limiter's bookkeeping is not the read
            statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        cached = _walk(api, 2)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []  # every page came from the shortcut
    assert len(cached) == 3
    assert cached == rendered
    assert _walk(api, 2) == rendered  # now whole pages from the cache


def test_the_list_sees_a_write_and_a_new_conversation_at_once(api, clock):
    first = factories.conversation(api)
    _walk(api, 20)
    _walk(api, 20)
    clock.advance(5)
    api.put(f"/conversations/{first['id']}", json={"title": "Renamed"})
    second = factories.conversation(api)
    listed = api.get("/conversations").json()
    assert listed["total_count"] == 2
    assert [c["id"] for c in listed["conversations"]] == [second["id"], first["id"]]
    assert listed["conversations"][1]["title"] == "Renamed"


def test_a_bad_cursor_or_page_size_still_gets_its_error(api):
    factories.conversation(api)
    _walk(api, 20)
    assert api.get("/conversations?per_page=0").status_code == 400
    bad = api.get("/conversations?starting_after=nonsense")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == "parameter_invalid"


# -- reads never write (api/render_cache.py: documents are kept in memory only) ---------------------


def _writes_during(engine, work):
    """The statements that change the database, of those ``work`` sends through the engine."""
    written: list[str] = []

    def watch(*args: object) -> None:
        statement = str(args[2]).lstrip().upper()
        if not statement.startswith(("SELECT", "WITH", "PRAGMA", "SET", "SHOW")):
            written.append(statement.split("\n")[0])

    event.listen(engine, "before_cursor_execute", watch)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    return written


def test_reads_cold_or_cached_write_nothing(engine, clock):
    # No rate limiter: its counts are written to the database, apart from the reads.
    with TestClient(create_app(engine, clock, rate_limit=0)) as client:
        api = Api(client, ACME_TOKEN)
        conversation = factories.conversation(api)
        path = f"/conversations/{conversation['id']}"
        search = {"query": {"field": "open", "operator": "=", "value": True}}

        def read() -> None:
            for _ in range(2):  # drawn, then from the render cache
                assert api.get(path).status_code == 200
                assert api.get(f"{path}?display_as=plaintext").status_code == 200
                assert api.get("/conversations").status_code == 200
                assert api.post("/conversations/search", json=search).status_code == 200
                assert api.get("/contacts").status_code == 200

        client.app.state.render_cache._entries.clear()  # the factory's own GET drew it
        assert _writes_during(engine, read) == []


def test_another_process_draws_for_itself_and_shows_the_same_document(api, engine, clock):
    conversation = factories.conversation(api)
    shown = api.get(f"/conversations/{conversation['id']}")
    with TestClient(create_app(engine, clock)) as other:
        again = Api(other, ACME_TOKEN).get(f"/conversations/{conversation['id']}")
    assert again.content == shown.content


def test_redacted_text_is_never_served_again_by_a_process_that_kept_it(api, engine, clock):
    conversation = factories.conversation(api, body="my password is hunter2")
    path = f"/conversations/{conversation['id']}"
    with TestClient(create_app(engine, clock)) as other:
        elsewhere = Api(other, ACME_TOKEN)
        assert "hunter2" in elsewhere.get(path).text and "hunter2" in elsewhere.get(path).text
        api.post(
            "/conversations/redact",
            json={"type": "source", "conversation_id": conversation["id"], "source_id": conversation["source"]["id"]},
        )
        assert "hunter2" not in elsewhere.get(path).text
    assert "hunter2" not in api.get(path).text


def test_a_renamed_tag_shows_in_a_process_that_kept_the_old_name(api, engine, clock):
    conversation = factories.conversation(api)
    admin = api.get("/admins").json()["admins"][0]
    tag = api.post("/tags", json={"name": "billing"}).json()
    api.post(f"/conversations/{conversation['id']}/tags", json={"id": tag["id"], "admin_id": admin["id"]})
    path = f"/conversations/{conversation['id']}"
    with TestClient(create_app(engine, clock)) as other:
        elsewhere = Api(other, ACME_TOKEN)
        assert [t["name"] for t in elsewhere.get(path).json()["tags"]["tags"]] == ["billing"]
        api.post("/tags", json={"id": tag["id"], "name": "invoices"})
        assert [t["name"] for t in elsewhere.get(path).json()["tags"]["tags"]] == ["invoices"]


def test_a_remembered_list_page_refuses_a_revoked_token(api, engine):
    factories.conversation(api)
    _walk(api, 20)
    _walk(api, 20)  # the page's facts are remembered now (store/cached_reads.py, data_version)
    with transaction(engine, write=True) as conn:
        assert access_tokens.revoke(conn, ACME_TOKEN, NOW) is not None
    refused = api.get("/conversations", validate=False)
    assert refused.status_code == 401


def test_a_remembered_list_page_sees_a_snooze_run_out_with_nothing_written(engine, clock):
    # No rate limiter: its counts are written to the database, and nothing must be written here.
    with TestClient(create_app(engine, clock, rate_limit=0)) as client:
        _snooze_runs_out(Api(client, ACME_TOKEN), clock)


def _snooze_runs_out(api, clock):
    conversation = factories.conversation(api)
    admin = api.get("/admins").json()["admins"][0]
    api.post(
        f"/conversations/{conversation['id']}/parts",
        json={"message_type": "snoozed", "admin_id": admin["id"], "snoozed_until": NOW + 600},
    )
    assert _states(api) == _states(api) == ["snoozed"]  # the second from remembered facts
    clock.advance(601)  # no request writes anything meanwhile
    assert _states(api) == ["open"]


def _states(api):
    return [c["state"] for page in _walk(api, 20) for c in orjson.loads(page)["conversations"]]


def test_more_concurrent_reads_than_kept_connections_all_answer(api, engine):
    """The shortcut's connections are bounded (PostgreSQL: per event loop): a read that finds them
    all busy waits for one instead of failing or opening more."""
    conversation = factories.conversation(api)
    _warm(api, conversation["id"])
    with transaction(engine, write=False) as conn:
        row = conn.execute(select(conversations.c.workspace_id, conversations.c.version)).one()
    hot = CachedReads(engine, connections=1)

    async def many() -> list[object]:
        calls = [
            hot.conversation_version(token_digest(ACME_TOKEN), row.workspace_id, int(conversation["id"]), NOW)
            for _ in range(6)
        ]
        found = list(await asyncio.gather(*calls))
        assert len(hot.kept()) == 1
        return found

    try:
        found = asyncio.run(many())
    finally:
        hot.close()
    assert found == [row.version] * 6


# -- PostgreSQL: the requests that arrive together share one statement (store/read_groups.py) -------


def _sent_statements(monkeypatch):
    """The parameters of every statement sent on a kept async connection, as they are sent."""
    sent: list[tuple[object, ...]] = []
    execute = psycopg.AsyncConnection.execute

    async def spied(conn, query, params=None, **kwargs):
        sent.append(tuple(params or ()))
        return await execute(conn, query, params, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "execute", spied)
    return sent


def _workspace_ids(engine):
    with transaction(engine, write=False) as conn:
        return dict(conn.exec_driver_sql("SELECT name, id FROM workspaces").all())


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_concurrent_reads_share_one_statement_and_each_gets_its_own_answer(api, globex, engine, monkeypatch):
    acme = factories.conversation(api)
    other = factories.conversation(globex)
    ids = _workspace_ids(engine)
    with transaction(engine, write=False) as conn:
        versions = dict(conn.exec_driver_sql("SELECT id, version FROM conversations").all())
    acme_id, other_id = int(acme["id"]), int(other["id"])
    ours, theirs = token_digest(ACME_TOKEN), token_digest(GLOBEX_TOKEN)
    hot = CachedReads(engine, connections=1)
    sent = _sent_statements(monkeypatch)
    asked = [
        (ours, ids["Acme"], acme_id),  # the plain case
        (theirs, ids["Globex"], other_id),  # another workspace's, in the same statement
        (theirs, ids["Acme"], acme_id),  # a token of another workspace
        (token_digest("no-such-token"), ids["Acme"], acme_id),
        (ours, ids["Acme"], 999_999),  # no such conversation
        (ours, ids["Acme"], other_id),  # another workspace's conversation
        (ours, ids["Acme"], acme_id),
    ]

    async def together() -> list[int | None]:
        return list(await asyncio.gather(*(hot.conversation_version(d, w, c, NOW) for d, w, c in asked)))

    try:
        found = asyncio.run(together())
    finally:
        hot.close()
    assert found == [versions[acme_id], versions[other_id], None, None, None, None, versions[acme_id]]
    assert len(sent) == 1, "one statement for the seven"


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_grouped_list_pages_are_the_pages_read_alone(api, globex, engine, clock, monkeypatch):
    for _ in range(5):
        factories.conversation(api)
        clock.advance(1)
    factories.conversation(globex)
    ids = _workspace_ids(engine)
    ours, theirs = token_digest(ACME_TOKEN), token_digest(GLOBEX_TOKEN)
    hot = CachedReads(engine, connections=1)
    first = asyncio.run(hot.conversation_page(ours, ids["Acme"], NOW, 3, None))
    assert first is not None and first[0] == 5 and len(first[1]) == 3
    last = first[1][-1]
    asked = [
        (ours, ids["Acme"], NOW, 3, None),
        (ours, ids["Acme"], NOW, 3, (last[2], last[0])),  # the next page
        (theirs, ids["Globex"], NOW, 20, None),
        (theirs, ids["Acme"], NOW, 20, None),  # a token of another workspace
        (ours, ids["Acme"], NOW, 3, (0, 0)),  # after the last: an empty page
    ]

    async def alone() -> list[object]:
        return [await hot.conversation_page(*a) for a in asked]

    async def together() -> list[object]:
        return list(await asyncio.gather(*(hot.conversation_page(*a) for a in asked)))

    sent = _sent_statements(monkeypatch)
    try:
        one_by_one = asyncio.run(alone())
        statements = len(sent)
        grouped = asyncio.run(together())
    finally:
        hot.close()
    assert statements == len(asked) and len(sent) == statements + 1
    assert grouped == one_by_one
    acme_page, next_page, globex_page, refused, empty = grouped
    assert acme_page == first
    assert next_page is not None and [r[0] for r in next_page[1]] == [
        r[0] for r in sorted(_all_rows(engine, ids["Acme"]), key=lambda r: (r[2], r[0]), reverse=True)[3:6]
    ]
    assert globex_page is not None and globex_page[0] == 1
    assert refused is None and empty is None


def _all_rows(engine, workspace_id):
    with transaction(engine, write=False) as conn:
        return conn.exec_driver_sql(
            "SELECT id, version, updated_at FROM conversations WHERE workspace_id = %s", (workspace_id,)
        ).all()


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_read_never_joins_a_statement_already_sent(api, engine, monkeypatch):
    """A request that arrives while a statement is in flight waits for the next one: its answer
    must reflect every commit that finished before it arrived."""
    conversation = factories.conversation(api)
    ws = _workspace_ids(engine)["Acme"]
    hot = CachedReads(engine, connections=1)
    sizes: list[int] = []
    in_flight, release = asyncio.Event(), asyncio.Event()
    execute = psycopg.AsyncConnection.execute

    async def held(conn, query, params=None, **kwargs):
        sizes.append(len(params[0]))
        if len(sizes) == 1:
            in_flight.set()
            await release.wait()
        return await execute(conn, query, params, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "execute", held)

    async def read() -> int | None:
        return await hot.conversation_version(token_digest(ACME_TOKEN), ws, int(conversation["id"]), NOW)

    async def scenario() -> list[int | None]:
        first = asyncio.ensure_future(read())
        await in_flight.wait()
        later = [asyncio.ensure_future(read()) for _ in range(3)]
        await asyncio.sleep(0.05)
        release.set()
        return [await first, *[await r for r in later]]

    try:
        found = asyncio.run(scenario())
    finally:
        hot.close()
    assert sizes == [1, 3]
    assert None not in found and len(set(found)) == 1


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_read_whose_client_went_away_leaves_the_others_answered(api, engine):
    conversation = factories.conversation(api)
    ws = _workspace_ids(engine)["Acme"]
    hot = CachedReads(engine, connections=1)

    async def read() -> int | None:
        return await hot.conversation_version(token_digest(ACME_TOKEN), ws, int(conversation["id"]), NOW)

    async def scenario() -> list[int | None]:
        reads = [asyncio.ensure_future(read()) for _ in range(4)]
        await asyncio.sleep(0)
        reads[1].cancel()
        answered = await asyncio.gather(*reads, return_exceptions=True)
        assert isinstance(answered[1], asyncio.CancelledError)
        return [a for i, a in enumerate(answered) if i != 1]  # type: ignore[misc]

    try:
        found = asyncio.run(scenario())
    finally:
        hot.close()
    assert None not in found and len(set(found)) == 1


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)  # SQLite's statements cost no round trip
def test_a_cold_get_on_postgresql_is_two_statements_outside_any_transaction(engine, clock, monkeypatch):
    """The token's check, then the conversation with all it shows in one statement (store/
    conversation_statements.py SHOWN_IN_FULL), in autocommit: nothing to begin or commit. Seen
    at the driver, where the store's prepared statements run (store/prepared.py)."""
    with TestClient(create_app(engine, clock, rate_limit=0)) as client:
        api = Api(client, ACME_TOKEN)
        conversation = factories.conversation(api)
        expected = api.get(f"/conversations/{conversation['id']}").content
        client.app.state.render_cache._entries.clear()  # another worker, that never drew it
        sent: list[tuple[str, bool]] = []
        execute = psycopg.AsyncCursor.execute  # a request's statements run on the loop (store/loop_work.py)

        async def spied(cursor, query, *args, **kwargs):
            sent.append((" ".join(str(query).split()[:2]), cursor.connection.autocommit))
            return await execute(cursor, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.AsyncCursor, "execute", spied)
        assert api.get(f"/conversations/{conversation['id']}").content == expected
        monkeypatch.undo()
        assert sent == [("SELECT access_tokens.workspace_id", True), ("SELECT (SELECT", True)]
