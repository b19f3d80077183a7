"""GET /conversations/{id} answered from the render cache by one statement (store/cached_reads.py): it must
answer exactly what the ordinary path would, whatever happened since the document was cached."""

from __future__ import annotations

import asyncio

import orjson
from sqlalchemy import event, select
from starlette.testclient import TestClient

from inboxd.app import create_app
from inboxd.store import access_tokens, documents
from inboxd.store.cached_reads import CachedReads
from inboxd.store.tables import conversation_documents, conversations
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import token_digest
from tests import factories
from tests.conftest import ACME_TOKEN, T0, Api

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
    client.app.state.document_writer.flush()  # its own statements are not the read's
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
    client.app.state.document_writer.flush()
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


# -- documents kept in the database (store/documents.py) --------------------------------------------


def _stored(engine, conversation_id):
    with transaction(engine, write=False) as conn:
        return conn.execute(
            select(conversation_documents.c.version, conversation_documents.c.document).where(
                conversation_documents.c.conversation_id == int(conversation_id)
            )
        ).first()


def test_a_rendered_conversation_is_kept_for_every_worker_and_restart(api, client, engine, clock):
    conversation = factories.conversation(api)
    shown = api.get(f"/conversations/{conversation['id']}")
    client.app.state.document_writer.flush()
    assert _stored(engine, conversation["id"]).document == shown.content
    # Another process (a fresh app: nothing in its memory) answers from the database alone.
    with TestClient(create_app(engine, clock)) as other:
        statements: list[str] = []

        def count(*args: object) -> None:
            if "conversations" in str(args[2]):
                statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            again = Api(other, ACME_TOKEN).get(f"/conversations/{conversation['id']}")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert again.content == shown.content
        assert statements == []


def test_a_write_makes_the_kept_document_stale_and_the_next_view_replaces_it(api, client, engine):
    conversation = factories.conversation(api)
    api.get(f"/conversations/{conversation['id']}")
    client.app.state.document_writer.flush()
    before = _stored(engine, conversation["id"])
    assert before is not None
    api.put(f"/conversations/{conversation['id']}", json={"title": "Changed"})
    client.app.state.render_cache._entries.clear()  # another worker: only the database to go by
    assert api.get(f"/conversations/{conversation['id']}").json()["title"] == "Changed"
    client.app.state.document_writer.flush()
    after = _stored(engine, conversation["id"])
    assert after.version > before.version
    assert b"Changed" in after.document
    assert api.get(f"/conversations/{conversation['id']}").json()["title"] == "Changed"


def test_redacted_text_does_not_survive_in_a_kept_document(api, client, engine):
    conversation = factories.conversation(api, body="my password is hunter2")
    api.get(f"/conversations/{conversation['id']}")
    client.app.state.document_writer.flush()
    assert b"hunter2" in _stored(engine, conversation["id"]).document
    api.post(
        "/conversations/redact",
        json={"type": "source", "conversation_id": conversation["id"], "source_id": conversation["source"]["id"]},
    )
    # Deleted in the redaction's own transaction; the redaction's answer may be stored in its place.
    client.app.state.document_writer.flush()
    stored = _stored(engine, conversation["id"])
    assert stored is None or b"hunter2" not in stored.document
    assert "hunter2" not in api.get(f"/conversations/{conversation['id']}").text


def test_a_redacted_part_does_not_survive_in_a_kept_document(api, client, engine, clock):
    conversation = factories.conversation(api)
    admin = api.get("/admins").json()["admins"][0]
    replied = api.post(
        f"/conversations/{conversation['id']}/reply",
        json={"message_type": "note", "type": "admin", "admin_id": admin["id"], "body": "the code is 4711"},
    ).json()
    part = replied["conversation_parts"]["conversation_parts"][-1]
    # The reply's own answer stays in this process; another worker renders the conversation and
    # stores it for every worker.
    with TestClient(create_app(engine, clock)) as other:
        Api(other, ACME_TOKEN).get(f"/conversations/{conversation['id']}")
        other.app.state.document_writer.flush()
    assert b"4711" in _stored(engine, conversation["id"]).document
    api.post(
        "/conversations/redact",
        json={"type": "conversation_part", "conversation_id": conversation["id"], "conversation_part_id": part["id"]},
    )
    client.app.state.document_writer.flush()
    stored = _stored(engine, conversation["id"])
    assert stored is None or b"4711" not in stored.document
    assert "4711" not in api.get(f"/conversations/{conversation['id']}").text


def test_renaming_a_tag_drops_the_documents_that_show_it(api, client, engine):
    conversation = factories.conversation(api)
    admin = api.get("/admins").json()["admins"][0]
    tag = api.post("/tags", json={"name": "billing"}).json()
    api.post(f"/conversations/{conversation['id']}/tags", json={"id": tag["id"], "admin_id": admin["id"]})
    api.get(f"/conversations/{conversation['id']}")
    client.app.state.document_writer.flush()
    assert _stored(engine, conversation["id"]) is not None
    api.post("/tags", json={"id": tag["id"], "name": "invoices"})
    assert _stored(engine, conversation["id"]) is None
    shown = api.get(f"/conversations/{conversation['id']}").json()
    assert [t["name"] for t in shown["tags"]["tags"]] == ["invoices"]


def test_an_offer_for_an_older_version_is_not_kept(api, client, engine):
    conversation = factories.conversation(api)
    # The factory's GET offered the real document: written first, so it cannot land after ours.
    client.app.state.document_writer.flush()
    with transaction(engine, write=False) as conn:
        row = conn.execute(
            select(conversations.c.workspace_id, conversations.c.version).where(
                conversations.c.id == int(conversation["id"])
            )
        ).one()
    stale = documents.Offer(row.workspace_id, int(conversation["id"]), "2.10", row.version - 1, b"{}")
    assert documents.save(engine, [stale]) == 0
    fresh = documents.Offer(row.workspace_id, int(conversation["id"]), "2.10", row.version, b"{}")
    assert documents.save(engine, [fresh]) == 1
    assert _stored(engine, conversation["id"]).document == b"{}"


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
            hot.conversation_version(token_digest(ACME_TOKEN), row.workspace_id, int(conversation["id"]), "2.10", NOW)
            for _ in range(6)
        ]
        return list(await asyncio.gather(*calls))

    try:
        found = asyncio.run(many())
        assert len(hot.kept()) == 1
    finally:
        hot.close()
    assert [f[0] for f in found if f is not None] == [row.version] * 6
