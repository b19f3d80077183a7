"""Writing conversation parts: reply (admin or contact), manage (close, snooze, open, assign), redact."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field, field_validator

from inboxd.api.bodies import parse
from inboxd.api.conversations import conversation_answer
from inboxd.api.http import Answer, Call, endpoint
from inboxd.api.types import IdStr, Int64, Request, StrictBool, StrictStr
from inboxd.domain.attachments import MAX_ATTACHMENT_URLS
from inboxd.domain.conversations import MAX_QUICK_REPLY_OPTIONS, QuickReply
from inboxd.domain.errors import ParameterInvalid, ParameterNotFound
from inboxd.operations import conversation_parts as parts
from inboxd.operations.contacts import ContactRef


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class ReplyOption(Request):
    """A quick reply option: its button's text and its id."""

    text: StrictStr
    uuid: StrictStr

    @field_validator("uuid")
    @classmethod
    def _a_uuid(cls, value: str) -> str:
        try:
            uuid.UUID(value)
        except ValueError:
            raise ValueError("must be a UUID") from None
        return value

    def option(self) -> QuickReply:
        return QuickReply(self.text, self.uuid)


class _Reply(Request):
    body: StrictStr
    attachment_urls: list[StrictStr] = Field(default_factory=list, max_length=MAX_ATTACHMENT_URLS)
    attachment_files: list[dict[str, Any]] = Field(default_factory=list, max_length=10)
    created_at: Int64 | None = None

    _body = field_validator("body")(_not_blank)


class AdminReply(_Reply):
    kind = "admin_reply_conversation_request"
    type: Literal["admin"]
    message_type: Literal["comment", "note", "quick_reply"]
    admin_id: IdStr
    skip_notifications: StrictBool | None = None  # inboxd notifies nobody: nothing to skip


class AdminQuickReply(AdminReply):
    """Buttons for the contact to answer with; the text is optional."""

    body: StrictStr | None = None  # type: ignore[assignment]
    message_type: Literal["quick_reply"]
    reply_options: list[ReplyOption] = Field(min_length=1, max_length=MAX_QUICK_REPLY_OPTIONS)


class ContactReply(_Reply):
    kind = "contact_reply_base_request"
    type: Literal["user", "lead", "contact"]
    # quick_reply: the descriptions' own example of a contact's quick reply sends it (2.14 on).
    message_type: Literal["comment", "quick_reply"]
    intercom_user_id: IdStr | None = None
    user_id: IdStr | None = None
    email: StrictStr | None = None


class ContactQuickReply(ContactReply):
    """The option a contact answers with: its text is the comment when there is no body."""

    body: StrictStr | None = None  # type: ignore[assignment]
    reply_options: list[ReplyOption] = Field(min_length=1, max_length=1)


class Close(Request):
    message_type: Literal["close"]
    type: Literal["admin"] | None = None
    admin_id: IdStr
    body: StrictStr | None = None


class Snooze(Request):
    message_type: Literal["snoozed"]
    admin_id: IdStr
    snoozed_until: Int64


class Open(Request):
    message_type: Literal["open"]
    admin_id: IdStr


class Assign(Request):
    message_type: Literal["assignment"]
    type: Literal["admin", "team"]
    admin_id: IdStr
    assignee_id: IdStr
    body: StrictStr | None = None


class Redact(Request):
    type: Literal["conversation_part", "source"]
    conversation_id: IdStr
    conversation_part_id: IdStr | None = None
    source_id: IdStr | None = None


def _choose(body: dict[str, Any], key: str, models: dict[str, type[Request]]) -> type[Request]:
    """The request model named by ``body[key]`` (Intercom's requests are unions keyed this way)."""
    value = body.get(key)
    if value is None:
        raise ParameterNotFound(f"{key} is a required parameter", field=key)
    if not isinstance(value, str) or value not in models:
        raise ParameterInvalid(f"{key} must be one of {', '.join(repr(m) for m in models)}", field=key)
    return models[value]


def _reply_model(call: Call) -> tuple[type[AdminReply | ContactReply], dict[str, Any]]:
    """Who replies (``type``), then, in the body as the newest version reads it, whether it is a
    quick reply: its options (an admin's) or the option chosen (a contact's)."""
    model = _choose(
        call.body, "type", {"admin": AdminReply, "user": ContactReply, "lead": ContactReply, "contact": ContactReply}
    )
    assert issubclass(model, AdminReply | ContactReply) and model.kind is not None
    body = call.sent(model.kind)
    if model is AdminReply and body.get("message_type") == "quick_reply":
        return AdminQuickReply, body
    if model is ContactReply and body.get("reply_options") is not None:
        return ContactQuickReply, body
    return model, body


@endpoint(write=True)
def reply(call: Call) -> Answer:
    model, body = _reply_model(call)
    request = parse(model, body)
    store, now, conversation_id = call.store, call.now, call.path["id"]
    attached = parts.attachments(store, now, request.attachment_urls, request.attachment_files)
    if isinstance(request, AdminReply):
        options = tuple(o.option() for o in request.reply_options) if isinstance(request, AdminQuickReply) else ()
        changed = parts.reply_as_admin(
            store,
            now,
            conversation_id,
            request.admin_id,
            request.message_type,
            request.body,
            attached,
            request.created_at,
            options,
        )
    else:
        who = ContactRef(request.intercom_user_id, request.user_id, request.email)
        chosen = request.reply_options[0].option() if isinstance(request, ContactQuickReply) else None
        changed = parts.reply_as_contact(
            store, now, conversation_id, who, request.body, attached, request.created_at, chosen
        )
    return conversation_answer(call, changed)


@endpoint(write=True)
def manage(call: Call) -> Answer:
    model = _choose(call.body, "message_type", {"close": Close, "snoozed": Snooze, "open": Open, "assignment": Assign})
    request = call.parsed(model)
    store, now, conversation_id = call.store, call.now, call.path["id"]
    if isinstance(request, Close):
        changed = parts.close(store, now, conversation_id, request.admin_id, request.body)
    elif isinstance(request, Snooze):
        changed = parts.snooze(store, now, conversation_id, request.admin_id, request.snoozed_until)
    elif isinstance(request, Open):
        changed = parts.open_(store, now, conversation_id, request.admin_id)
    else:
        assert isinstance(request, Assign)
        changed = parts.assign(
            store, now, conversation_id, request.admin_id, request.type, request.assignee_id, request.body
        )
    return conversation_answer(call, changed)


@endpoint(write=True)
def redact(call: Call) -> Answer:
    request = call.parsed(Redact)
    if request.type == "conversation_part":
        changed = parts.redact_part(call.store, call.now, request.conversation_id, request.conversation_part_id)
    else:
        changed = parts.redact_source(call.store, call.now, request.conversation_id, request.source_id)
    return conversation_answer(call, changed)
