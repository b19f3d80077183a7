"""Every Intercom-Version is accepted and answered in its own shape (render/versions/): each
conversation answer validates against the description of the version asked for (tests/spec.py),
the caches keep one document per shape, and a request without the header gets its workspace's
default version."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from inboxd.app import create_app
from inboxd.config import WorkspaceFile
from inboxd.domain.versions import ACCEPTED, SHAPES
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import apply_workspace_file
from tests import factories
from tests.conftest import ACME_TOKEN, T0, WORKSPACES, Api


def _admin_id(api: Api) -> str:
    return str(api.get("/me").json()["id"])


def _busy_conversation(api: Api) -> str:
    """A conversation with a reply, a note, an assignment and a tag: most of what a document shows."""
    conversation = factories.conversation(api)
    cid = conversation["id"]
    admin = _admin_id(api)
    reply = {"message_type": "comment", "type": "admin", "admin_id": admin, "body": "<p>On it</p>"}
    assert api.post(f"/conversations/{cid}/reply", json=reply).status_code == 200
    note = {"message_type": "note", "type": "admin", "admin_id": admin, "body": "internal"}
    assert api.post(f"/conversations/{cid}/reply", json=note).status_code == 200
    tag = api.post("/tags", json={"name": "vip"}).json()
    assert api.post(f"/conversations/{cid}/tags", json={"id": tag["id"], "admin_id": admin}).status_code == 200
    return str(cid)


def test_every_version_answers_the_conversation_operations_in_its_own_shape(api):
    cid = _busy_conversation(api)
    admin = _admin_id(api)
    for name in ACCEPTED:
        asked = api.at(name)  # each answer is validated against the description of `name`'s shape
        shown = asked.get(f"/conversations/{cid}")
        assert shown.status_code == 200, (name, shown.text)
        assert asked.get(f"/conversations/{cid}?display_as=plaintext").status_code == 200
        listed = asked.get("/conversations?per_page=5")
        assert listed.status_code == 200, (name, listed.text)
        found = asked.post("/conversations/search", json={"query": {"field": "id", "operator": "=", "value": cid}})
        assert found.status_code == 200, (name, found.text)
        assert [c["id"] for c in found.json()["conversations"]] == [cid]
        replied = asked.post(
            f"/conversations/{cid}/reply",
            json={"message_type": "note", "type": "admin", "admin_id": admin, "body": f"note in {name}"},
        )
        assert replied.status_code == 200, (name, replied.text)
        parts = replied.json()["conversation_parts"]["conversation_parts"]
        assert parts[-1]["body"] == f"note in {name}"


@pytest.mark.parametrize("message_type", ["inapp", "email"])
def test_every_version_shows_an_admins_conversation_no_contact_answered_in_its_own_shape(api, message_type):
    contact = factories.contact(api)
    message = {
        **{"message_type": message_type, "subject": "Welcome", "body": "hi", "template": "plain"},
        "from": {"type": "admin", "id": int(_admin_id(api))},
        "to": {"type": "user", "id": contact["id"]},
        "create_conversation_without_contact_reply": True,
    }
    for name in ACCEPTED:
        asked = api.at(name)  # each answer is validated against the description of `name`'s shape
        sent = asked.post("/messages", json=message)
        assert sent.status_code == 200, (name, sent.text)
        shown = asked.get(f"/conversations/{sent.json()['conversation_id']}")
        assert shown.status_code == 200, (name, shown.text)
        assert shown.json()["source"]["body"] == "hi"
        assert asked.get("/conversations").status_code == 200, name


def test_every_version_answers_admins_teams_contacts_and_tags_in_its_own_shape(api):
    contact = factories.contact(api, phone="+1 555 0100")
    api.post("/tags", json={"name": "vip"})
    admin, team = api.get("/admins").json()["admins"][0]["id"], api.get("/teams").json()["teams"][0]["id"]
    for name in ACCEPTED:
        asked = api.at(name)  # each answer is validated against the description of `name`'s shape
        for path in ("/me", "/admins", f"/admins/{admin}", "/teams", f"/teams/{team}", "/contacts",
                     f"/contacts/{contact['id']}", "/tags"):  # fmt: skip
            answer = asked.get(path)
            assert answer.status_code == 200, (name, path, answer.text)
    assert api.at("2.11").get(f"/contacts/{contact['id']}").json()["formatted_phone"] is None
    assert "formatted_phone" not in api.at("2.12").get(f"/contacts/{contact['id']}").json()


def test_priority_and_no_assignee_read_as_each_version_says(api):
    cid = factories.conversation(api)["id"]

    old, new = api.at("2.15").get(f"/conversations/{cid}").json(), api.at("2.16").get(f"/conversations/{cid}").json()

    # 2.16's levels and its 0 for no assignee; the flag and null before it.
    assert (old["priority"], new["priority"]) == ("not_priority", "none")
    assert (old["admin_assignee_id"], new["admin_assignee_id"]) == (None, 0)
    assert (old["team_assignee_id"], new["team_assignee_id"]) == (None, 0)


def test_fields_appear_from_the_version_that_describes_them(api):
    cid = _busy_conversation(api)

    def shown(version: str) -> dict:
        return dict(api.at(version).get(f"/conversations/{cid}").json())

    def last_part(document: dict) -> dict:
        return dict(document["conversation_parts"]["conversation_parts"][-1])

    assert "linked_objects" not in shown("2.9") and "linked_objects" in shown("2.10")
    assert "ai_agent_participated" not in shown("2.10") and shown("2.11")["ai_agent_participated"] is False
    assert "custom_attributes" in shown("2.11") and "custom_attributes" not in shown("2.12")
    assert "custom_attributes" not in shown("2.13") and "custom_attributes" in shown("2.14")
    assert "tags" not in last_part(shown("2.12")) and last_part(shown("2.13"))["tags"] == []
    assert "is_ai_answer" not in last_part(shown("2.13"))["author"]
    assert last_part(shown("2.14"))["author"]["is_ai_answer"] is False
    assert "company" not in shown("2.14") and shown("2.15")["company"] is None
    assert "scorecards" not in shown("2.15") and shown("2.16")["scorecards"] == []
    assert shown("1.0") == shown("2.7") and shown("Preview") == shown("2.16")


def test_each_shape_is_cached_apart(api):
    """The render cache holds one document per shape: reading one version
    never answers another with its document, on the cached path as on the ordinary one."""
    cid = factories.conversation(api)["id"]
    for _ in range(3):  # the first read renders, the next ones are cached
        for shape in SHAPES:
            document = api.at(shape).get(f"/conversations/{cid}").json()
            assert ("scorecards" in document) == (shape == "2.16"), shape
            assert ("linked_objects" in document) == (shape not in ("2.7", "2.8", "2.9")), shape


def test_no_header_is_answered_in_the_workspace_default_version(engine, clock):
    chosen = WORKSPACES.model_copy(deep=True)
    chosen.workspaces[0].default_version = "2.16"
    with transaction(engine, write=True) as conn:
        apply_workspace_file(conn, WorkspaceFile.model_validate(chosen.model_dump()), T0)
    with TestClient(create_app(engine, clock)) as client:
        default, old = Api(client, ACME_TOKEN, version=None), Api(client, ACME_TOKEN, version="2.10")
        cid = factories.conversation(old)["id"]

        unversioned = client.get(f"/conversations/{cid}", headers={"Authorization": f"Bearer {ACME_TOKEN}"})
        assert unversioned.json()["priority"] == "none"  # 2.16's
        assert old.get(f"/conversations/{cid}").json()["priority"] == "not_priority"
        assert default.at("2.16").get(f"/conversations/{cid}").json() == unversioned.json()


def test_a_workspace_file_refuses_an_unknown_default_version():
    raw = WORKSPACES.model_dump()
    raw["workspaces"][0]["default_version"] = "2.17"
    with pytest.raises(ValueError, match="default_version"):
        WorkspaceFile.model_validate(raw)


def _unknown_route(response) -> None:
    assert response.status_code == 404, response.text
    assert response.json()["errors"][0]["code"] == "not_found"


def test_an_operation_a_version_lacks_answers_as_an_unknown_route(api):
    ticket_type = factories.ticket_type(api)
    conversation = factories.conversation(api)
    for version in ("1.0", "2.7", "2.8"):
        old = api.at(version)
        _unknown_route(old.get("/ticket_types", validate=False))
        _unknown_route(old.get(f"/ticket_types/{ticket_type['id']}", validate=False))
        _unknown_route(old.post("/ticket_types", json={"name": "Old"}, validate=False))
        _unknown_route(old.get("/tickets/1", validate=False))
    assert api.at("2.9").get(f"/ticket_types/{ticket_type['id']}").status_code == 200
    convert = {"ticket_type_id": ticket_type["id"]}
    _unknown_route(api.at("2.9").post(f"/conversations/{conversation['id']}/convert", json=convert, validate=False))
    assert api.get("/tickets/1").status_code == 404  # nothing converted yet: the ticket's own 404
    ticket = api.at("2.10").post(f"/conversations/{conversation['id']}/convert", json=convert)
    assert ticket.status_code == 200, ticket.text
    assert api.at("2.9").get(f"/tickets/{ticket.json()['id']}").status_code == 200


def test_running_assignment_rules_is_deprecated_from_2_12_and_still_served(api):
    conversation = factories.conversation(api)
    path = f"/conversations/{conversation['id']}/run_assignment_rules"

    before = api.at("2.11").post(path)
    after = api.at("2.12").post(path, validate=False)  # 2.12's description no longer has it

    assert before.status_code == after.status_code == 200, after.text
    assert "deprecation" not in before.headers
    assert after.headers["deprecation"] == "true"
    assert after.headers["sunset"] == "Thu, 31 Dec 2026 23:59:59 GMT"
    assert after.json()["id"] == conversation["id"]
