"""Conversations: create, list, retrieve, update."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator
from starlette.responses import Response

from inboxd.api import cursors
from inboxd.api.http import Call, endpoint, json, parse, per_page
from inboxd.api.types import IdStr, Request, StrictBool, StrictStr
from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.render import conversations as render
from inboxd.store.views import conversation_views


class From(Request):
    type: Literal["user", "lead", "contact"]
    id: IdStr


class CreateConversation(Request):
    from_: From = Field(alias="from")
    body: StrictStr
    subject: StrictStr | None = None
    attachment_urls: list[StrictStr] = Field(default_factory=list, max_length=domain.MAX_ATTACHMENT_URLS)

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class UpdateConversation(Request):
    read: StrictBool | None = None
    title: StrictStr | None = None
    custom_attributes: dict[str, Any] | None = None


def _plaintext(call: Call) -> bool:
    return call.query("display_as") == "plaintext"


def _render_one(call: Call, conversation_id: int) -> dict[str, Any]:
    row = call.store.conversations.require_row(conversation_id)
    [view] = conversation_views(call.store, [row], with_parts=True)
    return render.conversation(view, plaintext=_plaintext(call))


@endpoint(write=True)
def create(call: Call) -> Response:
    request = parse(CreateConversation, call.body)
    contact = call.store.contacts.require(request.from_.id)
    conversation, source = domain.start_by_contact(
        Actor(contact["role"], contact["id"]), request.body, request.subject, request.attachment_urls, call.now
    )
    conversation_id = call.store.conversations.create(conversation, source, [contact["id"]])
    return json(render.user_message(conversation_id, call.now, request.body, source.subject))


@endpoint(write=False)
def list_all(call: Call) -> Response:
    conversations = call.store.conversations
    page = cursors.walk(
        call.query("starting_after"),
        per_page(call),
        (int, int),
        conversations.page,
        lambda row: [row["updated_at"], row["id"]],
    )
    views = conversation_views(call.store, page.rows)
    return json(render.conversation_list(views, page, conversations.count()))


@endpoint(write=False)
def retrieve(call: Call) -> Response:
    conversation_id = call.store.conversations.parse_id(call.path["id"])
    return json(_render_one(call, conversation_id))


@endpoint(write=True)
def update(call: Call) -> Response:
    request = parse(UpdateConversation, call.body)
    conversation = call.store.conversations.require(call.store.conversations.parse_id(call.path["id"]))
    change = domain.update_attributes(
        conversation,
        Actor("bot", str(call.store.admins.operator_id())),
        call.now,
        read=request.read,
        title=request.title,
        custom_attributes=request.custom_attributes,
    )
    call.store.conversations.apply(conversation, change.conversation, change.parts)
    return json(_render_one(call, conversation.id or 0))
