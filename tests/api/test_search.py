"""POST /conversations/search over HTTP: pagination in the body, errors, and consistency with GET."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from inboxd import seed as seeding
from inboxd.app import create_app
from tests import factories
from tests.conftest import ACME_TOKEN, T0, Api

NOW = T0 + 3600


def search(api, query, **pagination):
    body = {"query": query}
    if pagination:
        body["pagination"] = pagination
    return api.post("/conversations/search", json=body)


OPEN = {"field": "state", "operator": "=", "value": "open"}


def test_walks_every_match_once_newest_updated_first(api, clock):
    ids = []
    for _ in range(5):
        ids.append(factories.conversation(api)["id"])
        clock.advance(1)
    first = search(api, OPEN, per_page=2).json()
    assert first["type"] == "conversation.list"
    assert first["total_count"] == 5
    assert first["pages"]["total_pages"] == 3 and first["pages"]["page"] == 1
    seen = [c["id"] for c in first["conversations"]]
    cursor = first["pages"]["next"]["starting_after"]
    factories.conversation(api)  # arrives during the walk, newer than the cursor: not visited
    while cursor:
        page = search(api, OPEN, per_page=2, starting_after=cursor).json()
        seen += [c["id"] for c in page["conversations"]]
        cursor = page["pages"].get("next", {}).get("starting_after")
    assert seen == list(reversed(ids))
    assert all("conversation_parts" not in c for c in first["conversations"])


def test_a_cursor_in_the_query_string_is_ignored_as_by_intercom(api):
    for _ in range(3):
        factories.conversation(api)
    first = search(api, OPEN, per_page=1).json()
    cursor = first["pages"]["next"]["starting_after"]
    again = api.post(
        "/conversations/search", params={"starting_after": cursor}, json={"query": OPEN, "pagination": {"per_page": 1}}
    ).json()
    assert again["conversations"] == first["conversations"]


def test_default_page_size_is_20(api):
    assert search(api, OPEN).json()["pages"]["per_page"] == 20


@pytest.mark.parametrize(
    ("body", "code", "field", "words"),
    [
        ({}, "parameter_not_found", "query", "query"),
        ({"query": {"field": "colour", "operator": "=", "value": "red"}}, "parameter_invalid", "query.field", "colour"),
        (
            {"query": {"field": "created_at", "operator": ">", "value": "foobar"}},
            "parameter_invalid",
            "query.value",
            "created_at",
        ),
        (
            {"query": {"field": "source.subject", "operator": ">", "value": "a"}},
            "parameter_invalid",
            "query.operator",
            "source.subject",
        ),
        (
            {"query": {"field": "state", "operator": "IN", "value": "open"}},
            "parameter_invalid",
            "query.value",
            "state",
        ),
        (
            {"query": {"operator": "AND", "value": [OPEN] * 16}},
            "parameter_invalid",
            "query.value",
            "15",
        ),
        (
            {
                "query": {
                    "operator": "AND",
                    "value": [{"operator": "OR", "value": [{"operator": "AND", "value": [OPEN]}]}],
                }
            },
            "parameter_invalid",
            "query.value.0.value.0",
            "at most 2 are allowed",
        ),
        ({"query": OPEN, "pagination": {"per_page": 151}}, "parameter_invalid", "pagination.per_page", "150"),
        (
            {"query": OPEN, "pagination": {"starting_after": "nonsense"}},
            "parameter_invalid",
            "pagination.starting_after",
            "",
        ),
    ],
)
def test_bad_queries_say_what_is_wrong(api, body, code, field, words):
    response = api.post("/conversations/search", json=body)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == code
    if field is not None:
        assert error["field"].startswith(field)
    assert words in error["message"]


def test_search_sees_what_get_shows(api, clock):
    ada = api.get("/admins").json()["admins"][0]
    snoozed = factories.conversation(api, body="please wake me")
    api.post(
        f"/conversations/{snoozed['id']}/parts",
        json={"message_type": "snoozed", "admin_id": ada["id"], "snoozed_until": NOW + 60},
    )
    secret = factories.conversation(api, body="my password is hunter2")
    api.post(
        "/conversations/redact",
        json={"type": "source", "conversation_id": secret["id"], "source_id": secret["source"]["id"]},
    )
    clock.advance(120)  # the snooze runs out with nobody looking
    found = search(api, {"field": "source.body", "operator": "=", "value": "wake"}).json()["conversations"]
    assert found == [
        {k: v for k, v in api.get(f"/conversations/{snoozed['id']}").json().items() if k != "conversation_parts"}
    ]
    assert found[0]["state"] == "open"
    assert search(api, {"field": "state", "operator": "=", "value": "snoozed"}).json()["total_count"] == 0
    for word in ("hunter2", "password"):
        assert search(api, {"field": "source.body", "operator": "=", "value": word}).json()["total_count"] == 0


def test_another_workspace_finds_nothing_of_ours(api, globex):
    factories.conversation(api, body="acme internal matter")
    assert search(globex, {"field": "source.body", "operator": "=", "value": "acme"}).json()["total_count"] == 0
    assert search(api, {"field": "source.body", "operator": "=", "value": "acme"}).json()["total_count"] == 1


def test_custom_attributes_are_searchable_with_their_type(api):
    conversation = factories.conversation(api)
    api.put(f"/conversations/{conversation['id']}", json={"custom_attributes": {"seats": 5, "plan": "pro"}})
    other = factories.conversation(api)
    api.put(f"/conversations/{other['id']}", json={"custom_attributes": {"seats": "5"}})
    by_int = search(api, {"field": "custom_attributes.seats", "operator": ">=", "value": 5}).json()
    assert [c["id"] for c in by_int["conversations"]] == [conversation["id"]]
    by_text = search(api, {"field": "custom_attributes.seats", "operator": "=", "value": "5"}).json()
    assert [c["id"] for c in by_text["conversations"]] == [other["id"]]


def test_a_body_is_found_by_each_word_its_plaintext_rendering_shows_and_no_other(api):
    body = (
        '<p>see<img src="https://example.com/a.png">attached</p><ul><li>one</li><li>two</li></ul><p>sup<b>port</b></p>'
    )
    conversation = factories.conversation(api, body=body)
    shown = api.get(f"/conversations/{conversation['id']}", params={"display_as": "plaintext"}).json()
    assert shown["source"]["body"] == "see attached\none\ntwo\nsupport"
    for word in ("see", "attached", "one", "two", "support"):
        found = search(api, {"field": "source.body", "operator": "=", "value": word}).json()["conversations"]
        assert [c["id"] for c in found] == [conversation["id"]], word
    for glued in ("seeattached", "onetwo", "sup", "port"):
        assert search(api, {"field": "source.body", "operator": "=", "value": glued}).json()["total_count"] == 0


def test_an_attribute_name_with_a_quote_is_that_name_and_no_other(api):
    planned = factories.conversation(api)
    api.put(f"/conversations/{planned['id']}", json={"custom_attributes": {"plan": "pro"}})
    weird = factories.conversation(api)
    api.put(f"/conversations/{weird['id']}", json={"custom_attributes": {'we"ird': "q"}})

    def found(name: str, value: object) -> list[str]:
        body = search(api, {"field": f"custom_attributes.{name}", "operator": "=", "value": value}).json()
        return [c["id"] for c in body["conversations"]]

    assert found('plan"', "pro") == []
    assert found('plan"', None) == [weird["id"], planned["id"]]
    assert found('we"ird', "q") == [weird["id"]]
    assert found('we"ird', None) == [planned["id"]]
    assert found('we\\"ird', "q") == []
    refused = api.post(
        "/conversations/search", json={"query": {"field": "custom_attributes.", "operator": "=", "value": "q"}}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0] == {
        "code": "parameter_invalid",
        "message": "unknown field 'custom_attributes.'",
        "field": "query.field",
    }


@pytest.mark.parametrize(
    "query",
    [
        OPEN,
        {"field": "source.body", "operator": "=", "value": "hello"},
        {"field": "created_at", "operator": ">", "value": 0},
        {"operator": "AND", "value": [OPEN, {"field": "source.body", "operator": "=", "value": "hello"}]},
    ],
    ids=["walk", "word", "range", "word and state"],
)
def test_total_count_is_exact_up_to_the_count_limit_and_says_the_limit_beyond(engine, clock, query):
    """`inboxd serve --search-count-limit` (docs/search.md): 10,000 by default, 3 here. Every page
    is still there to walk; only the count stops."""
    with TestClient(create_app(engine, clock, search_count_limit=3)) as client:
        api = Api(client, ACME_TOKEN)
        for _ in range(5):
            factories.conversation(api, body="hello there")
            clock.advance(1)
        capped = search(api, query, per_page=2).json()
        assert capped["total_count"] == 3
        assert capped["pages"]["total_pages"] == 2
        seen = [c["id"] for c in capped["conversations"]]
        cursor = capped["pages"]["next"]["starting_after"]
        while cursor:
            page = search(api, query, per_page=2, starting_after=cursor).json()
            assert page["total_count"] == 3
            seen += [c["id"] for c in page["conversations"]]
            cursor = page["pages"].get("next", {}).get("starting_after")
        assert len(set(seen)) == 5
    with TestClient(create_app(engine, clock, search_count_limit=0)) as client:
        assert search(Api(client, ACME_TOKEN), query).json()["total_count"] == 5


def test_a_search_past_its_time_budget_is_a_504_and_the_next_requests_are_served(engine, clock):
    """`inboxd serve --search-timeout` (docs/search.md, "Time budget"): a search still running when
    its time is up is ended with Intercom's `request_timeout`, and nothing of it stays behind: the
    same connection serves a read, a search and a write next. The costly query tests all its 225
    filters on each of 200 conversations, seconds of SQL: a budget that did not end it would
    answer 200 here. A quarter of a second, not less: the search after it must not run out too
    on a busy machine."""
    seeding.seed(engine, "acme", seeding.Options(conversations=200, parts=(1, 2), now=clock.now()))
    with TestClient(create_app(engine, clock, search_timeout=0.25)) as client:
        api = Api(client, ACME_TOKEN)
        conversation = factories.conversation(api, body="hello there")
        ended = search(api, factories.costly_query())
        assert ended.status_code == 504
        [error] = ended.json()["errors"]
        assert error["code"] == "request_timeout"
        assert "0.25 s" in error["message"]
        assert api.get(f"/conversations/{conversation['id']}").json() == conversation
        found = search(api, {"field": "id", "operator": "=", "value": conversation["id"]}).json()
        assert [c["id"] for c in found.get("conversations", [])] == [conversation["id"]], found
        contact_id = conversation["contacts"]["contacts"][0]["id"]
        replied = api.post(
            f"/conversations/{conversation['id']}/reply",
            json={"message_type": "comment", "type": "user", "intercom_user_id": contact_id, "body": "still there?"},
        )
        assert replied.status_code == 200, replied.text
