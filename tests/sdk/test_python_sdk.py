"""Intercom's official Python SDK (python-intercom, pinned in pyproject.toml) drives a real
`inboxd serve` through its public client only, as a user's code would: `Intercom(token=...,
base_url=...)`, once over SQLite and once over PostgreSQL.

Every answer is checked twice: the SDK's own parse must succeed (it builds its models without
validating them), and the JSON must also *validate* into the model the SDK declares for that call.
The SDK is generated from a newer API version than 2.10; where its models expect a 2.10 answer to
look different, the difference is listed in `VERSION_DIFFERENCES` and explained in
docs/compatibility-notes.md (the "Official SDKs" section of docs/compatibility.md).

The SDK's transport is its own `httpx` (not httpx2); the test passes it an `httpx.Client` with a
response hook, a constructor argument of the public client, to see the JSON each call received.
"""

from __future__ import annotations

import time
import typing
from collections.abc import Iterator
from typing import Any

import httpx
import intercom
import pydantic
import pytest
from intercom import (
    AdminReplyConversationRequest,
    ContactReplyEmailRequest,
    ContactReplyIntercomUserIdRequest,
    ConversationsManageRequestBody_Assignment,
    ConversationsManageRequestBody_Close,
    ConversationsManageRequestBody_Open,
    ConversationsManageRequestBody_Snoozed,
    CreateContactRequestWithEmail,
    CreateContactRequestWithRole,
    CreateOrUpdateTagRequest,
    CreateTicketTypeRequest,
    Intercom,
    MultipleFilterSearchRequest,
    QuickReplyOption,
    RedactConversationRequest_ConversationPart,
    RedactConversationRequest_Source,
    SingleFilterSearchRequest,
    StartingAfterPaging,
)
from intercom.conversations import AttachContactToConversationRequestCustomerIntercomUserId
from intercom.conversations.types.conversation import Conversation
from intercom.conversations.types.create_conversation_request_from import CreateConversationRequestFrom
from intercom.core.api_error import ApiError
from intercom.core.pydantic_utilities import parse_obj_as

from tests.sdk.conftest import TOKEN

SDK_VERSION = "5.0.1"  # the pin in pyproject.toml; a new SDK is a new review of the differences

# Where the SDK's models (a newer API version) and 2.10 disagree: (path suffix, pydantic error type).
# Each is a 2.10 answer inboxd gives on purpose; docs/compatibility-notes.md says why.
VERSION_DIFFERENCES = {
    (("teammates", "admins"), "missing"): "2.10 lists the teammates under `teammates`, newer versions under `admins`",
    (("team_assignee_id",), "string_type"): "2.10 types `team_assignee_id` as an integer, newer versions as a string",
    (("ticket_state",), "model_type"): "2.10 sends `ticket_state` as a string, newer versions as an object",
}


def test_the_pinned_sdk_is_installed():
    assert intercom.__version__ == SDK_VERSION  # type: ignore[attr-defined]


class Recorder:
    """The JSON of every response the SDK received, in order (an httpx response hook)."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.bodies.append(response.json() if response.content else None)


class Sdk:
    """The SDK's client, and a check that each call's JSON validates into the declared model."""

    def __init__(self, base_url: str, token: str = TOKEN) -> None:
        self.base_url = base_url
        self.recorder = Recorder()
        self.http = httpx.Client(event_hooks={"response": [self.recorder]}, timeout=30.0)
        self.client = Intercom(token=token, base_url=base_url, httpx_client=self.http)

    def __call__(self, model: Any, result: Any) -> Any:
        """``result`` is what the SDK call returned; its JSON must validate into ``model``."""
        body = self.recorder.bodies[-1]
        try:
            parse_obj_as(model, body)
        except pydantic.ValidationError as exc:
            unexpected = [e for e in exc.errors() if not _known_difference(e)]
            assert not unexpected, f"the SDK's {model} does not validate the answer: {unexpected}"
        return result


def _known_difference(error: Any) -> bool:
    loc = tuple(str(part) for part in error["loc"])
    return any(loc[-len(suffix) :] == suffix and error["type"] == kind for suffix, kind in VERSION_DIFFERENCES)


@pytest.fixture
def sdk(server: str) -> Iterator[Sdk]:
    client = Sdk(server)
    yield client
    client.http.close()


def test_a_support_conversation_through_the_sdk(sdk: Sdk) -> None:
    c = sdk.client
    me = sdk(typing.Optional[intercom.AdminWithApp], c.admins.identify())  # noqa: UP045 - the SDK's own annotation
    admin_id = me.id
    admins = sdk(intercom.AdminList, c.admins.list())
    other_admin = next(a.id for a in admins.admins if a.id != admin_id)
    sdk(typing.Optional[intercom.Admin], c.admins.find(int(other_admin)))  # noqa: UP045
    team = sdk(intercom.TeamList, c.teams.list()).teams[0]
    sdk(intercom.Team, c.teams.find(team.id))

    # Contacts: a user by email, a lead by role; read back and listed page by page.
    jane = sdk(
        intercom.ContactsCreateResponse,
        c.contacts.create(request=CreateContactRequestWithEmail(email="jane@example.test", name="Jane")),
    )
    lead = sdk(intercom.ContactsCreateResponse, c.contacts.create(request=CreateContactRequestWithRole(role="lead")))
    assert sdk(intercom.ContactsFindResponse, c.contacts.find(jane.id)).email == "jane@example.test"
    listed_contacts = [contact.id for contact in c.contacts.list(per_page=1)]
    sdk(intercom.ContactList, None)
    assert {jane.id, lead.id} <= set(listed_contacts)

    # Jane starts three conversations; the list is walked one page at a time by the SDK's pager.
    started = [
        sdk(
            intercom.Message,
            c.conversations.create(from_=CreateConversationRequestFrom(type="user", id=jane.id), body=f"Help {n}"),
        )
        for n in range(3)
    ]
    ids = [message.conversation_id for message in started]
    assert all(message.type == "user_message" for message in started)
    pager = c.conversations.list(per_page=2)
    sdk(intercom.ConversationList, None)
    assert pager.has_next and len(pager.items or []) == 2
    assert sorted(conversation.id for conversation in pager) == sorted(ids)
    sdk(intercom.ConversationList, None)

    first = ids[0]
    shown = sdk(Conversation, c.conversations.find(first, display_as="plaintext"))
    assert shown.source.body == "Help 0" and shown.state == "open"
    updated = sdk(
        Conversation, c.conversations.update(first, read=True, title="Billing", custom_attributes={"plan": "pro"})
    )
    assert (updated.read, updated.title, updated.custom_attributes) == (True, "Billing", {"plan": "pro"})

    # Replies: the admin answers, Jane writes back (by id, then to her last conversation by email).
    answer = AdminReplyConversationRequest(message_type="comment", admin_id=admin_id, body="On it!")
    replied = sdk(Conversation, c.conversations.reply(first, request=answer))
    assert replied.waiting_since is None and replied.conversation_parts.conversation_parts[-1].body == "On it!"
    note = AdminReplyConversationRequest(message_type="note", admin_id=admin_id, body="internal")
    sdk(Conversation, c.conversations.reply(first, request=note))
    by_id = ContactReplyIntercomUserIdRequest(intercom_user_id=jane.id, body="Thanks")
    assert sdk(Conversation, c.conversations.reply(first, request=by_id)).waiting_since is not None
    last = ContactReplyEmailRequest(email="jane@example.test", body="One more thing")
    sdk(Conversation, c.conversations.reply("last", request=last))

    # Close, snooze, open, assign to an admin, to the team, and unassign.
    closed = sdk(
        Conversation,
        c.conversations.manage(first, request=ConversationsManageRequestBody_Close(admin_id=admin_id, body="Done")),
    )
    assert (closed.state, closed.open) == ("closed", False)
    until = int(time.time()) + 3600
    snooze = ConversationsManageRequestBody_Snoozed(admin_id=admin_id, snoozed_until=until)
    snoozed = sdk(Conversation, c.conversations.manage(first, request=snooze))
    assert (snoozed.state, snoozed.snoozed_until) == ("snoozed", until)
    opened = sdk(
        Conversation, c.conversations.manage(first, request=ConversationsManageRequestBody_Open(admin_id=admin_id))
    )
    assert opened.state == "open"
    for kind, assignee in (("admin", other_admin), ("team", team.id), ("admin", "0")):
        assign = ConversationsManageRequestBody_Assignment(type=kind, admin_id=admin_id, assignee_id=assignee)
        assigned = sdk(Conversation, c.conversations.manage(first, request=assign))
    assert assigned.admin_assignee_id is None and assigned.team_assignee_id == int(team.id)

    # Tags.
    tag = sdk(intercom.Tag, c.tags.create(request=CreateOrUpdateTagRequest(name="vip")))
    assert sdk(intercom.Tag, c.tags.tag_conversation(first, tag_id=tag.id, admin_id=admin_id)).name == "vip"
    assert [t.name for t in sdk(Conversation, c.conversations.find(first)).tags.tags] == ["vip"]
    sdk(intercom.Tag, c.tags.untag_conversation(first, tag.id, admin_id=admin_id))
    assert sdk(Conversation, c.conversations.find(first)).tags.tags == []
    assert [t.id for t in sdk(intercom.TagList, c.tags.list()).data] == [tag.id]
    sdk(intercom.Tag, c.tags.find(tag.id))

    # Participants: the lead joins and leaves again.
    customer = AttachContactToConversationRequestCustomerIntercomUserId(intercom_user_id=lead.id)
    attached = sdk(Conversation, c.conversations.attach_contact_as_admin(first, admin_id=admin_id, customer=customer))
    assert {p["id"] for p in attached.customers} == {jane.id, lead.id}  # type: ignore[attr-defined]
    detached = sdk(Conversation, c.conversations.detach_contact_as_admin(first, lead.id, admin_id=admin_id))
    assert [p["id"] for p in detached.customers] == [jane.id]  # type: ignore[attr-defined]

    # Search with nested filters; the second page is asked for by hand (see _search_pages).
    query = MultipleFilterSearchRequest(
        operator="AND",
        value=[
            MultipleFilterSearchRequest(
                operator="OR",
                value=[
                    SingleFilterSearchRequest(field="state", operator="=", value="open"),
                    SingleFilterSearchRequest(field="state", operator="=", value="snoozed"),
                ],
            ),
            MultipleFilterSearchRequest(
                operator="OR",
                value=[
                    SingleFilterSearchRequest(field="source.body", operator="~", value="Help"),
                    SingleFilterSearchRequest(field="contact_ids", operator="=", value=lead.id),
                ],
            ),
        ],
    )
    assert sorted(_search_pages(sdk, query, per_page=2)) == sorted(ids)

    # Redaction of a part and of the source.
    parts = sdk(Conversation, c.conversations.find(first)).conversation_parts.conversation_parts
    comment = next(p for p in parts if p.part_type == "comment" and p.author.type == "user")
    redact_part = RedactConversationRequest_ConversationPart(conversation_id=first, conversation_part_id=comment.id)
    redacted = sdk(Conversation, c.conversations.redact_conversation_part(request=redact_part))
    assert next(p for p in redacted.conversation_parts.conversation_parts if p.id == comment.id).redacted
    redact_source = RedactConversationRequest_Source(conversation_id=first, source_id=redacted.source.id)
    assert sdk(Conversation, c.conversations.redact_conversation_part(request=redact_source)).source.redacted

    # Convert to a ticket, and read the ticket back.
    ticket_type = sdk(
        typing.Optional[intercom.TicketType],  # noqa: UP045
        c.ticket_types.create(request=CreateTicketTypeRequest(name="Bug", category="Customer", icon="🐞")),
    )
    sdk(intercom.TicketTypeList, c.ticket_types.list())
    sdk(typing.Optional[intercom.TicketType], c.ticket_types.get(ticket_type.id))  # noqa: UP045
    ticket = sdk(
        typing.Optional[intercom.Ticket],  # noqa: UP045
        c.conversations.convert_to_ticket(int(ids[1]), ticket_type_id=ticket_type.id),
    )
    assert ticket.ticket_type.id == ticket_type.id
    again = sdk(typing.Optional[intercom.Ticket], c.tickets.get(ticket.id))  # noqa: UP045
    assert again.id == ticket.id

    # Assignment rules (none declared: nothing changes) and an admin's outbound message.
    sdk(Conversation, c.conversations.run_assignment_rules(ids[2]))
    message = intercom.CreateMessageRequest_Inapp(
        body="Hello from the team",
        from_=intercom.CreateMessageRequestFrom(id=int(admin_id)),
        to=intercom.CreateMessageRequestTo(type="user", id=jane.id),
    )
    assert sdk(intercom.Message, c.messages.create(request=message)).type == "admin_message"


def _search_pages(sdk: Sdk, query: Any, per_page: int) -> list[str]:
    """Every id a search finds. python-intercom 5.0.1's search pager asks for the *first* page again
    when told to go on (its `get_next` reuses the original `pagination`), so iterating the pager
    never ends, against Intercom as against inboxd; the cursor is passed by hand instead."""
    found: list[str] = []
    cursor = None
    while True:
        page = sdk.client.conversations.search(
            query=query, pagination=StartingAfterPaging(per_page=per_page, starting_after=cursor)
        )
        sdk(intercom.ConversationList, None)
        found += [conversation.id for conversation in page.items or []]
        pages = page.response.pages
        if pages is None or pages.next is None:
            return found
        cursor = pages.next.starting_after


def test_errors_reach_the_sdk_as_its_typed_exceptions(sdk: Sdk) -> None:
    with pytest.raises(intercom.NotFoundError) as missing:
        sdk.client.conversations.find("999999")
    assert missing.value.status_code == 404
    sdk(intercom.Error, None)
    refused = Sdk(sdk.base_url, token="not-a-token")
    try:
        with pytest.raises(intercom.UnauthorizedError) as unauthorized:
            refused.client.admins.list()
        assert unauthorized.value.body.errors[0].code == "unauthorized"
        refused(intercom.Error, None)
    finally:
        refused.http.close()


def test_what_the_sdk_sends_beyond_2_10(sdk: Sdk) -> None:
    """docs/compatibility-notes.md: fields of newer versions are ignored, a quick reply is refused."""
    c = sdk.client
    admin_id = c.admins.identify().id
    contact = c.contacts.create(request=CreateContactRequestWithEmail(email="newer@example.test"))
    started = c.conversations.create(
        from_=CreateConversationRequestFrom(type="user", id=contact.id), body="Imported", created_at=1_500_000_000
    )
    assert sdk(Conversation, c.conversations.find(started.conversation_id)).created_at > 1_500_000_000
    quick = AdminReplyConversationRequest(
        message_type="quick_reply",
        admin_id=admin_id,
        body="Pick one",
        reply_options=[QuickReplyOption(text="Yes", uuid_="1")],
    )
    with pytest.raises(ApiError) as refused:
        c.conversations.reply(started.conversation_id, request=quick)
    assert refused.value.status_code == 400
    assert refused.value.body["errors"][0]["field"] == "message_type"
