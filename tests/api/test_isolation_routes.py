"""Every route, walked with the other workspace's ids: Acme's token gets 404 (never 403, never a
hint) for anything of Globex's, lists and searches never show Globex's rows, and Globex's data is
unchanged afterwards. A route added to the app without a case here fails the coverage test."""

from __future__ import annotations

import base64
from typing import Any

from inboxd.app import ROUTES
from tests import factories

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()


def _globex_world(globex: Any) -> dict[str, Any]:
    hank = globex.get("/admins").json()["admins"][0]
    team = globex.get("/teams").json()["teams"][0]
    contact = factories.contact(globex, external_id="globex-ext", email="victim@globex.test")
    conversation = factories.conversation(globex, contact["id"], body="<p>globex secret plans</p>")
    reply = globex.post(
        f"/conversations/{conversation['id']}/reply",
        json={"type": "admin", "admin_id": hank["id"], "message_type": "comment", "body": "doomsday device"},
    ).json()
    tag = globex.post("/tags", json={"name": "Evil"}).json()
    globex.post(f"/conversations/{conversation['id']}/tags", json={"id": tag["id"], "admin_id": hank["id"]})
    ticket_type = factories.ticket_type(globex, name="Scheme")
    other = factories.conversation(globex, contact["id"], body="second")
    ticket = globex.post(f"/conversations/{other['id']}/convert", json={"ticket_type_id": ticket_type["id"]}).json()
    return {
        "admin": hank["id"],
        "team": team["id"],
        "contact": contact["id"],
        "conversation": conversation["id"],
        "part": reply["conversation_parts"]["conversation_parts"][-1]["id"],
        "source": conversation["source"]["id"],
        "tag": tag["id"],
        "ticket_type": ticket_type["id"],
        "ticket": ticket["id"],
    }


def _cases(b: dict[str, Any], a: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, path, body): each reaches for something of Globex's (``b``) with Acme's token; the
    rest of the request is valid in Acme (``a``) so that only the foreign id can make it fail."""
    conv = b["conversation"]
    own = a["conversation"]
    admin = a["admin"]
    comment = {"type": "admin", "admin_id": admin, "message_type": "comment", "body": "x"}
    return [
        ("GET", f"/admins/{b['admin']}", None),
        ("GET", f"/teams/{b['team']}", None),
        ("GET", f"/contacts/{b['contact']}", None),
        ("GET", f"/tags/{b['tag']}", None),
        ("GET", f"/ticket_types/{b['ticket_type']}", None),
        ("GET", f"/conversations/{conv}", None),
        ("PUT", f"/conversations/{conv}", {"read": True}),
        ("POST", f"/conversations/{conv}/reply", comment),
        ("POST", f"/conversations/{own}/reply", {**comment, "admin_id": b["admin"]}),
        (
            "POST",
            "/conversations/last/reply",
            {"type": "user", "intercom_user_id": b["contact"], "message_type": "comment", "body": "x"},
        ),
        ("POST", f"/conversations/{conv}/parts", {"message_type": "close", "type": "admin", "admin_id": admin}),
        (
            "POST",
            f"/conversations/{own}/parts",
            {"message_type": "assignment", "type": "admin", "admin_id": admin, "assignee_id": b["admin"]},
        ),
        (
            "POST",
            f"/conversations/{own}/parts",
            {"message_type": "assignment", "type": "team", "admin_id": admin, "assignee_id": b["team"]},
        ),
        ("POST", f"/conversations/{conv}/run_assignment_rules", {}),
        ("POST", "/conversations", {"from": {"type": "user", "id": b["contact"]}, "body": "x"}),
        (
            "POST",
            "/messages",
            {
                "message_type": "inapp",
                "body": "x",
                "from": {"type": "admin", "id": int(admin)},
                "to": {"type": "user", "id": b["contact"]},
            },
        ),
        (
            "POST",
            "/messages",
            {
                "message_type": "inapp",
                "body": "x",
                "from": {"type": "admin", "id": int(b["admin"])},
                "to": {"type": "user", "id": a["contact"]},
            },
        ),
        ("POST", f"/conversations/{conv}/tags", {"id": a["tag"], "admin_id": admin}),
        ("POST", f"/conversations/{own}/tags", {"id": b["tag"], "admin_id": admin}),
        ("DELETE", f"/conversations/{conv}/tags/{a['tag']}", {"admin_id": admin}),
        ("DELETE", f"/conversations/{own}/tags/{b['tag']}", {"admin_id": admin}),
        (
            "POST",
            f"/conversations/{conv}/customers",
            {"admin_id": admin, "customer": {"intercom_user_id": a["contact"]}},
        ),
        (
            "POST",
            f"/conversations/{own}/customers",
            {"admin_id": admin, "customer": {"intercom_user_id": b["contact"]}},
        ),
        ("POST", f"/conversations/{own}/customers", {"admin_id": admin, "customer": {"user_id": "globex-ext"}}),
        ("DELETE", f"/conversations/{conv}/customers/{b['contact']}", {"admin_id": admin}),
        ("DELETE", f"/conversations/{own}/customers/{b['contact']}", {"admin_id": admin}),
        (
            "POST",
            "/conversations/redact",
            {"type": "conversation_part", "conversation_id": conv, "conversation_part_id": b["part"]},
        ),
        ("POST", "/conversations/redact", {"type": "source", "conversation_id": conv, "source_id": b["source"]}),
        ("POST", f"/conversations/{conv}/convert", {"ticket_type_id": a["ticket_type"]}),
        ("POST", f"/conversations/{own}/convert", {"ticket_type_id": b["ticket_type"]}),
        ("GET", f"/tickets/{b['ticket']}", None),
        ("POST", "/tags", {"id": b["tag"], "name": "Renamed by Acme"}),
    ]


# Routes that take no id of another workspace: lists and searches (checked for leaks below), and
# the attachment download, whose unguessable token is the capability (docs/decisions.md).
NO_FOREIGN_IDS = {
    ("GET", "/me"),
    ("GET", "/admins"),
    ("GET", "/teams"),
    ("GET", "/contacts"),
    ("POST", "/contacts"),
    ("GET", "/tags"),
    ("GET", "/ticket_types"),
    ("POST", "/ticket_types"),
    ("GET", "/conversations"),
    ("POST", "/conversations/search"),
    ("GET", "/attachments/{token}/{name}"),
    ("GET", "/healthz"),  # no token, no workspace (api/health.py)
    ("GET", "/readyz"),
}


def _template(method: str, path: str) -> str:
    """The route a request reaches (a literal path such as /conversations/redact wins over
    /conversations/{id}, as in the router)."""
    matching = [
        str(route.path)  # type: ignore[attr-defined]
        for route in ROUTES
        if route.path_regex.match(path) and method in (route.methods or ())  # type: ignore[attr-defined]
    ]
    assert matching, (method, path)
    return min(matching, key=lambda template: template.count("{"))


def test_every_route_refuses_the_other_workspaces_ids(api, globex):
    b = _globex_world(globex)
    a_contact = factories.contact(api)
    a_conversation = factories.conversation(api, a_contact["id"])
    a = {
        "admin": api.get("/admins").json()["admins"][0]["id"],
        "contact": a_contact["id"],
        "conversation": a_conversation["id"],
        "tag": api.post("/tags", json={"name": "Ours"}).json()["id"],
        "ticket_type": factories.ticket_type(api)["id"],
    }
    before = globex.get(f"/conversations/{b['conversation']}").json()
    covered = set()
    for method, path, body in _cases(b, a):
        response = api.request(method, path, json=body)
        assert response.status_code == 404, (method, path, body, response.text)
        assert response.json()["type"] == "error.list"
        covered.add((method, _template(method, path)))
    path = f"/conversations/{b['conversation']}"
    deleted = api.at("2.13").delete(path)  # served from 2.13 (Acme's default, 2.10, answers 405)
    assert deleted.status_code == 404 and deleted.json()["type"] == "error.list", deleted.text
    covered.add(("DELETE", _template("DELETE", path)))
    routes = {(m, r.path) for r in ROUTES for m in r.methods or () if m != "HEAD"}  # type: ignore[attr-defined]
    assert routes - covered - NO_FOREIGN_IDS == set(), "add an isolation case for these routes"
    assert globex.get(f"/conversations/{b['conversation']}").json() == before
    assert globex.get(f"/tags/{b['tag']}").json()["name"] == "Evil"


def test_lists_and_searches_never_show_the_other_workspace(api, globex):
    b = _globex_world(globex)
    factories.conversation(api)
    everything = {"field": "state", "operator": "!=", "value": "nothing"}
    globex_conversations = {b["conversation"], str(int(b["conversation"]) + 1)}
    checks = [
        (api.get("/conversations", params={"per_page": 150}), "conversations", globex_conversations),
        (
            api.post("/conversations/search", json={"query": everything, "pagination": {"per_page": 150}}),
            "conversations",
            globex_conversations,
        ),
        (
            api.post(
                "/conversations/search", json={"query": {"field": "source.body", "operator": "=", "value": "globex"}}
            ),
            "conversations",
            globex_conversations,
        ),
        (api.get("/contacts", params={"per_page": 150}), "data", {b["contact"]}),
        (api.get("/tags"), "data", {b["tag"]}),
        (api.get("/ticket_types"), "ticket_types", {b["ticket_type"]}),
        (api.get("/admins"), "admins", {b["admin"]}),
        (api.get("/teams"), "teams", {b["team"]}),
    ]
    assert api.post("/conversations/search", json={"query": everything}).json()["total_count"] == 1
    for response, key, foreign in checks:
        assert response.status_code == 200
        listed = {str(item["id"]) for item in response.json()[key]}
        assert not listed & foreign, key
        assert "globex" not in response.text.lower()
