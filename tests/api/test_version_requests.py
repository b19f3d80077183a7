"""What each version adds to a request is read in that version and, in the versions before it,
ignored (an unknown field) or refused (an unknown value) as it always was: render/versions/changes.py
(a change's ``request``). Every answer is validated against the version asked for."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import T0, Api

YES = {"text": "Yes", "uuid": "a5e1c524-5ddd-4c3e-9328-6bca5d6e3edb"}
NO = {"text": "No", "uuid": "f4a98af1-be56-4948-a57e-e1a83f8484c6"}
NOW = T0 + 3600  # the tests' frozen clock (tests/conftest.py)
PAST = T0 - 30 * 86_400


def _admin_id(api: Api) -> str:
    return str(api.get("/me").json()["id"])


def _error(response) -> tuple[int, str, str]:
    error = response.json()["errors"][0]
    return response.status_code, error["code"], error["message"]


def _last_part(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()["conversation_parts"]["conversation_parts"][-1]


def _started(api: Api, **fields) -> dict:
    contact = factories.contact(api)
    created = api.post("/conversations", json={"from": {"type": "user", "id": contact["id"]}, "body": "hi", **fields})
    assert created.status_code == 200, created.text
    return api.get(f"/conversations/{created.json()['conversation_id']}").json()


# -- 2.11: created_at on create and on a contact's reply ----------------------------------------------


def test_a_conversation_is_dated_by_its_created_at_from_2_11(api):
    imported = _started(api.at("2.11"), created_at=PAST)
    assert (imported["created_at"], imported["updated_at"], imported["waiting_since"]) == (PAST, PAST, PAST)
    assert imported["statistics"]["first_contact_reply_at"] == PAST
    # It is found where its date puts it: searches by created_at see the imported date.
    found = api.post(
        "/conversations/search", json={"query": {"field": "created_at", "operator": "<", "value": NOW - 86_400}}
    )
    assert [c["id"] for c in found.json()["conversations"]] == [imported["id"]]


def test_before_2_11_created_at_on_create_is_ignored(api):
    shown = _started(api.at("2.10"), created_at=PAST)
    assert shown["created_at"] == NOW


def test_created_at_on_create_is_checked_like_every_timestamp(api):
    contact = factories.contact(api)
    body = {"from": {"type": "user", "id": contact["id"]}, "body": "hi", "created_at": "yesterday"}
    refused = api.at("2.11").post("/conversations", json=body)
    assert _error(refused) == (400, "parameter_invalid", "created_at must be an integer")
    assert api.at("2.10").post("/conversations", json=body).status_code == 200  # unknown there: ignored


def test_a_contacts_reply_is_dated_by_its_created_at_from_2_11(api):
    contact = factories.contact(api)
    cid = factories.conversation(api, contact["id"])["id"]
    reply = {"message_type": "comment", "type": "user", "intercom_user_id": contact["id"], "body": "again"}
    dated = _last_part(api.at("2.11").post(f"/conversations/{cid}/reply", json={**reply, "created_at": NOW + 60}))
    assert dated["created_at"] == NOW + 60
    undated = _last_part(api.at("2.10").post(f"/conversations/{cid}/reply", json={**reply, "created_at": T0 + 99}))
    assert undated["created_at"] == NOW


# -- 2.11: created_at on a message ---------------------------------------------------------------------


def _message(api: Api, to, message_type: str = "email", **fields) -> dict:
    body = {"message_type": message_type, "body": "<p>Hello</p>", "from": {"type": "admin", "id": _admin_id(api)}}
    if message_type == "email":
        body["subject"] = "Hello"
    response = api.post("/messages", json={**body, "to": to, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def _recipient(contact: dict) -> dict:
    return {"type": contact["role"], "id": contact["id"]}


def test_an_admins_message_is_dated_by_its_created_at_from_2_11(api):
    contact = factories.contact(api)
    asked = api.at("2.11")
    sent = _message(asked, _recipient(contact), created_at=PAST, create_conversation_without_contact_reply=True)
    assert sent["created_at"] == PAST
    shown = asked.get(f"/conversations/{sent['conversation_id']}").json()
    assert (shown["created_at"], shown["updated_at"]) == (PAST, PAST)
    # No contact replied yet: 2.11, whose first_contact_reply may not be null, leaves it out.
    assert "first_contact_reply" not in shown
    assert api.at("2.12").get(f"/conversations/{sent['conversation_id']}").json()["first_contact_reply"] is None
    # A contact's message starts its conversation dated so, as POST /conversations does.
    started = asked.post("/messages", json={"from": _recipient(contact), "body": "heyy", "created_at": PAST}).json()
    assert started["created_at"] == PAST
    assert asked.get(f"/conversations/{started['conversation_id']}").json()["waiting_since"] == PAST


def test_before_2_11_created_at_on_a_message_is_ignored_and_from_2_11_checked(api):
    contact = factories.contact(api)
    older = _message(api.at("2.10"), _recipient(contact), created_at="yesterday")
    assert older["created_at"] == NOW
    undated = _message(
        api.at("2.10"), _recipient(contact), created_at=PAST, create_conversation_without_contact_reply=True
    )
    assert api.get(f"/conversations/{undated['conversation_id']}").json()["created_at"] == NOW
    body = {"message_type": "inapp", "body": "hi", "from": {"type": "admin", "id": _admin_id(api)}}
    refused = api.at("2.11").post("/messages", json={**body, "to": _recipient(contact), "created_at": "yesterday"})
    assert _error(refused) == (400, "parameter_invalid", "created_at must be an integer")
    assert _error(api.at("2.16").post("/messages", json={**body, "to": _recipient(contact), "created_at": -1}))[:2] == (
        400,
        "parameter_invalid",
    )


# -- 2.13: title on update, in every version ---------------------------------------------------------


@pytest.mark.parametrize("version", ["2.7", "2.10", "2.13", "2.16"])
def test_a_title_is_set_in_every_version(api, version):
    cid = factories.conversation(api)["id"]
    updated = api.at(version).put(f"/conversations/{cid}", json={"title": "Billing"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["title"] == "Billing"


# -- 2.14: quick replies, company_id --------------------------------------------------------------------


def test_an_admin_sends_quick_reply_options_from_2_14(api):
    cid = factories.conversation(api)["id"]
    asked = api.at("2.14")
    sent = {"message_type": "quick_reply", "type": "admin", "admin_id": _admin_id(api), "reply_options": [YES, NO]}
    part = _last_part(asked.post(f"/conversations/{cid}/reply", json=sent))
    assert (part["part_type"], part["body"]) == ("quick_reply", None)
    assert part["metadata"] == {"quick_reply_options": [{**YES, "translations": None}, {**NO, "translations": None}]}
    shown = asked.get(f"/conversations/{cid}").json()
    assert shown["conversation_parts"]["conversation_parts"][-1]["metadata"] == part["metadata"]
    # An admin's message to the contact: the contact no longer waits, and it counts as a reply.
    assert shown["waiting_since"] is None
    assert shown["statistics"]["first_admin_reply_at"] == NOW
    # Versions before 2.14 show the part, without the metadata they do not describe.
    older = api.at("2.13").get(f"/conversations/{cid}").json()["conversation_parts"]["conversation_parts"][-1]
    assert older["part_type"] == "quick_reply" and "metadata" not in older


def test_a_quick_reply_needs_options_with_uuids(api):
    cid = factories.conversation(api)["id"]
    sent = {"message_type": "quick_reply", "type": "admin", "admin_id": _admin_id(api)}
    asked = api.at("2.14")
    assert _error(asked.post(f"/conversations/{cid}/reply", json=sent)) == (
        400,
        "parameter_not_found",
        "reply_options is a required parameter",
    )
    bad = {**sent, "reply_options": [{"text": "Yes", "uuid": "not-a-uuid"}]}
    assert _error(asked.post(f"/conversations/{cid}/reply", json=bad)) == (
        400,
        "parameter_invalid",
        "reply_options.0.uuid must be a UUID",
    )
    twice = {**sent, "reply_options": [YES, {**YES, "text": "Again"}]}
    assert _error(asked.post(f"/conversations/{cid}/reply", json=twice))[:2] == (400, "parameter_invalid")
    assert len(asked.get(f"/conversations/{cid}").json()["conversation_parts"]["conversation_parts"]) == 0


def test_before_2_14_a_quick_reply_is_refused_as_it_always_was(api):
    cid = factories.conversation(api)["id"]
    sent = {"message_type": "quick_reply", "type": "admin", "admin_id": _admin_id(api), "reply_options": [YES]}
    refused = api.at("2.13").post(f"/conversations/{cid}/reply", json=sent)
    assert _error(refused) == (400, "parameter_invalid", "message_type must be one of 'comment' or 'note'")
    other = api.at("2.10").post(f"/conversations/{cid}/reply", json={**sent, "message_type": "shout"})
    assert _error(other) == (400, "parameter_invalid", "message_type must be one of 'comment' or 'note'")
    # A comment's reply_options are unknown there: ignored.
    comment = {**sent, "message_type": "comment", "body": "Hello"}
    assert _last_part(api.at("2.13").post(f"/conversations/{cid}/reply", json=comment))["part_type"] == "comment"


def test_a_contact_answers_with_a_quick_reply_option_from_2_14(api):
    contact = factories.contact(api)
    cid = factories.conversation(api, contact["id"])["id"]
    asked = api.at("2.14")
    offer = {"message_type": "quick_reply", "type": "admin", "admin_id": _admin_id(api), "reply_options": [YES, NO]}
    assert asked.post(f"/conversations/{cid}/reply", json=offer).status_code == 200
    # The description's own example: message_type quick_reply, no body.
    chosen = {"message_type": "quick_reply", "type": "user", "intercom_user_id": contact["id"], "reply_options": [YES]}
    part = _last_part(asked.post(f"/conversations/{cid}/reply", json=chosen))
    assert (part["part_type"], part["body"], part["author"]["id"]) == ("comment", "<p>Yes</p>", contact["id"])
    assert part["metadata"] == {"quick_reply_uuid": YES["uuid"]}
    assert asked.get(f"/conversations/{cid}").json()["waiting_since"] == NOW
    # Before 2.14 the options are unknown, so the comment needs its body as it always did.
    older = api.at("2.13").post(f"/conversations/{cid}/reply", json={**chosen, "message_type": "comment"})
    assert _error(older) == (400, "parameter_not_found", "body is a required parameter")
    refused = api.at("2.13").post(f"/conversations/{cid}/reply", json=chosen)
    assert _error(refused) == (400, "parameter_invalid", "message_type must be one of 'comment'")


def test_an_email_goes_to_several_contacts_and_copies_others_from_2_14(api):
    ann, bob, cat, dan = (factories.contact(api) for _ in range(4))
    sent = _message(
        api.at("2.14"),
        [_recipient(ann), _recipient(bob)],
        cc=_recipient(cat),
        bcc=[_recipient(dan), _recipient(ann)],  # named twice: addressed once, as first named
        create_conversation_without_contact_reply=True,
    )
    shown = api.at("2.16").get(f"/conversations/{sent['conversation_id']}").json()
    assert [c["id"] for c in shown["contacts"]["contacts"]] == [ann["id"], bob["id"]]
    assert shown["source"]["recipients"] == [
        {"type": "to", "email": ann["email"], "drop_reason": None},
        {"type": "to", "email": bob["email"], "drop_reason": None},
        {"type": "cc", "email": cat["email"], "drop_reason": None},
        {"type": "bcc", "email": dan["email"], "drop_reason": None},
    ]
    in_2_14 = api.at("2.14").get(f"/conversations/{sent['conversation_id']}").json()
    assert [c["id"] for c in in_2_14["contacts"]["contacts"]] == [ann["id"], bob["id"]]
    assert "recipients" not in in_2_14["source"]  # 2.16 first describes them


def test_only_an_email_shows_its_recipients(api):
    contact = factories.contact(api)
    email = _message(api, _recipient(contact), create_conversation_without_contact_reply=True)
    in_app = _message(api, _recipient(contact), message_type="inapp", create_conversation_without_contact_reply=True)
    shown = [api.at("2.16").get(f"/conversations/{m['conversation_id']}").json()["source"] for m in (email, in_app)]
    assert shown[0]["recipients"] == [{"type": "to", "email": contact["email"], "drop_reason": None}]
    assert shown[1]["recipients"] is None
    # A contact without an email has no address to show: it is the conversation's, in no recipients.
    lead = factories.contact(api, role="lead", email=None)
    to_both = _message(
        api.at("2.14"), [_recipient(lead), _recipient(contact)], create_conversation_without_contact_reply=True
    )
    both = api.at("2.16").get(f"/conversations/{to_both['conversation_id']}").json()
    assert [c["id"] for c in both["contacts"]["contacts"]] == [lead["id"], contact["id"]]
    assert both["source"]["recipients"] == [{"type": "to", "email": contact["email"], "drop_reason": None}]


def test_any_contact_a_message_went_to_opens_its_conversation_by_answering(api, clock):
    ann, bob, cat = (factories.contact(api) for _ in range(3))
    sent = _message(api.at("2.14"), [_recipient(ann), _recipient(bob)], cc=[_recipient(cat)])
    reply = {"type": "user", "message_type": "comment", "body": "Thanks"}
    # A copy is not whom the message asks to answer: cat's reply finds nothing to answer.
    assert api.post("/conversations/last/reply", json={**reply, "intercom_user_id": cat["id"]}).status_code == 404
    clock.advance(60)
    answered = api.post("/conversations/last/reply", json={**reply, "intercom_user_id": bob["id"]})
    assert answered.status_code == 200, answered.text
    conversation = answered.json()
    assert conversation["source"]["id"] == sent["id"] and conversation["created_at"] == NOW
    assert [c["id"] for c in conversation["contacts"]["contacts"]] == [ann["id"], bob["id"]]
    assert conversation["conversation_parts"]["conversation_parts"][-1]["author"]["id"] == bob["id"]


@pytest.mark.parametrize(
    ("fields", "status", "code", "message"),
    [
        (
            {"message_type": "inapp", "to": "two"},
            400,
            "parameter_invalid",
            "An in-app message goes to one contact: to names several",
        ),
        ({"to": []}, 400, "parameter_invalid", "to must name at least one contact"),
        ({"to": "ann"}, 400, "parameter_invalid", "to must be an object or an array of objects"),
        ({"to": ["ann"]}, 400, "parameter_invalid", "to.0 must be an object"),
        ({"to": "one", "cc": [{"type": "user"}]}, 400, "parameter_not_found", "cc.0.id is a required parameter"),
        (
            {"to": "one", "bcc": {"type": "admin", "id": "1"}},
            400,
            "parameter_invalid",
            "bcc.type must be one of 'user' or 'lead'",
        ),
        ({"to": "one", "cc": {"type": "user", "id": "6657ac8a6abd0166b52ae266"}}, 404, "not_found", "User Not Found"),
    ],
)
def test_a_message_to_a_list_is_refused_when_it_cannot_be_sent(api, fields, status, code, message):
    ann, bob = factories.contact(api), factories.contact(api)
    named = {"two": [_recipient(ann), _recipient(bob)], "one": [_recipient(ann)]}
    fields = {
        key: named.get(value, value) if isinstance(value, str) and key in ("to",) else value
        for key, value in fields.items()
    }
    body = {"message_type": "email", "subject": "Hi", "body": "hi", "from": {"type": "admin", "id": _admin_id(api)}}
    refused = api.at("2.14").post(
        "/messages", json={**body, **fields, "create_conversation_without_contact_reply": True}
    )
    assert _error(refused) == (status, code, message)
    assert api.get("/conversations").json()["conversations"] == []


def test_an_in_app_message_to_a_list_of_one_goes_to_that_contact_and_copies_no_one(api):
    ann = factories.contact(api)
    sent = _message(
        api.at("2.14"),
        [_recipient(ann)],
        message_type="in_app",
        cc={"type": "user", "id": "6657ac8a6abd0166b52ae266"},  # not read for an in-app message
        create_conversation_without_contact_reply=True,
    )
    shown = api.get(f"/conversations/{sent['conversation_id']}").json()
    assert [c["id"] for c in shown["contacts"]["contacts"]] == [ann["id"]]


def test_before_2_14_to_is_one_object_and_cc_bcc_are_ignored(api):
    ann, bob = factories.contact(api), factories.contact(api)
    body = {"message_type": "email", "subject": "Hi", "body": "hi", "from": {"type": "admin", "id": _admin_id(api)}}
    listed = api.at("2.13").post("/messages", json={**body, "to": [_recipient(ann), _recipient(bob)]})
    assert _error(listed) == (400, "parameter_invalid", "to must be an object")
    copied = _message(
        api.at("2.13"),
        _recipient(ann),
        cc=[{"type": "user", "id": "6657ac8a6abd0166b52ae266"}],
        bcc="anything",
        create_conversation_without_contact_reply=True,
    )
    shown = api.at("2.16").get(f"/conversations/{copied['conversation_id']}").json()
    assert shown["source"]["recipients"] == [{"type": "to", "email": ann["email"], "drop_reason": None}]


# -- 2.16: WhatsApp messages ----------------------------------------------------------------------------

WHATSAPP = {  # the 2.16 description's "admin whatsapp message created" request example
    "to": {"phone": 5547999998888, "name": "John Doe"},
    "message_type": "whatsapp",
    "components": [{"type": "BODY", "parameters": [{"type": "text", "text": "Username 123"}]}],
    "template": "keep_live",
    "locale": "en",
}


def test_a_whatsapp_message_is_refused_since_inboxd_has_no_whatsapp_channel(api):
    sent = {**WHATSAPP, "from": {"type": "admin", "id": _admin_id(api)}}
    refused = api.at("2.16").post("/messages", json=sent)
    assert refused.status_code == 400
    [error] = refused.json()["errors"]
    assert (error["code"], error["field"]) == ("unsupported", "message_type")
    assert "WhatsApp" in error["message"]
    # Before 2.16 whatsapp is no message type at all, refused as every unknown one is.
    older = api.at("2.15").post("/messages", json=sent)
    assert _error(older) == (
        400,
        "parameter_invalid",
        "message_type must be one of 'in_app', 'inapp', 'email' or 'conversation'",
    )
    assert api.get("/conversations").json()["conversations"] == []


def test_a_company_cannot_be_given_since_inboxd_keeps_none(api):
    cid = factories.conversation(api)["id"]
    given = api.at("2.14").put(f"/conversations/{cid}", json={"company_id": "5f4d3c1c", "read": True})
    assert _error(given) == (404, "company_not_found", "Company Not Found")
    assert api.get(f"/conversations/{cid}").json()["read"] is False  # nothing of the update was kept
    removed = api.at("2.14").put(f"/conversations/{cid}", json={"company_id": None, "read": True})
    assert removed.status_code == 200 and removed.json()["read"] is True
    # Unknown before 2.14: ignored.
    assert api.at("2.13").put(f"/conversations/{cid}", json={"company_id": "5f4d3c1c"}).status_code == 200


# -- 2.15: skip_notifications; 2.16: brand_id ------------------------------------------------------------


def test_skip_notifications_is_read_from_2_15_and_ignored_before(api):
    cid = factories.conversation(api)["id"]
    reply = {"message_type": "comment", "type": "admin", "admin_id": _admin_id(api), "body": "Hello"}
    assert (
        api.at("2.15").post(f"/conversations/{cid}/reply", json={**reply, "skip_notifications": True}).status_code
        == 200
    )
    refused = api.at("2.15").post(f"/conversations/{cid}/reply", json={**reply, "skip_notifications": "yes"})
    assert _error(refused) == (400, "parameter_invalid", "skip_notifications must be a boolean")
    ignored = api.at("2.14").post(f"/conversations/{cid}/reply", json={**reply, "skip_notifications": "yes"})
    assert ignored.status_code == 200


def test_a_brand_cannot_be_given_since_inboxd_keeps_none(api):
    contact = factories.contact(api)
    body = {"from": {"type": "user", "id": contact["id"]}, "body": "hi", "brand_id": "123"}
    assert _error(api.at("2.16").post("/conversations", json=body)) == (404, "not_found", "Brand Not Found")
    assert api.at("2.15").post("/conversations", json=body).status_code == 200  # unknown there: ignored
    assert api.get("/conversations").json()["total_count"] == 1


# -- 2.16: priority levels in a search ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "query", "finds"),
    [
        ("2.16", {"field": "priority", "operator": "=", "value": "none"}, True),
        ("2.16", {"field": "priority", "operator": "=", "value": "high"}, False),
        ("2.16", {"field": "priority", "operator": "IN", "value": ["low", "urgent"]}, False),
        ("2.15", {"field": "priority", "operator": "=", "value": "not_priority"}, True),
        ("2.15", {"field": "priority", "operator": "=", "value": "priority"}, False),
        ("2.15", {"field": "priority", "operator": "!=", "value": "priority"}, True),
        ("2.10", {"field": "priority", "operator": "IN", "value": ["priority", "not_priority"]}, True),
        ("2.10", {"field": "priority", "operator": "NIN", "value": ["not_priority"]}, False),
        (
            "2.10",
            {"operator": "AND", "value": [{"field": "priority", "operator": "!=", "value": "not_priority"}]},
            False,
        ),
    ],
)
def test_a_search_on_priority_speaks_the_version_asked_for(api, version, query, finds):
    """No conversation inboxd writes has a priority: each is `none`, `not_priority` before 2.16."""
    cid = factories.conversation(api)["id"]
    found = api.at(version).post("/conversations/search", json={"query": query})
    assert found.status_code == 200, found.text
    assert [c["id"] for c in found.json()["conversations"]] == ([cid] if finds else [])


# -- query parameters: 2.11's page; 2.14's include_translations; 2.16's include_* ---------------------


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [contact["id"] for contact in response.json()["data"]]


def test_2_11_lists_contacts_by_page_number_and_its_cursor_walks_on_from_there(api):
    for _ in range(7):
        factories.contact(api)
    by_cursor, cursor = [], None
    while True:
        page = api.get("/contacts?per_page=3" + (f"&starting_after={cursor}" if cursor else "")).json()
        by_cursor.append([contact["id"] for contact in page["data"]])
        cursor = page["pages"].get("next", {}).get("starting_after")
        if cursor is None:
            break
    older = api.at("2.11")
    second = older.get("/contacts?per_page=3&page=2")
    assert _ids(second) == by_cursor[1]
    assert second.json()["pages"]["page"] == 2 and second.json()["pages"]["total_pages"] == 3
    third = older.get(f"/contacts?per_page=3&starting_after={second.json()['pages']['next']['starting_after']}")
    assert _ids(third) == by_cursor[2] and third.json()["pages"]["page"] == 3
    assert _ids(older.get("/contacts?per_page=3&page=4")) == []
    # A cursor says where to go on, whatever page number comes with it.
    assert (
        _ids(
            older.get(f"/contacts?per_page=3&page=3&starting_after={second.json()['pages']['next']['starting_after']}")
        )
        == by_cursor[2]
    )


@pytest.mark.parametrize("version", ["2.10", "2.12", "2.16"])
def test_a_page_number_is_a_parameter_2_11_alone_reads(api, version):
    for _ in range(4):
        factories.contact(api)
    first = _ids(api.at(version).get("/contacts?per_page=2"))
    assert _ids(api.at(version).get("/contacts?per_page=2&page=2")) == first
    assert api.at(version).get("/contacts?page=abc").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=abc", "page must be an integer"),
        ("page=0", "page must be between 1 and 501"),
        ("page=502", "page must be between 1 and 501"),
        ("per_page=150&page=68", "page must be between 1 and 67"),
    ],
)
def test_a_page_number_that_is_not_one_or_skips_too_far_is_400(api, query, message):
    response = api.at("2.11").get(f"/contacts?{query}")
    assert _error(response) == (400, "parameter_invalid", message)
    assert response.json()["errors"][0]["field"] == "page"


def test_2_16_shows_a_users_empty_merge_history_when_asked(api):
    user, lead = factories.contact(api), factories.contact(api, role="lead")
    newest = api.at("2.16")
    shown = newest.get(f"/contacts/{user['id']}?include_merge_history=true").json()
    assert shown["merge_history"] == []
    assert "merge_history" not in newest.get(f"/contacts/{lead['id']}?include_merge_history=true").json()
    assert "merge_history" not in newest.get(f"/contacts/{user['id']}?include_merge_history=false").json()
    listed = newest.get("/contacts?include_merge_history=true").json()["data"]
    assert {c["id"]: "merge_history" in c for c in listed} == {user["id"]: True, lead["id"]: False}
    # Before 2.16 the parameter is unknown: ignored, whatever its value.
    older = api.at("2.15").get(f"/contacts/{user['id']}?include_merge_history=yes")
    assert older.status_code == 200 and "merge_history" not in older.json()


@pytest.mark.parametrize(
    ("version", "path", "parameter"),
    [
        ("2.14", "/conversations/{id}", "include_translations"),
        ("2.16", "/contacts/{contact}", "include_merge_history"),
        ("2.16", "/contacts", "include_merge_history"),
    ],
)
def test_a_flag_that_is_not_a_boolean_is_400_in_the_versions_that_have_it(api, version, path, parameter):
    conversation = factories.conversation(api)
    path = path.format(id=conversation["id"], contact=conversation["contacts"]["contacts"][0]["id"])
    for value in ("true", "false"):
        assert api.at(version).get(f"{path}?{parameter}={value}").status_code == 200
    response = api.at(version).get(f"{path}?{parameter}=yes")
    assert _error(response) == (400, "parameter_invalid", f"{parameter} must be a boolean")


def test_include_translations_leaves_parts_as_written_and_is_unknown_before_2_14(api):
    conversation = factories.conversation(api)
    path = f"/conversations/{conversation['id']}"
    as_written = api.at("2.14").get(path).json()
    assert api.at("2.14").get(f"{path}?include_translations=true").json() == as_written
    # Read from the render cache or drawn, the refusal is the same.
    for _ in range(2):
        assert api.at("2.14").get(f"{path}?include_translations=1").status_code == 400
    assert api.at("2.13").get(f"{path}?include_translations=1").status_code == 200


@pytest.mark.parametrize("parameter", ["include_monitors", "include_scorecards"])
def test_2_16_searches_read_the_qa_flags_and_always_show_the_empty_qa_lists(api, parameter):
    factories.conversation(api)
    search = {"query": {"field": "open", "operator": "=", "value": True}}
    asked = api.at("2.16").post(f"/conversations/search?{parameter}=true", json=search)
    assert asked.status_code == 200, asked.text
    [found] = asked.json()["conversations"]
    assert (found["monitor_evaluations"], found["scorecards"]) == ([], [])
    refused = api.at("2.16").post(f"/conversations/search?{parameter}=maybe", json=search)
    assert _error(refused) == (400, "parameter_invalid", f"{parameter} must be a boolean")
    assert api.at("2.15").post(f"/conversations/search?{parameter}=maybe", json=search).status_code == 200


@pytest.mark.parametrize(("version", "status"), [("2.10", 200), ("2.11", 400), ("2.12", 200), ("2.16", 200)])
def test_only_2_11_requires_a_search_pagination_to_say_how_many_per_page(api, version, status):
    factories.conversation(api)
    search = {"query": {"field": "open", "operator": "=", "value": True}, "pagination": {"starting_after": None}}
    response = api.at(version).post("/conversations/search", json=search)
    assert response.status_code == status, response.text
    if status == 400:
        assert _error(response) == (400, "parameter_not_found", "pagination.per_page is a required parameter")
    sized = {**search, "pagination": {"per_page": 5}}
    assert api.at(version).post("/conversations/search", json=sized).status_code == 200
