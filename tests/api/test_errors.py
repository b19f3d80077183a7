"""What a client sees when a request goes wrong before any resource is involved: authentication,
routing, the JSON body, the version header and the size limit. Every failure is Intercom's
`error.list`, and every response, good or bad, carries the `X-Request-Id` that the body names."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from inboxd.api.bodies import MAX_BODY_BYTES
from inboxd.app import create_app
from tests import factories


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    """The single error of an `error.list` response, after checking the envelope and the header."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error.list"
    assert uuid.UUID(body["request_id"])
    assert response.headers["x-request-id"] == body["request_id"]
    assert len(body["errors"]) == 1
    error: dict[str, Any] = body["errors"][0]
    assert error["code"] == code
    return error


# -- authentication ----------------------------------------------------------------------------


def test_missing_authorization_is_401_with_intercoms_body(anonymous):
    response = anonymous.get("/me")

    assert response.status_code == 401
    body = response.json()
    assert body == {
        "type": "error.list",
        "request_id": response.headers["x-request-id"],
        "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}],
    }


def test_request_id_is_fresh_for_every_request(anonymous):
    ids = [anonymous.get("/me").json()["request_id"] for _ in range(3)]

    assert len(set(ids)) == 3
    for rid in ids:
        assert uuid.UUID(rid)


def test_unknown_token_is_401(client):
    response = client.get("/contacts", headers={"Authorization": "Bearer not-a-real-token"})

    error = error_of(response, 401, "unauthorized")
    assert error["message"] == "Access Token Invalid"


def test_token_of_one_workspace_is_refused_after_an_unknown_one(client):
    # An unknown token must not poison the token cache, nor a known one be refused after it.
    assert client.get("/me", headers={"Authorization": "Bearer nope-nope-nope"}).status_code == 401
    assert client.get("/me", headers={"Authorization": "Bearer acme-test-token"}).status_code == 200
    assert client.get("/me", headers={"Authorization": "Bearer nope-nope-nope"}).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Basic acme-test-token",
        "Token acme-test-token",
        "acme-test-token",
        "Bearer",
        "Bearer ",
    ],
)
def test_authorization_other_than_a_bearer_token_is_401(client, header):
    response = client.get("/me", headers={"Authorization": header})

    error_of(response, 401, "unauthorized")


def test_bearer_scheme_is_case_insensitive(client):
    # RFC 9110 §11.1: the auth scheme is case-insensitive; some HTTP libraries send "bearer".
    response = client.get("/me", headers={"Authorization": "bearer acme-test-token"})

    assert response.status_code == 200, response.text
    assert response.json()["email"] == "ada@acme.test"


def test_the_token_is_checked_before_the_body_is_read(client):
    # A caller without a valid token learns nothing about its request: no 400 for bad JSON.
    response = client.post(
        "/contacts",
        content=b"{not json",
        headers={"Authorization": "Bearer not-a-real-token", "Content-Type": "application/json"},
    )

    error_of(response, 401, "unauthorized")


def test_the_token_is_checked_before_the_size_limit(client):
    response = client.post(
        "/contacts",
        content=b" " * (MAX_BODY_BYTES + 1),
        headers={"Authorization": "Bearer not-a-real-token", "Content-Type": "application/json"},
    )

    error_of(response, 401, "unauthorized")


# -- routing -----------------------------------------------------------------------------------


def test_unknown_route_is_404_error_list(api):
    response = api.get("/no-such-thing", validate=False)

    error = error_of(response, 404, "not_found")
    assert "/no-such-thing" in error["message"]


def test_unknown_nested_route_is_404_error_list(api):
    response = api.get("/conversations/1/no-such-action", validate=False)

    error_of(response, 404, "not_found")


def test_wrong_method_is_405_with_every_allowed_method(api):
    response = api.delete("/conversations", validate=False)

    error_of(response, 405, "method_not_allowed")
    # /conversations has a GET route and a POST route; a client retrying needs to see both.
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    assert "DELETE" not in allowed


def test_wrong_method_on_an_item_path_lists_its_methods(api):
    response = api.request("PATCH", "/conversations/123", validate=False)

    error_of(response, 405, "method_not_allowed")
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "PUT"} <= allowed
    assert "PATCH" not in allowed


@pytest.mark.parametrize(("method", "path"), [("GET", "/conversations/search"), ("PUT", "/conversations/redact")])
def test_a_literal_path_with_another_method_is_405_not_a_conversation_lookup(api, method, path):
    # Found by fuzzing the spec: "search" and "redact" used to be looked up as conversation ids (404).
    response = api.request(method, path, json={}, validate=False)

    error_of(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


# -- the JSON body -----------------------------------------------------------------------------


def test_malformed_json_is_400_parameter_invalid(api):
    response = api.post(
        "/contacts", content=b'{"role": "user", "email": ', headers={"Content-Type": "application/json"}
    )

    error = error_of(response, 400, "parameter_invalid")
    assert "JSON" in error["message"]


@pytest.mark.parametrize("raw", [b'[{"role": "user"}]', b'"user"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_400(api, raw):
    response = api.post("/contacts", content=raw, headers={"Content-Type": "application/json"})

    error = error_of(response, 400, "parameter_invalid")
    assert "object" in error["message"]


def test_rejected_body_creates_nothing(api):
    api.post("/contacts", content=b'[{"role": "user", "email": "x@example.test"}]')

    listed = api.get("/contacts")
    assert listed.status_code == 200
    assert listed.json()["data"] == []


# -- Intercom-Version --------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.10", "2.1", "1.0", " 2.10 ", "2.11", "2.16", "Preview"])
def test_supported_versions_are_accepted(api, version):
    response = api.get("/me", headers={"Intercom-Version": version})

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("version", ["9.99", "2.17", "2.10.0", "latest", "2", "preview", "Unstable"])
def test_unsupported_versions_are_400_intercom_version_invalid(api, version):
    response = api.get("/me", headers={"Intercom-Version": version})

    error = error_of(response, 400, "intercom_version_invalid")
    assert version.strip() in error["message"]


def test_an_empty_version_header_is_400_not_the_default(api):
    # Absent means the workspace's default; sent empty, it names no version of the enum (found by fuzzing).
    response = api.get("/me", headers={"Intercom-Version": ""})

    error_of(response, 400, "intercom_version_invalid")


def test_unsupported_version_refuses_a_write(api):
    response = api.post(
        "/contacts", json={"role": "user", "email": "v@example.test"}, headers={"Intercom-Version": "2.17"}
    )

    error_of(response, 400, "intercom_version_invalid")
    assert api.get("/contacts").json()["data"] == []


# -- size limit --------------------------------------------------------------------------------


def _padded_contact(size: int) -> bytes:
    body = b'{"role": "user", "email": "big@example.test"}'
    return body + b" " * (size - len(body))


def test_body_over_4_mib_is_413(api):
    response = api.post(
        "/contacts", content=_padded_contact(MAX_BODY_BYTES + 1), headers={"Content-Type": "application/json"}
    )

    error_of(response, 413, "request_too_large")
    assert api.get("/contacts").json()["data"] == []


def test_chunked_body_over_4_mib_is_413(api):
    # No Content-Length to trust: the limit holds while the body streams in.
    def chunks() -> Any:
        for _ in range(5):
            yield b" " * (1024 * 1024)

    response = api.post("/contacts", content=chunks(), headers={"Content-Type": "application/json"})

    error_of(response, 413, "request_too_large")


def test_body_of_exactly_4_mib_is_accepted(api):
    assert MAX_BODY_BYTES == 4 * 1024 * 1024
    response = api.post(
        "/contacts", content=_padded_contact(MAX_BODY_BYTES), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["email"] == "big@example.test"


# -- X-Request-Id on every response --------------------------------------------------------------


def test_successful_responses_carry_a_request_id(api):
    contact = factories.contact(api)
    responses = [
        api.get("/me"),
        api.get("/contacts"),
        api.get(f"/contacts/{contact['id']}"),
        api.post("/contacts", json={"role": "user", "email": "rid@example.test"}),
    ]

    ids = []
    for response in responses:
        assert response.status_code == 200, response.text
        ids.append(str(uuid.UUID(response.headers["x-request-id"])))
    assert len(set(ids)) == len(ids)


def test_error_responses_carry_a_request_id(api, anonymous):
    responses = [
        anonymous.get("/me"),
        api.get("/contacts/0000000000000000000000ff"),
        api.get("/nowhere", validate=False),
        api.delete("/conversations", validate=False),
        api.get("/me", headers={"Intercom-Version": "9.99"}),
        api.post("/contacts", content=b"{", headers={"Content-Type": "application/json"}),
    ]

    for response in responses:
        assert response.status_code >= 400
        assert response.headers["x-request-id"] == response.json()["request_id"]


def test_unexpected_failure_is_500_error_list_with_request_id(engine, clock):
    def explode(request: Any) -> Any:
        raise RuntimeError("boom")

    app = create_app(engine, clock)
    app.router.routes.append(Route("/explode", explode))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/explode")

    error = error_of(response, 500, "server_error")
    assert "boom" not in (error["message"] or "")  # internals stay in the log


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/contacts", {"name": "a\u0000b", "email": "nul@example.test"}, "name"),
        ("/tags", {"name": "x\u0000"}, "name"),
        ("/ticket_types", {"name": "Bug", "description": "\u0000"}, "description"),
        ("/contacts", {"email": "n@example.test", "custom_attributes": {"k": ["\u0000"]}}, "custom_attributes.k.0"),
    ],
)
def test_nul_characters_are_refused_everywhere(api, path, body, field):
    response = api.post(path, json=body)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "parameter_invalid" and error["field"] == field


def test_non_ascii_digits_in_per_page_are_refused(api):
    response = api.get("/conversations", params={"per_page": "\u00b2"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "per_page"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/contacts", {"email": "big@example.test", "signed_up_at": 2**63}, "signed_up_at"),
        ("/contacts", {"email": "big@example.test", "owner_id": -(2**63) - 1}, "owner_id"),
    ],
)
def test_integers_beyond_64_bits_are_a_400(api, path, body, field):
    response = api.post(path, json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_a_snooze_beyond_64_bits_is_a_400(api):
    conversation = factories.conversation(api)
    ada = api.get("/admins").json()["admins"][0]
    response = api.post(
        f"/conversations/{conversation['id']}/parts",
        json={"message_type": "snoozed", "admin_id": ada["id"], "snoozed_until": 2**63},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "parameter_invalid",
        "message": "snoozed_until is out of range",
        "field": "snoozed_until",
    }
