"""Contacts: `POST /contacts`, `GET /contacts/{id}`, `GET /contacts`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from inboxd.api import cursors
from inboxd.api.bodies import parse_count
from inboxd.api.http import Call, endpoint, json, per_page
from inboxd.api.types import Int64, Request, StrictBool, StrictStr
from inboxd.operations import contacts as operations
from inboxd.render import contacts as render


class CreateContact(Request):
    role: StrictStr | None = None
    external_id: StrictStr | None = None
    email: StrictStr | None = None
    phone: StrictStr | None = None
    name: StrictStr | None = None
    avatar: StrictStr | None = None
    signed_up_at: Int64 | None = None
    last_seen_at: Int64 | None = None
    owner_id: Int64 | None = None
    unsubscribed_from_emails: StrictBool | None = None
    custom_attributes: dict[str, Any] | None = None


@endpoint(write=True)
def create(call: Call) -> Response:
    request = call.parsed(CreateContact)
    contact = operations.create(call.store, call.now, request.model_dump())
    return json(render.contact(contact, call.workspace.id_code, call.version))


@endpoint(write=False)
def retrieve(call: Call) -> Response:
    contact = call.store.contacts.require(call.path["id"])
    return json(render.contact(contact, call.workspace.id_code, call.version, call.flag("include_merge_history")))


@endpoint(write=False)
def list_all(call: Call) -> Response:
    contacts = call.store.contacts
    limit, cursor = per_page(call), call.query("starting_after")
    # A page asked for by number skips the pages before it, unless a cursor says where to go on.
    number = parse_count(call.query("page"), "page", 1, cursors.MAX_SKIPPED // limit + 1)
    skipped = 0 if cursor else (number - 1) * limit
    page = cursors.walk(
        cursor,
        limit,
        (int, str),
        lambda n, after: contacts.page(n, after, skipped),
        lambda row: [row["created_at"], row["id"]],
        first=1 if cursor else number,
    )
    merge_history = call.flag("include_merge_history")
    return json(render.contact_list(page, call.workspace.id_code, contacts.count(), call.version, merge_history))
