"""Writing conversation parts: reply (admin or contact), manage (close, snooze, open, assign), redact."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator
from starlette.responses import Response

from inboxd.api.bodies import parse
from inboxd.api.conversations import conversation_answer
from inboxd.api.http import Call, endpoint
from inboxd.api.messages import last_conversation
from inboxd.api.types import IdStr, Int64, Request, StrictStr
from inboxd.domain import attachments as attachment_rules
from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import Forbidden, IntercomError, NotFound, ParameterInvalid, ParameterNotFound
from inboxd.domain.ids import parse_numeric_id
from inboxd.operations import snoozes
from inboxd.render.attachments import STORED_KEYS


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class _Reply(Request):
    body: StrictStr
    attachment_urls: list[StrictStr] = Field(default_factory=list, max_length=domain.MAX_ATTACHMENT_URLS)
    attachment_files: list[dict[str, Any]] = Field(default_factory=list, max_length=10)

    _body = field_validator("body")(_not_blank)


class AdminReply(_Reply):
    type: Literal["admin"]
    message_type: Literal["comment", "note"]
    admin_id: IdStr
    created_at: Int64 | None = None


class ContactReply(_Reply):
    type: Literal["user", "lead", "contact"]
    message_type: Literal["comment"]
    intercom_user_id: IdStr | None = None
    user_id: IdStr | None = None
    email: StrictStr | None = None


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


def _store_files(call: Call, files: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Keep uploaded files in the database, in this request's transaction; the part keeps their
    description (with the token), and render/ builds their URL from the request it answers."""
    if not files:
        return ()
    saved = (call.store.attachments.save(new, call.now) for new in attachment_rules.prepare(files))
    return tuple({key: row[key] for key in STORED_KEYS} for row in saved)


def _admin(call: Call, admin_id: str) -> Actor:
    return Actor("admin", str(call.store.admins.require(admin_id)["id"]))


def _contact(call: Call, request: ContactReply) -> dict[str, Any]:
    contacts = call.store.contacts
    if request.intercom_user_id is not None:
        return contacts.require(request.intercom_user_id)
    found = None
    if request.user_id is not None:
        found = contacts.find(external_id=request.user_id)
    elif request.email is not None:
        found = contacts.find(email=request.email)
    else:
        raise ParameterNotFound(
            "intercom_user_id, user_id or email is required to reply as a contact", field="intercom_user_id"
        )
    if found is None:
        raise NotFound("User Not Found")
    return found


@endpoint(write=True)
def reply(call: Call) -> Response:
    model = _choose(
        call.body, "type", {"admin": AdminReply, "user": ContactReply, "lead": ContactReply, "contact": ContactReply}
    )
    request = parse(model, call.body)
    assert isinstance(request, _Reply)
    conversations = call.store.conversations
    attachments = domain.url_attachments(request.attachment_urls) + _store_files(call, request.attachment_files)
    if isinstance(request, AdminReply):
        if call.path["id"] == "last":
            raise ParameterInvalid("only a contact can reply to its last conversation", field="id")
        admin = _admin(call, request.admin_id)
        conversation = snoozes.current(call.store, conversations.parse_id(call.path["id"]), call.now)
        change = domain.reply_as_admin(
            conversation, admin, request.message_type, request.body, attachments, call.now, request.created_at
        )
    else:
        assert isinstance(request, ContactReply)
        contact = _contact(call, request)
        if call.path["id"] == "last":
            # The newest admin message (POST /messages) the contact has not answered turns into its
            # conversation here, when nothing the contact took part in moved since it was sent.
            latest = last_conversation(call.store, contact["id"])
            if latest is None:
                raise NotFound("Resource Not Found")
            conversation = snoozes.current(call.store, latest, call.now)
        else:
            conversation = snoozes.current(call.store, conversations.parse_id(call.path["id"]), call.now)
        if contact["id"] not in conversations.contact_ids(conversation.id or 0):
            raise Forbidden("The contact is not a participant of this conversation")
        change = domain.reply_as_contact(
            conversation, Actor(contact["role"], contact["id"]), request.body, attachments, call.now
        )
    conversations.apply(conversation, change)
    return conversation_answer(call, conversation.id or 0)


@endpoint(write=True)
def manage(call: Call) -> Response:
    model = _choose(call.body, "message_type", {"close": Close, "snoozed": Snooze, "open": Open, "assignment": Assign})
    request = parse(model, call.body)
    assert isinstance(request, Close | Snooze | Open | Assign)
    conversations = call.store.conversations
    conversation = snoozes.current(call.store, conversations.parse_id(call.path["id"]), call.now)
    admin = _admin(call, request.admin_id)
    if isinstance(request, Close):
        change = domain.close(conversation, admin, request.body, call.now)
    elif isinstance(request, Snooze):
        change = domain.snooze(conversation, admin, request.snoozed_until, call.now)
    elif isinstance(request, Open):
        change = domain.open_(conversation, admin, call.now)
    else:
        assert isinstance(request, Assign)
        change = domain.assign(conversation, admin, _assignee(call, request), request.body, call.now)
    conversations.apply(conversation, change)
    return conversation_answer(call, conversation.id or 0)


def _assignee(call: Call, request: Assign) -> Actor:
    """The admin or team to assign to; ``"0"`` unassigns (Intercom's convention)."""
    if request.assignee_id.strip() == "0":
        return Actor(request.type, None)
    if request.type == "team":
        team = call.store.teams.get(parse_numeric_id(request.assignee_id) or 0)
        if team is None:
            raise NotFound("Assignee not found", code="assignee_not_found", field="assignee_id")
        return Actor("team", str(team["id"]))
    admin = call.store.admins.get(parse_numeric_id(request.assignee_id) or 0)
    if admin is None:
        raise NotFound("Assignee not found", code="assignee_not_found", field="assignee_id")
    return Actor("admin", str(admin["id"]))


_REDACT_NOT_FOUND = NotFound("Conversation part or message not found", code="conversation_part_or_message_not_found")


@endpoint(write=True)
def redact(call: Call) -> Response:
    request = parse(Redact, call.body)
    conversations = call.store.conversations
    conversation_id = parse_numeric_id(request.conversation_id)
    row = conversations.get_row(conversation_id) if conversation_id else None
    if row is None:
        raise _REDACT_NOT_FOUND
    if request.type == "conversation_part":
        if request.conversation_part_id is None:
            raise ParameterNotFound("conversation_part_id is a required parameter", field="conversation_part_id")
        part = conversations.part(row["id"], parse_numeric_id(request.conversation_part_id) or 0)
        if part is None:
            raise _REDACT_NOT_FOUND
        if not part["redacted"]:
            if not part["body"]:
                raise _not_redactable("a conversation part without a body")
            call.store.attachments.delete([a["token"] for a in part["attachments"] if "token" in a])
            conversations.redact_part(row["id"], part["id"], call.now)
    else:
        if request.source_id is None:
            raise ParameterNotFound("source_id is a required parameter", field="source_id")
        if parse_numeric_id(request.source_id) != row["source_id"]:
            raise _REDACT_NOT_FOUND
        if not row["source_redacted"]:
            if row["source_author_type"] not in domain.CONTACT_TYPES:
                raise _not_redactable("a source message not written by a contact")
            conversations.redact_source(row["id"])
    return conversation_answer(call, row["id"])


def _not_redactable(what: str) -> IntercomError:
    return IntercomError(f"Cannot redact {what}", code="conversation_part_not_redactable")
