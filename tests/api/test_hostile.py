"""Hostile input, over HTTP on both engines: every body inboxd stores is sanitised HTML, and what
no client should send (deep nesting, huge arrays, broken UTF-8, absurd times, ids that are not ids,
enormous search values) gets a clean 4xx in well under a second or two — never a 5xx, never a hang.
docs/security.md describes the limits."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from inboxd.app import ROUTES
from inboxd.domain.limits import MAX_TIMESTAMP
from inboxd.store.tables import conversation_parts, messages
from inboxd.store.transactions import transaction
from tests import factories
from tests.conftest import T0

NOW = T0 + 3600
FAST = 5.0  # seconds: generous for a loaded CI machine; the real answers take milliseconds

HOSTILE = (
    '<p onclick="steal()">Hi <b>there</b><script>alert(1)</script>'
    '<a href="javascript:alert(2)" onmouseover="x()">click</a>'
    '<img src="x" onerror="alert(3)"><iframe src="https://evil.test"></iframe>'
    '<a href="https://example.com/help" target="_blank">help</a><style>p{}</style></p>'
)
CLEAN = (
    "<p>Hi <b>there</b>"
    '<a rel="noopener noreferrer nofollow">click</a>'
    '<img src="x">'
    '<a href="https://example.com/help" rel="noopener noreferrer nofollow">help</a></p>'
)


@pytest.fixture
def ada(api: Any) -> dict[str, Any]:
    return dict(api.get("/admins").json()["admins"][0])


def _timed(api: Any, method: str, path: str, **kwargs: Any) -> Any:
    started = time.monotonic()
    response = api.request(method, path, **kwargs)
    elapsed = time.monotonic() - started
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.text
    assert elapsed < FAST, f"{method} {path} took {elapsed:.1f}s"
    return response


def _refused(api: Any, method: str, path: str, status: int = 400, **kwargs: Any) -> dict[str, Any]:
    response = _timed(api, method, path, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error.list"
    return dict(body["errors"][0])


def _raw(body: bytes) -> dict[str, Any]:
    return {"content": body, "headers": {"Content-Type": "application/json"}}


# -- sanitising: every body that is stored ------------------------------------------------------


def _stored_bodies(engine: Any) -> list[str]:
    with transaction(engine, write=False) as conn:
        parts = conn.execute(select(conversation_parts.c.body).where(conversation_parts.c.body.is_not(None)))
        sources = conn.execute(select(messages.c.body))
        return [row.body for row in parts] + [row.body for row in sources]


def test_every_body_carrying_endpoint_stores_the_sanitised_form(engine, api, ada):
    contact = factories.contact(api)
    team = api.get("/teams").json()["teams"][0]
    admin = {"type": "admin", "admin_id": ada["id"]}

    started = api.post("/conversations", json={"from": {"type": "user", "id": contact["id"]}, "body": HOSTILE})
    assert started.json()["body"] == CLEAN
    conversation_id = started.json()["conversation_id"]
    path = f"/conversations/{conversation_id}"
    writes = [
        ("reply", {**admin, "message_type": "comment", "body": HOSTILE}),
        ("reply", {**admin, "message_type": "note", "body": HOSTILE}),
        ("reply", {"type": "user", "intercom_user_id": contact["id"], "message_type": "comment", "body": HOSTILE}),
        ("parts", {**admin, "message_type": "assignment", "type": "team", "assignee_id": team["id"], "body": HOSTILE}),
        ("parts", {**admin, "message_type": "close", "body": HOSTILE}),
    ]
    for action, body in writes:
        response = api.post(f"{path}/{action}", json=body)
        assert response.status_code == 200, (action, response.text)
    message = api.post(
        "/messages",
        json={
            "message_type": "inapp",
            "body": HOSTILE,
            "from": {"type": "admin", "id": ada["id"]},
            "to": {"type": "user", "id": contact["id"]},
            "create_conversation_without_contact_reply": True,
        },
    )
    assert message.status_code == 200, message.text
    assert message.json()["body"] == CLEAN

    shown = api.get(path).json()
    assert shown["source"]["body"] == CLEAN
    bodies = [part["body"] for part in shown["conversation_parts"]["conversation_parts"] if part["body"]]
    assert bodies == [CLEAN] * 5
    opened = api.get(f"/conversations/{message.json()['conversation_id']}").json()
    assert opened["source"]["body"] == CLEAN
    stored = _stored_bodies(engine)
    assert len(stored) == 7  # two messages (the contact's source, the outbound one) and five parts
    assert set(stored) == {CLEAN}


def test_a_body_of_nothing_but_unsafe_markup_is_blank(api, ada):
    conversation = factories.conversation(api)
    error = _refused(
        api,
        "POST",
        f"/conversations/{conversation['id']}/reply",
        json={"type": "admin", "admin_id": ada["id"], "message_type": "comment", "body": "<script>x()</script>"},
    )
    assert error["field"] == "body"


def test_plain_text_bodies_come_back_as_html(api):
    conversation = factories.conversation(api, body="Tom & Jerry <3")
    assert conversation["source"]["body"] == "Tom &amp; Jerry &lt;3"
    plain = api.get(f"/conversations/{conversation['id']}?display_as=plaintext").json()
    assert plain["source"]["body"] == "Tom & Jerry <3"


# -- malformed and oversized bodies --------------------------------------------------------------


def test_nesting_beyond_the_parser_limit_is_400(api):
    deep = b'{"a":' * 1100 + b"1" + b"}" * 1100
    assert _refused(api, "POST", "/contacts", **_raw(deep))["code"] == "parameter_invalid"


def test_deep_nesting_within_the_parser_limit_is_400_not_a_crash(api):
    # 1,000 levels is past Python's recursion limit: the NUL check walks the body in a loop.
    deep = b'{"email": "x@y.test", "n": ' + b"[" * 1000 + b'"\\u0000"' + b"]" * 1000 + b"}"
    assert _refused(api, "POST", "/contacts", **_raw(deep))["code"] == "parameter_invalid"
    nested = b'{"custom_attributes": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}"
    conversation = factories.conversation(api)
    assert (
        _refused(api, "PUT", f"/conversations/{conversation['id']}", **_raw(nested))["field"] == "custom_attributes.a"
    )
    query = b'{"query": ' + b'{"operator": "AND", "value": [' * 200 + b'{"field": "id", "operator": "=", "value": "1"}'
    query += b"]}" * 200 + b"}"
    assert _refused(api, "POST", "/conversations/search", **_raw(query))["code"] == "parameter_invalid"


def test_huge_arrays_are_refused_quickly(api, ada):
    conversation = factories.conversation(api)
    reply = {"type": "admin", "admin_id": ada["id"], "message_type": "comment", "body": "x"}
    path = f"/conversations/{conversation['id']}/reply"
    assert _refused(api, "POST", path, json={**reply, "attachment_urls": ["https://x.test/a"] * 100_000})["field"] == (
        "attachment_urls"
    )
    assert _refused(api, "POST", path, json={**reply, "attachment_files": [{}] * 200_000})["field"] == (
        "attachment_files"
    )
    many = {"field": "id", "operator": "IN", "value": [str(n) for n in range(100_000)]}
    _refused(api, "POST", "/conversations/search", json={"query": many})
    wide = {"operator": "OR", "value": [{"field": "id", "operator": "=", "value": str(n)} for n in range(50_000)]}
    _refused(api, "POST", "/conversations/search", json={"query": wide})


NOT_JSON = [
    b'{"email": "\xff\xfe@x.test"}',  # not UTF-8 at all
    b'{"email": "\xed\xa0\x80@x.test"}',  # an encoded surrogate
    b'{"name": "\\ud800"}',  # a lone surrogate escape: PostgreSQL could not store it
    b'\xef\xbb\xbf{"email": "bom@x.test"}',  # a byte-order mark
    b'{"email": NaN}',
    b'{"email": 1e99999}',
]


def test_text_that_is_not_utf8_json_is_400(api):
    for raw in NOT_JSON:
        assert _refused(api, "POST", "/contacts", **_raw(raw))["code"] == "parameter_invalid", raw
    assert api.get("/contacts").json()["total_count"] == 0


def test_bodies_over_the_limit_are_413_before_parsing(api):
    oversized = b'{"name": "' + b"x" * (4 * 1024 * 1024) + b'"}'
    assert _refused(api, "POST", "/contacts", status=413, **_raw(oversized))["code"] == "request_too_large"


# -- times ---------------------------------------------------------------------------------------


def test_times_before_1970_or_from_the_year_3000_on_are_400(api, ada):
    conversation = factories.conversation(api)
    path = f"/conversations/{conversation['id']}"
    for until in (10**15, MAX_TIMESTAMP, 2**63 - 1):
        body = {"message_type": "snoozed", "admin_id": ada["id"], "snoozed_until": until}
        assert _refused(api, "POST", f"{path}/parts", json=body)["field"] == "snoozed_until", until
    assert api.get(path).json()["state"] == "open"
    for created_at in (-1, -(2**63), MAX_TIMESTAMP, 10**15):
        body = {
            "type": "admin",
            "admin_id": ada["id"],
            "message_type": "comment",
            "body": "x",
            "created_at": created_at,
        }
        assert _refused(api, "POST", f"{path}/reply", json=body)["field"] == "created_at", created_at
    for field in ("signed_up_at", "last_seen_at"):
        for value in (-1, MAX_TIMESTAMP):
            assert _refused(api, "POST", "/contacts", json={"email": "t@x.test", field: value})["field"] == field
    assert api.get(path).json()["conversation_parts"]["total_count"] == 0

    body = {"message_type": "snoozed", "admin_id": ada["id"], "snoozed_until": MAX_TIMESTAMP - 1}
    snoozed = api.post(f"{path}/parts", json=body)
    assert snoozed.status_code == 200, snoozed.text
    assert snoozed.json()["snoozed_until"] == MAX_TIMESTAMP - 1


# -- ids that are not ids ------------------------------------------------------------------------

NOT_IDS = ["abc", "-1", "0", "1e5", "1.0", "0x10", "%FF", "%00", "١٢", "9" * 30, "9" * 10_000, "a" * 10_000]
RESOURCES = ["conversations", "contacts", "admins", "teams", "tags", "ticket_types", "tickets"]


def test_ids_that_are_not_ids_are_404(api):
    for resource in RESOURCES:
        for not_an_id in NOT_IDS:
            _refused(api, "GET", f"/{resource}/{not_an_id}", status=404)


def test_acting_admin_ids_that_are_not_ids_are_4xx(api):
    conversation = factories.conversation(api)
    for admin_id in (1e30, -1, True, [], {}, "9" * 10_000, "١"):
        body = {"type": "admin", "admin_id": admin_id, "message_type": "comment", "body": "x"}
        response = _timed(api, "POST", f"/conversations/{conversation['id']}/reply", json=body)
        assert response.status_code in (400, 404), (admin_id, response.text)


def test_query_strings_that_make_no_sense_are_400(api):
    for query in (
        "per_page=%FF",
        "per_page=-1",
        "per_page=" + "9" * 10_000,
        "starting_after=%FF%FE",
        "starting_after=" + "A" * 10_000,
    ):
        _refused(api, "GET", f"/conversations?{query}")


def _cursor(raw: str) -> str:
    """A cursor as this server shapes them (URL-safe base64 of a JSON array), holding ``raw``
    verbatim: orjson cannot write integers outside 64 bits, and a client's cursor may."""
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")


# Sort keys no column holds (BigInteger: -2**63 … 2**63-1; PostgreSQL text holds no NUL) and page
# numbers past any real walk: each must be refused, never bound into a statement.
OUT_OF_RANGE_CONVERSATION_CURSORS = [
    "WzE4NDQ2NzQ0MDczNzA5NTUxNjE1LDEsMV0",  # [18446744073709551615, 1, 1]: 2**64-1
    _cursor(f"[{2**63}, 1, 1]"),
    _cursor(f"[1, {2**63}, 1]"),
    _cursor(f"[{-(2**63) - 1}, 1, 1]"),
    _cursor(f"[1, 1, {2**63 - 1}]"),  # answered "page": 9223372036854775808
    _cursor(f"[1, 1, {2**31 - 1}]"),  # the next page would be past a 32-bit integer
    _cursor("[1, 1, 1e400]"),
]
OUT_OF_RANGE_CONTACT_CURSORS = [
    _cursor(f'[{2**63}, "0123456789abcdef01234567", 1]'),
    _cursor('[1, "\\u0000", 1]'),
    _cursor(f'[1, "0123456789abcdef01234567", {2**63 - 1}]'),
]


def _cursor_refused(error: dict[str, Any], field: str) -> None:
    assert error["code"] == "parameter_invalid"
    assert error["field"] == field


def test_cursors_holding_values_out_of_range_are_400(api):
    factories.conversation(api)  # a contact and a conversation: the walks have a row to compare with
    api.get("/conversations")  # the list page is cached: the fast path sees the cursor first
    for cursor in OUT_OF_RANGE_CONVERSATION_CURSORS:
        for _ in range(2):  # the second time past a warm cache too
            _cursor_refused(_refused(api, "GET", f"/conversations?starting_after={cursor}"), "starting_after")
        body = {"query": {"field": "state", "operator": "=", "value": "open"}, "pagination": {"starting_after": cursor}}
        _cursor_refused(_refused(api, "POST", "/conversations/search", json=body), "pagination.starting_after")
    for cursor in OUT_OF_RANGE_CONTACT_CURSORS:
        _cursor_refused(_refused(api, "GET", f"/contacts?starting_after={cursor}"), "starting_after")


def test_cursors_at_the_edges_of_the_range_are_followed(api):
    conversation = factories.conversation(api)
    greatest = _cursor(f"[{2**63 - 1}, {2**63 - 1}, {2**31 - 2}]")
    least = _cursor(f"[{-(2**63)}, {-(2**63)}, 1]")
    # Newest first: after the greatest key comes every conversation; after the least, none.
    top = api.get(f"/conversations?starting_after={greatest}").json()
    assert [found["id"] for found in top["conversations"]] == [conversation["id"]]
    assert top["pages"]["page"] == 2**31 - 1
    bottom = api.get(f"/conversations?starting_after={least}").json()
    assert bottom["conversations"] == [] and bottom["pages"]["page"] == 2
    first_contact = _cursor(f'[{2**63 - 1}, "", 1]')
    contacts = api.get(f"/contacts?starting_after={first_contact}").json()
    assert len(contacts["data"]) == 1


# -- enormous search values ----------------------------------------------------------------------

LONG = "x" * 10_000
LONG_QUERIES = [
    {"field": "source.body", "operator": "~", "value": LONG},
    {"field": "source.body", "operator": "=", "value": LONG},
    {"field": "source.body", "operator": "=", "value": "word " * 2_000},
    {"field": "source.body", "operator": "^", "value": LONG},
    {"field": "id", "operator": "=", "value": "9" * 10_000},
    {"field": "title", "operator": "IN", "value": [LONG] * 100},
    {"field": "custom_attributes." + LONG, "operator": "=", "value": "x"},
    {"field": "contact_ids", "operator": "=", "value": LONG},
    {"field": "created_at", "operator": ">", "value": "9" * 10_000},
]


def test_ten_thousand_character_search_values_answer_quickly(api):
    factories.conversation(api, body="<p>" + "word " * 50 + "</p>")
    for query in LONG_QUERIES:
        _timed(api, "POST", "/conversations/search", json={"query": query})


# -- headers -------------------------------------------------------------------------------------


def test_enormous_headers_are_4xx(api, anonymous):
    assert _refused(api, "GET", "/me", headers={"Intercom-Version": "9" * 10_000})["code"] == (
        "intercom_version_invalid"
    )
    assert _refused(anonymous, "GET", "/me", status=401, headers={"Authorization": "Bearer " + "x" * 10_000})


def test_no_path_redirects_to_the_host_a_request_names(api):
    conversation = factories.conversation(api)
    api.get(f"/conversations/{conversation['id']}")  # cached: the fast path sees the next GET first
    headers = {"Authorization": f"Bearer {api.token}"}
    for route in ROUTES:
        path = re.sub(r"\{[^}]+\}", conversation["id"], route.path)
        for method in sorted(route.methods - {"HEAD"}):
            for slashed in (f"{path}/", f"{path}/?per_page=1", f"{path}//"):
                response = api.client.request(
                    method, slashed, headers={**headers, "Host": "evil.example"}, json={}, follow_redirects=False
                )
                assert "location" not in response.headers, (method, slashed, response.headers["location"])
                assert response.status_code == 404, (method, slashed, response.status_code)
                assert response.json()["errors"][0]["code"] == "not_found"


# -- attachment files ----------------------------------------------------------------------------


def _file(name: str, content_type: str, data: bytes) -> dict[str, str]:
    return {"name": name, "content_type": content_type, "data": base64.b64encode(data).decode()}


def test_an_uploaded_html_file_is_served_as_an_inert_download(client, api, ada):
    conversation = factories.conversation(api)
    page = b"<html><script>document.cookie</script></html>"
    body = {
        "type": "admin",
        "admin_id": ada["id"],
        "message_type": "comment",
        "body": "see file",
        "attachment_files": [_file("page.html", "text/html", page)],
    }
    replied = api.post(f"/conversations/{conversation['id']}/reply", json=body).json()
    [attachment] = replied["conversation_parts"]["conversation_parts"][-1]["attachments"]
    served = client.get(attachment["url"].removeprefix("http://testserver"))
    assert served.status_code == 200
    assert served.content == page
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]


def test_attachment_names_and_types_cannot_inject_headers_or_paths(api, ada):
    conversation = factories.conversation(api)
    for name, content_type in (
        ("a\r\nSet-Cookie: x=1", "text/plain"),
        ("ok.txt", "text/plain\r\nSet-Cookie: x=1"),
        ("../../etc/passwd", "text/plain"),
    ):
        body = {
            "type": "admin",
            "admin_id": ada["id"],
            "message_type": "comment",
            "body": "x",
            "attachment_files": [_file(name, content_type, b"hello")],
        }
        error = _refused(api, "POST", f"/conversations/{conversation['id']}/reply", json=body)
        assert error["field"].startswith("attachment_files.0."), (name, content_type)


def test_an_attachment_over_three_mib_is_refused(api, ada):
    conversation = factories.conversation(api)
    data = b"\0" * (3 * 1024 * 1024 + 1)  # 4 MiB of base64: over the body limit too
    body = orjson.dumps(
        {
            "type": "admin",
            "admin_id": ada["id"],
            "message_type": "comment",
            "body": "x",
            "attachment_files": [_file("big.bin", "application/octet-stream", data)],
        }
    )
    assert _refused(api, "POST", f"/conversations/{conversation['id']}/reply", status=413, **_raw(body))
