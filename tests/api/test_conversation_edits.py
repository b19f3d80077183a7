"""Tags, participants and redaction on a conversation, on both engines."""

from __future__ import annotations

import base64

import pytest

from tests import factories
from tests.conftest import T0

NOW = T0 + 3600
PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def ada(api):
    return api.get("/admins").json()["admins"][0]


# -- tags -------------------------------------------------------------------------------------------


def test_tag_and_untag(api, ada, clock):
    conversation = factories.conversation(api)
    tag = api.post("/tags", json={"name": "Billing"}).json()
    path = f"/conversations/{conversation['id']}/tags"
    applied = api.post(path, json={"id": tag["id"], "admin_id": ada["id"]}).json()
    assert applied == {
        "type": "tag",
        "id": tag["id"],
        "name": "Billing",
        "applied_at": NOW,
        "applied_by": {"type": "admin", "id": ada["id"]},
    }
    clock.advance(5)
    again = api.post(path, json={"id": tag["id"], "admin_id": ada["id"]}).json()
    assert again == applied  # harmless, and the first application is what counts
    shown = api.get(f"/conversations/{conversation['id']}").json()
    assert shown["tags"]["tags"] == [applied]
    removed = api.delete(f"{path}/{tag['id']}", json={"admin_id": ada["id"]})
    assert removed.status_code == 200 and removed.json()["id"] == tag["id"]
    assert api.get(f"/conversations/{conversation['id']}").json()["tags"]["tags"] == []
    # a tag of the workspace that is not on the conversation is not found there (the spec's example)
    again = api.delete(f"{path}/{tag['id']}", json={"admin_id": ada["id"]})
    assert again.status_code == 404
    assert again.json()["errors"] == [{"code": "tag_not_found", "message": "Tag not found"}]


def test_tag_errors(api, globex, ada):
    conversation = factories.conversation(api)
    tag = api.post("/tags", json={"name": "Billing"}).json()
    path = f"/conversations/{conversation['id']}/tags"
    unknown = api.post(path, json={"id": "99999", "admin_id": ada["id"]})
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0] == {"code": "tag_not_found", "message": "Tag not found", "field": "id"}
    missing = api.post("/conversations/99999/tags", json={"id": tag["id"], "admin_id": ada["id"]})
    assert missing.json()["errors"][0]["message"] == "Conversation not found"
    assert api.post(path, json={"id": tag["id"]}).json()["errors"][0]["code"] == "parameter_not_found"
    assert api.delete(f"{path}/99999", json={"admin_id": ada["id"]}).json()["errors"][0]["code"] == "tag_not_found"
    # Globex can neither use Acme's tag nor tag Acme's conversation
    hank = globex.get("/admins").json()["admins"][0]
    assert globex.post(path, json={"id": tag["id"], "admin_id": hank["id"]}).status_code == 404
    globex_tag = globex.post("/tags", json={"name": "Evil"}).json()
    assert api.post(path, json={"id": globex_tag["id"], "admin_id": ada["id"]}).status_code == 404


# -- participants -----------------------------------------------------------------------------------


def test_attach_by_id_user_id_and_unknown_email(api, ada):
    conversation = factories.conversation(api)
    first = conversation["contacts"]["contacts"][0]["id"]
    by_id = factories.contact(api)
    by_external = factories.contact(api, external_id="crm-9")
    path = f"/conversations/{conversation['id']}/customers"
    api.post(path, json={"admin_id": ada["id"], "customer": {"intercom_user_id": by_id["id"]}})
    api.post(path, json={"admin_id": ada["id"], "customer": {"user_id": "crm-9"}})
    response = api.post(path, json={"admin_id": ada["id"], "customer": {"email": "Newcomer@Example.test"}})
    assert response.status_code == 200
    customers = response.json()["customers"]
    assert [c["id"] for c in customers[:3]] == [first, by_id["id"], by_external["id"]]
    lead = api.get(f"/contacts/{customers[3]['id']}").json()
    assert lead["role"] == "lead" and lead["email"] == "newcomer@example.test"
    shown = api.get(f"/conversations/{conversation['id']}").json()
    assert len(shown["contacts"]["contacts"]) == 4
    parts = shown["conversation_parts"]["conversation_parts"]
    assert [p["part_type"] for p in parts] == ["participant_added"] * 3
    # attaching someone who is already there adds nothing
    api.post(path, json={"admin_id": ada["id"], "customer": {"intercom_user_id": by_id["id"]}})
    assert api.get(f"/conversations/{conversation['id']}").json()["conversation_parts"]["total_count"] == 3


def test_detach_and_the_last_customer_rule(api, ada):
    conversation = factories.conversation(api)
    first = conversation["contacts"]["contacts"][0]["id"]
    other = factories.contact(api)
    path = f"/conversations/{conversation['id']}/customers"
    api.post(path, json={"admin_id": ada["id"], "customer": {"intercom_user_id": other["id"]}})
    removed = api.delete(f"{path}/{first}", json={"admin_id": ada["id"]})
    assert removed.status_code == 200
    assert removed.json()["customers"] == [{"type": "user", "id": other["id"]}]
    last = api.delete(f"{path}/{other['id']}", json={"admin_id": ada["id"]})
    assert last.status_code == 422
    assert last.json()["errors"][0] == {
        "code": "parameter_invalid",
        "message": "Removing the last customer is not allowed",
    }
    gone = api.delete(f"{path}/{first}", json={"admin_id": ada["id"]})
    assert gone.status_code == 404 and gone.json()["errors"][0]["message"] == "User Not Found"
    nobody = api.delete(f"{path}/0123456789abcdef01234567", json={"admin_id": ada["id"]})
    assert nobody.json()["errors"][0]["message"] == "User Not Found"
    parts = api.get(f"/conversations/{conversation['id']}").json()["conversation_parts"]["conversation_parts"]
    assert [p["part_type"] for p in parts] == ["participant_added", "participant_removed"]


def test_attach_errors(api, ada):
    conversation = factories.conversation(api)
    path = f"/conversations/{conversation['id']}/customers"
    assert api.post(path, json={"admin_id": ada["id"]}).json()["errors"][0]["field"] == "customer"
    assert api.post(path, json={"admin_id": ada["id"], "customer": {}}).json()["errors"][0]["field"] == "customer"
    unknown = api.post(path, json={"admin_id": ada["id"], "customer": {"user_id": "nope"}})
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["message"] == "User Not Found"


# -- redaction --------------------------------------------------------------------------------------


def _upload_reply(api, conversation_id, admin):
    files = [{"name": "pixel.png", "content_type": "image/png", "data": base64.b64encode(PNG_1x1).decode()}]
    response = api.post(
        f"/conversations/{conversation_id}/reply",
        json={
            "type": "admin",
            "admin_id": admin["id"],
            "message_type": "comment",
            "body": "secret: 4111 1111 1111 1111",
            "attachment_files": files,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["conversation_parts"]["conversation_parts"][-1]


def test_uploaded_files_are_served_back(api, client, ada):
    conversation = factories.conversation(api)
    part = _upload_reply(api, conversation["id"], ada)
    [attachment] = part["attachments"]
    assert attachment["name"] == "pixel.png" and attachment["content_type"] == "image/png"
    assert (attachment["filesize"], attachment["width"], attachment["height"]) == (len(PNG_1x1), 1, 1)
    assert attachment["url"].startswith("http://testserver/attachments/")
    download = client.get(attachment["url"])
    assert download.status_code == 200 and download.content == PNG_1x1


def test_redact_a_part_removes_text_and_files(api, client, engine, ada):
    conversation = factories.conversation(api)
    part = _upload_reply(api, conversation["id"], ada)
    url = part["attachments"][0]["url"]
    response = api.post(
        "/conversations/redact",
        json={"type": "conversation_part", "conversation_id": conversation["id"], "conversation_part_id": part["id"]},
    )
    assert response.status_code == 200
    redacted = response.json()["conversation_parts"]["conversation_parts"][-1]
    assert redacted["redacted"] is True and "4111" not in (redacted["body"] or "")
    assert redacted["attachments"] == []
    assert client.get(url).status_code == 404
    with engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM conversation_parts"))
    assert "4111" not in dump  # gone from the database, not hidden


def test_redact_the_source(api):
    conversation = factories.conversation(api, body="my password is hunter2")
    response = api.post(
        "/conversations/redact",
        json={"type": "source", "conversation_id": conversation["id"], "source_id": conversation["source"]["id"]},
    )
    source = response.json()["source"]
    assert source["redacted"] is True and "hunter2" not in source["body"]
    assert api.get(f"/conversations/{conversation['id']}").json()["source"] == source


def test_what_cannot_be_redacted(api, ada):
    conversation = factories.conversation(api)
    closed = api.post(
        f"/conversations/{conversation['id']}/parts",
        json={"message_type": "close", "type": "admin", "admin_id": ada["id"]},
    ).json()
    close_part = closed["conversation_parts"]["conversation_parts"][-1]
    no_body = api.post(
        "/conversations/redact",
        json={
            "type": "conversation_part",
            "conversation_id": conversation["id"],
            "conversation_part_id": close_part["id"],
        },
    )
    assert no_body.status_code == 400
    assert no_body.json()["errors"][0]["code"] == "conversation_part_not_redactable"
    for body in (
        {"type": "conversation_part", "conversation_id": conversation["id"], "conversation_part_id": "999999"},
        {"type": "conversation_part", "conversation_id": "999999", "conversation_part_id": close_part["id"]},
        {"type": "source", "conversation_id": conversation["id"], "source_id": "999999"},
    ):
        missing = api.post("/conversations/redact", json=body)
        assert missing.status_code == 404
        assert missing.json()["errors"][0]["code"] == "conversation_part_or_message_not_found"
    assert api.post("/conversations/redact", json={"type": "everything", "conversation_id": "1"}).status_code == 400


def test_renaming_a_tag_shows_in_conversations_read_before(api, ada):
    conversation = factories.conversation(api)
    tag = api.post("/tags", json={"name": "Billing"}).json()
    api.post(f"/conversations/{conversation['id']}/tags", json={"id": tag["id"], "admin_id": ada["id"]})
    assert api.get(f"/conversations/{conversation['id']}").json()["tags"]["tags"][0]["name"] == "Billing"
    api.post("/tags", json={"id": tag["id"], "name": "Invoices"})
    assert api.get(f"/conversations/{conversation['id']}").json()["tags"]["tags"][0]["name"] == "Invoices"


def test_every_read_after_a_write_sees_it(api, ada, clock):
    conversation = factories.conversation(api)
    path = f"/conversations/{conversation['id']}"
    for body in (
        {"message_type": "close", "type": "admin", "admin_id": ada["id"]},
        {"message_type": "open", "admin_id": ada["id"]},
    ):
        api.get(path)
        state = api.post(f"{path}/parts", json=body).json()["state"]
        assert api.get(path).json()["state"] == state
    api.get(path, params={"display_as": "plaintext"})
    api.post(f"{path}/reply", json={"type": "admin", "admin_id": ada["id"], "message_type": "note", "body": "<b>x</b>"})
    assert api.get(path, params={"display_as": "plaintext"}).json()["conversation_parts"]["total_count"] == 3
