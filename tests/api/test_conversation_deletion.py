"""`DELETE /conversations/{id}` (2.13 on): the conversation and everything it owns are gone, on
both databases, and every way of reading it (GET, cached or not, from any worker; the list;
search; its files' URLs) no longer finds it. Before 2.13 the path answers as it always did."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from inboxd.app import create_app
from inboxd.config import WorkspaceFile
from inboxd.store.tables import conversation_days, messages, metadata, token_stats, workspaces
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import apply_workspace_file
from tests import factories
from tests.conftest import ACME_TOKEN, T0, WORKSPACES, Api

DELETING = ("2.13", "2.14", "2.15", "2.16", "Preview")
BEFORE = ("1.0", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _admin(api: Api) -> str:
    return str(api.get("/me").json()["id"])


def _busy(api: Api, body: str) -> dict[str, Any]:
    """A conversation with a reply carrying a stored file, a note, a tag, a second contact, a
    teammate assigned, and its ticket; what it shows, and its file's URL."""
    admin = _admin(api)
    conversation = factories.conversation(api, body=f"<p>{body}</p>")
    cid = conversation["id"]
    files = [{"name": "pixel.png", "content_type": "image/png", "data": base64.b64encode(PNG).decode()}]
    reply = {"type": "admin", "admin_id": admin, "message_type": "comment", "body": "hi", "attachment_files": files}
    replied = api.post(f"/conversations/{cid}/reply", json=reply)
    assert replied.status_code == 200, replied.text
    [attachment] = replied.json()["conversation_parts"]["conversation_parts"][-1]["attachments"]
    note = {"type": "admin", "admin_id": admin, "message_type": "note", "body": "internal"}
    assert api.post(f"/conversations/{cid}/reply", json=note).status_code == 200
    tag = api.post("/tags", json={"name": "vip"}).json()
    assert api.post(f"/conversations/{cid}/tags", json={"id": tag["id"], "admin_id": admin}).status_code == 200
    customer = {"admin_id": admin, "customer": {"email": f"second-{cid}@example.test"}}
    assert api.post(f"/conversations/{cid}/customers", json=customer).status_code == 200
    assign = {"admin_id": admin, "message_type": "assignment", "type": "admin", "assignee_id": admin}
    assert api.post(f"/conversations/{cid}/parts", json=assign).status_code == 200
    ticket_type = factories.ticket_type(api, category="Customer")
    ticket = api.post(f"/conversations/{cid}/convert", json={"ticket_type_id": ticket_type["id"]})
    assert ticket.status_code == 200, ticket.text
    shown = api.get(f"/conversations/{cid}").json()
    return {"id": cid, "shown": shown, "file": attachment["url"], "ticket": ticket.json()["id"]}


def _search(api: Api, query: dict[str, Any]) -> dict[str, Any]:
    found = api.at("2.13").post("/conversations/search", json={"query": query})
    assert found.status_code == 200, found.text
    return dict(found.json())


def _ids(page: dict[str, Any]) -> list[str]:
    return [c["id"] for c in page["conversations"]]


def _not_found(response: Any) -> None:
    assert response.status_code == 404, response.text
    assert response.json()["errors"][0]["code"] == "not_found"


def _rows_naming(engine: Any, conversation_id: int) -> dict[str, int]:
    """Rows of every table with a conversation_id (and the conversations row itself) that name it."""
    found = {}
    with transaction(engine, write=False) as conn:
        for table in metadata.sorted_tables:
            column = table.c.get("conversation_id")
            if table.name == "conversations":
                column = table.c.id
            if column is not None:
                count = conn.execute(select(func.count()).select_from(table).where(column == conversation_id))
                found[table.name] = int(count.scalar_one())
    return found


@pytest.mark.parametrize("version", DELETING)
def test_the_answer_is_the_versions_conversation_deleted_and_the_conversation_is_gone(api, version):
    asked = api.at(version)  # the answer is validated against `version`'s description
    cid = factories.conversation(api)["id"]

    deleted = asked.delete(f"/conversations/{cid}")

    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"id": cid, "object": "conversation", "deleted": True}
    _not_found(asked.get(f"/conversations/{cid}"))
    _not_found(asked.delete(f"/conversations/{cid}"))  # deleting twice


def test_everything_the_conversation_owns_is_gone_and_nothing_else(api, engine, client):
    kept, gone = _busy(api, "keepsake apple"), _busy(api, "doomed apple")
    cid = int(gone["id"])
    with transaction(engine, write=False) as conn:
        source = conn.execute(select(messages.c.id).where(messages.c.conversation_id == cid)).scalar_one()
    for _ in range(2):  # the second read is answered from the render cache
        assert api.get(f"/conversations/{cid}").status_code == 200
    assert client.get(gone["file"]).status_code == 200
    listed = api.get("/conversations").json()
    word = {"field": "source.body", "operator": "~", "value": "apple"}
    today = {"field": "created_at", "operator": ">", "value": 0}
    assert (_search(api, word)["total_count"], _search(api, today)["total_count"]) == (2, 2)

    assert api.at("2.13").delete(f"/conversations/{gone['id']}").status_code == 200

    assert set(_rows_naming(engine, cid).values()) == {0}
    with transaction(engine, write=False) as conn:
        assert conn.execute(select(messages).where(messages.c.id == source)).first() is None
        stats = {row.token: row.documents for row in conn.execute(select(token_stats.c.token, token_stats.c.documents))}
        days = conn.execute(select(func.sum(conversation_days.c.conversations))).scalar_one()
        count = conn.execute(select(func.sum(workspaces.c.conversation_count))).scalar_one()
    assert (stats["apple"], stats["keepsake"], stats.get("doomed", 0)) == (1, 1, 0)
    assert days == count == 1
    for path in (f"/conversations/{cid}", f"/conversations/{cid}?display_as=plaintext"):
        _not_found(api.get(path))
        _not_found(api.at("2.16").get(path))
    assert api.get(f"/tickets/{gone['ticket']}").status_code == 404
    assert client.get(gone["file"]).status_code == 404
    reply = {"type": "admin", "admin_id": _admin(api), "message_type": "comment", "body": "late"}
    _not_found(api.post(f"/conversations/{cid}/reply", json=reply))
    after = api.get("/conversations").json()
    assert [c["id"] for c in after["conversations"]] == [kept["id"]]
    assert after["total_count"] == listed["total_count"] - 1 == 1
    assert (_ids(_search(api, word)), _search(api, word)["total_count"]) == ([kept["id"]], 1)
    assert (_ids(_search(api, today)), _search(api, today)["total_count"]) == ([kept["id"]], 1)
    assert _ids(_search(api, {"field": "id", "operator": "=", "value": gone["id"]})) == []
    # The other conversation is as it was: its document, its ticket, its file.
    assert api.get(f"/conversations/{kept['id']}").json() == kept["shown"]
    assert api.get(f"/tickets/{kept['ticket']}").status_code == 200
    assert client.get(kept["file"]).status_code == 200


def test_another_worker_with_the_document_cached_answers_404(engine, clock):
    """Two processes' worth of caches on one database: the one that did not delete had the
    document in its render cache."""
    with (
        TestClient(create_app(engine, clock)) as reader_client,
        TestClient(create_app(engine, clock)) as deleter_client,
    ):
        reader, deleter = Api(reader_client, ACME_TOKEN), Api(deleter_client, ACME_TOKEN, "2.13")
        cid = factories.conversation(reader)["id"]
        for _ in range(2):
            assert reader.get(f"/conversations/{cid}").status_code == 200
            assert reader.get("/conversations").json()["total_count"] == 1

        assert deleter.delete(f"/conversations/{cid}").status_code == 200

        _not_found(reader.get(f"/conversations/{cid}"))
        assert reader.get("/conversations").json()["conversations"] == []


def test_a_deleted_id_is_never_given_again(api):
    """Not to a client, and not to a cache keyed by id and version: the newest conversation's id
    is the one a database numbering rows max(id) + 1 would give again."""
    first, newest = factories.conversation(api)["id"], factories.conversation(api, body="<p>secret</p>")["id"]
    assert api.at("2.13").delete(f"/conversations/{newest}").status_code == 200

    created = factories.conversation(api, body="<p>fresh</p>")

    assert int(created["id"]) > int(newest) > int(first)
    assert created["source"]["body"] == "<p>fresh</p>"
    _not_found(api.get(f"/conversations/{newest}"))


@pytest.mark.parametrize("version", BEFORE)
def test_before_2_13_the_path_answers_as_it_always_did(api, version):
    cid = factories.conversation(api)["id"]
    path = f"/conversations/{cid}"

    refused = api.at(version).delete(path, validate=False)

    assert refused.status_code == 405, refused.text
    assert refused.headers["allow"] == "GET, HEAD, PUT"
    assert refused.json()["errors"] == [{"code": "method_not_allowed", "message": f"DELETE is not allowed on {path}"}]
    assert api.get(path).status_code == 200


def test_the_allow_header_names_delete_from_2_13(api):
    cid = factories.conversation(api)["id"]
    path = f"/conversations/{cid}"
    assert api.delete(path, validate=False).headers["allow"] == "GET, HEAD, PUT"  # the workspace's 2.10
    assert api.at("2.12").request("PATCH", path, validate=False).headers["allow"] == "GET, HEAD, PUT"
    assert api.at("2.13").request("PATCH", path, validate=False).headers["allow"] == "DELETE, GET, HEAD, PUT"


def test_another_workspaces_conversation_is_not_found(api, globex):
    cid = factories.conversation(api)["id"]
    _not_found(globex.at("2.13").delete(f"/conversations/{cid}"))
    assert api.get(f"/conversations/{cid}").status_code == 200


def test_a_deleted_snooze_is_never_woken(api, clock):
    heard: list[Any] = []
    api.client.app.state.on_events = heard.extend
    cid = factories.conversation(api)["id"]
    snooze = {"admin_id": _admin(api), "message_type": "snoozed", "snoozed_until": clock.now() + 60}
    assert api.post(f"/conversations/{cid}/parts", json=snooze).status_code == 200
    assert api.at("2.13").delete(f"/conversations/{cid}").status_code == 200
    heard.clear()

    clock.advance(3600)  # the sweep runs before advance returns

    assert heard == []
    _not_found(api.get(f"/conversations/{cid}"))


def test_2_16s_retain_metrics_deletes_all_the_same(api):
    for retain in ("true", "false"):
        cid = factories.conversation(api)["id"]
        assert api.at("2.16").delete(f"/conversations/{cid}?retain_metrics={retain}").status_code == 200
        _not_found(api.get(f"/conversations/{cid}"))


def test_an_unknown_or_malformed_id_is_not_found(api):
    _not_found(api.at("2.13").delete("/conversations/999999"))
    _not_found(api.at("2.13").delete("/conversations/abc"))


def test_without_a_token_it_is_unauthorized_in_every_version(anonymous):
    """The token comes first: without it the version (the workspace's default when no header
    names one) is not known, so not whether the operation is served either."""
    for version in (None, "2.12", "2.13"):
        refused = anonymous.at(version).delete("/conversations/1", validate=version == "2.13")
        assert refused.status_code == 401 and refused.json()["errors"][0]["code"] == "unauthorized"


def test_a_workspace_whose_default_is_2_13_deletes_without_the_header(engine, clock):
    chosen = WORKSPACES.model_copy(deep=True)
    chosen.workspaces[0].default_version = "2.13"
    with transaction(engine, write=True) as conn:
        apply_workspace_file(conn, WorkspaceFile.model_validate(chosen.model_dump()), T0)
    with TestClient(create_app(engine, clock)) as client:
        api = Api(client, ACME_TOKEN, version=None)
        cid = factories.conversation(api.at("2.13"))["id"]
        deleted = client.delete(f"/conversations/{cid}", headers={"Authorization": f"Bearer {ACME_TOKEN}"})
        assert deleted.status_code == 200, deleted.text
        _not_found(api.at("2.13").get(f"/conversations/{cid}"))
