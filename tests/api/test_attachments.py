"""`GET /attachments/{token}/{name}`: the files of reply parts, served from inboxd's own URLs to
whoever holds the URL, on both databases."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from inboxd.api.attachments import base_url
from inboxd.domain.attachments import prepare
from inboxd.render.attachments import part_attachment
from inboxd.store.attachments import load_by_token
from inboxd.store.scope import Store
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import workspace_for_token
from tests.conftest import ACME_TOKEN, GLOBEX_TOKEN, T0
from tests.domain.test_attachments import b64, png

BASE = "http://testserver"


def save(engine: Any, name: str, content_type: str, data: bytes, token: str = ACME_TOKEN) -> dict[str, Any]:
    [new] = prepare([{"name": name, "content_type": content_type, "data": b64(data)}])
    with transaction(engine, write=True) as conn:
        workspace = workspace_for_token(conn, token)
        assert workspace is not None
        return Store(conn, workspace.id).attachments.save(new, T0)


def path_of(row: dict[str, Any]) -> str:
    return urlsplit(part_attachment(row, BASE)["url"]).path


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "error.list"
    assert body["errors"][0]["code"] == "not_found"
    assert body["request_id"] == response.headers["x-request-id"]


def test_a_saved_file_is_served_back_without_a_token(engine, client):
    data = b"col1,col2\n1,2\n"
    row = save(engine, "numbers.csv", "text/csv", data)
    assert "data" not in row
    assert row["filesize"] == len(data) and row["width"] is None and len(row["token"]) >= 43

    response = client.get(path_of(row))  # no Authorization header
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "text/csv"  # as stored: no charset added
    assert response.headers["content-length"] == str(len(data))
    assert (
        response.headers["content-disposition"] == "attachment; filename=\"numbers.csv\"; filename*=UTF-8''numbers.csv"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in response.headers["cache-control"]
    assert "max-age=31536000" in response.headers["cache-control"]
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-request-id"]


def test_an_image_is_shown_inline_and_measured(engine, client):
    data = png(3, 2)
    row = save(engine, "pixel.png", "image/png", data)
    assert part_attachment(row, BASE) == {
        "type": "upload",
        "name": "pixel.png",
        "url": f"{BASE}/attachments/{row['token']}/pixel.png",
        "content_type": "image/png",
        "filesize": len(data),
        "width": 3,
        "height": 2,
    }
    response = client.get(path_of(row))
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"].startswith("inline;")


def test_a_valid_token_of_the_caller_is_not_needed_nor_checked(engine, client):
    row = save(engine, "a.txt", "text/plain", b"a", token=GLOBEX_TOKEN)
    for headers in ({"Authorization": f"Bearer {ACME_TOKEN}"}, {"Authorization": "Bearer nonsense"}):
        response = client.get(path_of(row), headers=headers)
        assert response.status_code == 200
        assert response.content == b"a"


def test_svg_and_html_are_downloaded_not_shown(engine, client):
    for name, content_type in (("logo.svg", "image/svg+xml"), ("page.html", "text/html")):
        row = save(engine, name, content_type, b"<svg><script>alert(1)</script></svg>")
        response = client.get(path_of(row))
        assert response.headers["content-type"] == content_type
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.headers["x-content-type-options"] == "nosniff"


def test_names_that_need_quoting_round_trip(engine, client):
    name = "résumé #1 (final)?.pdf"
    row = save(engine, name, "application/pdf", b"%PDF-1.4")
    url = part_attachment(row, BASE)["url"]
    assert url.endswith("/" + quote(name, safe=""))
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == b"%PDF-1.4"
    disposition = response.headers["content-disposition"]
    assert 'filename="r_sum_ #1 (final)_.pdf"' in disposition
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%231%20%28final%29%3F.pdf" in disposition


def test_a_quote_in_the_name_does_not_break_the_header(engine, client):
    row = save(engine, 'say "hi"; x=1.txt', "text/plain", b"hi")
    response = client.get(path_of(row))
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="say _hi__ x=1.txt";')


def test_unknown_tokens_and_wrong_names_are_not_found(engine, client):
    row = save(engine, "secret.txt", "text/plain", b"secret")
    assert_not_found(client.get(f"/attachments/{'A' * 43}/secret.txt"))
    assert_not_found(client.get(f"/attachments/{row['token']}/other.txt"))
    assert_not_found(client.get(f"/attachments/{row['token']}/SECRET.TXT"))
    assert_not_found(client.get(f"/attachments/{row['token'][:-1]}/secret.txt"))
    assert_not_found(client.get(f"/attachments/{'x' * 500}/secret.txt"))
    assert_not_found(client.get(f"/attachments/{row['token']}"))
    assert client.post(path_of(row)).status_code == 405


def test_tokens_are_unique_and_files_are_kept_apart(engine, client):
    rows = [save(engine, "same.txt", "text/plain", f"file {n}".encode()) for n in range(5)]
    assert len({row["token"] for row in rows}) == 5
    assert len({row["id"] for row in rows}) == 5
    for n, row in enumerate(rows):
        assert client.get(path_of(row)).content == f"file {n}".encode()


def test_load_by_token_returns_the_bytes(engine):
    data = bytes(range(256)) * 10  # every byte value survives both databases
    row = save(engine, "blob.bin", "application/octet-stream", data)
    with transaction(engine, write=False) as conn:
        loaded = load_by_token(conn, row["token"])
        assert load_by_token(conn, "") is None
        assert load_by_token(conn, "nope") is None
    assert loaded is not None
    assert loaded["data"] == data and isinstance(loaded["data"], bytes)
    assert {key: loaded[key] for key in row} == row


def request_to(scheme: str, headers: dict[str, str], server: tuple[str, int] = ("testserver", 80)) -> Request:
    raw = [(key.encode(), value.encode()) for key, value in headers.items()]
    scope = {"type": "http", "method": "GET", "scheme": scheme, "path": "/", "query_string": b"", "headers": raw}
    return Request({**scope, "server": server, "app": Starlette()})


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"host": "testserver"}, "http://testserver"),
        ({"host": "inbox.example.com"}, "http://inbox.example.com"),
        ({"host": "inbox.example.com:8443"}, "http://inbox.example.com:8443"),
        ({"host": "127.0.0.1:8000"}, "http://127.0.0.1:8000"),
        ({"host": "[::1]:8000"}, "http://[::1]:8000"),
        ({}, "http://testserver"),
        ({"host": "evil.example/path?"}, "http://testserver"),
        ({"host": "user@evil.example"}, "http://testserver"),
        ({"host": "a.test", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https"}, "http://a.test"),
    ],
)
def test_base_url_is_the_origin_the_request_reached(headers, expected):
    assert base_url(request_to("http", headers)) == expected


def test_base_url_takes_the_scheme_from_the_scope():
    assert base_url(request_to("https", {"host": "inbox.example.com"})) == "https://inbox.example.com"
    assert base_url(request_to("https", {}, ("10.0.0.1", 443))) == "https://10.0.0.1"
    assert base_url(request_to("http", {}, ("::1", 8000))) == "http://[::1]:8000"


def test_base_url_prefers_a_configured_public_url():
    request = request_to("http", {"host": "10.0.0.1:8000"})
    request.app.state.public_url = "https://support.example.com/"
    assert base_url(request) == "https://support.example.com"
