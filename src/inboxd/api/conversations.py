"""Conversations: create, list, retrieve, update."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import Field, field_validator
from sqlalchemy import Connection
from starlette.requests import Request as HttpRequest
from starlette.responses import Response

from inboxd.api import cursors
from inboxd.api.attachments import base_url
from inboxd.api.http import Call, after_commit, endpoint, json, parse, parse_per_page, per_page
from inboxd.api.render_cache import RenderCache
from inboxd.api.types import IdStr, Request, StrictBool, StrictStr
from inboxd.domain import contacts as contact_rules
from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import IntercomError, NotFound, ParameterNotFound, UnprocessableEntity
from inboxd.domain.ids import parse_numeric_id
from inboxd.render import conversations as render
from inboxd.render import tags as render_tags
from inboxd.render.pages import Page
from inboxd.search import query as search_query
from inboxd.store.documents import DocumentWriter, Offer
from inboxd.store.hot import HotReads
from inboxd.store.scope import Store
from inboxd.store.views import conversation_views
from inboxd.store.workspaces import WorkspaceRef


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


def render_conversation(call: Call, conversation_id: int) -> dict[str, Any]:
    """The conversation as `GET /conversations/{id}` shows it: what every write answers with."""
    row = call.store.conversations.require_row(conversation_id)
    [view] = conversation_views(call.store, [row], with_parts=True)
    return render.conversation(view, plaintext=_plaintext(call), base_url=base_url(call.request))


def _render_conversations(
    store: Store, conversation_ids: list[int], plaintext: bool, base: str
) -> list[dict[str, Any]]:
    """Several conversations as GET shows each, read together (the answers of a batch of writes)."""
    rows = store.conversations.rows(conversation_ids)
    if len(rows) != len(conversation_ids):
        raise NotFound("Resource Not Found")
    return [
        render.conversation(view, plaintext=plaintext, base_url=base)
        for view in conversation_views(store, rows, with_parts=True)
    ]


@endpoint(write=True)
def create(call: Call) -> Response:
    request = parse(CreateConversation, call.body)
    contact = call.store.contacts.require(request.from_.id)
    conversation, source = domain.start_by_contact(
        Actor(contact["role"], contact["id"]), request.body, request.subject, request.attachment_urls, call.now
    )
    message_id = call.store.messages.create(
        kind="user_message",
        message_type="inapp",
        subject=source.subject,
        body=source.body,
        author_type=contact["role"],
        author_id=contact["id"],
        contact_id=contact["id"],
        created_at=call.now,
    )
    conversation_id = call.store.conversations.create(conversation, source, message_id, [contact["id"]])
    call.store.messages.link(message_id, conversation_id)
    return json(render.message(call.store.messages.require(message_id)))


def _document_key(workspace_id: int, conversation_id: int, plaintext: bool, base: str) -> tuple[int, int, bool, str]:
    """Where GET /conversations/{id}'s document is kept in the render cache."""
    return (workspace_id, conversation_id, plaintext, base)


def _list_item_key(workspace_id: int, conversation_id: int, base: str) -> tuple[int, int, str, str]:
    return (workspace_id, conversation_id, "list item", base)


async def cached_list(request: HttpRequest, workspace: WorkspaceRef, digest: str, now: int) -> Response | None:
    """A page of `GET /conversations` assembled from cached list items, when one statement gives
    the page's keys and versions and every item of that version is cached (store/hot.py); else
    None, and :func:`list_all` renders (and caches) the page."""
    try:
        limit = parse_per_page(request.query_params.get("per_page"))
        cursor = request.query_params.get("starting_after")
        after, number = cursors.decode(cursor, (int, int)) if cursor else (None, 0)
    except IntercomError:
        return None  # the ordinary path says what is wrong
    hot: HotReads = request.app.state.hot_reads
    found = await hot.conversation_page(digest, workspace.id, now, limit + 1, after)
    if found is None:
        return None
    total, rows = found
    cache: RenderCache = request.app.state.render_cache
    base = base_url(request)
    # The whole page, valid while the count and every row's (id, version, updated_at) are the same.
    page_key = (workspace.id, "list page", limit, cursor or "", base)
    drawn_from = (total, tuple(rows))
    page = cache.get(page_key, drawn_from)
    if page is None:
        items = []
        for conversation_id, version, _ in rows[:limit]:
            document = cache.get(_list_item_key(workspace.id, conversation_id, base), version)
            if document is None:
                return None
            items.append(orjson.Fragment(document))
        last = rows[min(limit, len(rows)) - 1]
        more = cursors.encode([last[2], last[0]], number + 1) if len(rows) > limit else None
        page = orjson.dumps(render.conversation_list_of(items, Page([], number + 1, limit, more), total))
        cache.put(page_key, drawn_from, page)
    return Response(page, media_type="application/json")


@endpoint(write=False, shortcut=cached_list)
def list_all(call: Call) -> Response:
    conversations = call.store.conversations
    page = cursors.walk(
        call.query("starting_after"),
        per_page(call),
        (int, int),
        conversations.page,
        lambda row: [row["updated_at"], row["id"]],
    )
    return json(render.conversation_list_of(_list_items(call, page.rows), page, conversations.count()))


def _list_items(call: Call, rows: list[dict[str, Any]]) -> list[orjson.Fragment]:
    """The conversations of a list or search page as encoded documents: from the cache when it
    holds the row's version, else rendered (in one batch of queries) and cached."""
    base = base_url(call.request)
    cache: RenderCache = call.request.app.state.render_cache
    found: dict[int, bytes] = {}
    missing = []
    for row in rows:
        document = cache.get(_list_item_key(call.workspace.id, row["id"], base), row["version"])
        if document is None:
            missing.append(row)
        else:
            found[row["id"]] = document
    for view in conversation_views(call.store, missing) if missing else []:
        document = orjson.dumps(render.conversation(view, base_url=base))
        cache.put(_list_item_key(call.workspace.id, view.row["id"], base), view.row["version"], document)
        found[view.row["id"]] = document
    return [orjson.Fragment(found[row["id"]]) for row in rows]


@endpoint(write=False, costly=True)
def search(call: Call) -> Response:
    """`POST /conversations/search`: the query language of docs/search.md, on indexes."""
    query = search_query.parse(call.body)
    searcher = call.store.search
    plan = searcher.where(query.root, query.per_page)
    page = cursors.walk(
        query.starting_after,
        query.per_page,
        (int, int),
        lambda limit, after: searcher.page(plan, limit, after),
        lambda row: [row["updated_at"], row["id"]],
        field="pagination.starting_after",
    )
    total = searcher.count(plan, call.request.app.state.search_count_limit)
    return json(render.conversation_list_of(_list_items(call, page.rows), page, total))


async def cached_retrieve(request: HttpRequest, workspace: WorkspaceRef, digest: str, now: int) -> Response | None:
    """The rendered document of the conversation's current version, when the cache holds it and
    one statement says nothing stands in the way (store/hot.py); else None: :func:`retrieve` runs."""
    conversation_id = parse_numeric_id(request.path_params["id"])
    if conversation_id is None:
        return None
    hot: HotReads = request.app.state.hot_reads
    found = await hot.conversation_version(digest, workspace.id, conversation_id, now)
    if found is None:
        return None
    version, stored = found
    plaintext = request.query_params.get("display_as") == "plaintext"
    if stored is not None and not plaintext:
        return Response(stored, media_type="application/json")
    cache: RenderCache = request.app.state.render_cache
    document = cache.get(_document_key(workspace.id, conversation_id, plaintext, base_url(request)), version)
    return None if document is None else Response(document, media_type="application/json")


def conversation_answer(call: Call, conversation_id: int) -> Response:
    """What a write that changed a conversation answers: the conversation as GET shows it. On
    SQLite it is drawn after the write commits, from a snapshot of exactly what the write left
    (api/http.py, AfterCommit), so rendering does not hold the database's one write lock."""
    if call.store.conn.dialect.name == "sqlite":
        workspace_id, plaintext, base = call.workspace.id, _plaintext(call), base_url(call.request)

        def draw_all(snapshot: Connection, conversation_ids: list[int]) -> list[Response]:
            documents = _render_conversations(Store(snapshot, workspace_id), conversation_ids, plaintext, base)
            return [json(document) for document in documents]

        return after_commit(
            call,
            lambda after: json(render_conversation(after, conversation_id)),
            conversation_id,
            together=(("conversation", workspace_id, plaintext, base), draw_all),
        )
    return json(render_conversation(call, conversation_id))


@endpoint(write=False, shortcut=cached_retrieve)
def retrieve(call: Call) -> Response:
    conversations = call.store.conversations
    conversation_id = conversations.parse_id(call.path["id"])
    version = conversations.version(conversation_id)
    cache: RenderCache = call.request.app.state.render_cache
    key = _document_key(call.workspace.id, conversation_id, _plaintext(call), base_url(call.request))
    document = cache.get(key, version)
    if document is None:
        document = orjson.dumps(render_conversation(call, conversation_id))
        cache.put(key, version, document)
        if not _plaintext(call) and b"/attachments/" not in document:
            # Shared with every worker from now on (store/documents.py). A document with file URLs
            # depends on the host the request reached, so it stays in this process's cache.
            writer: DocumentWriter = call.request.app.state.document_writer
            writer.offer(Offer(call.workspace.id, conversation_id, version, document))
    return Response(document, media_type="application/json")


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
    call.store.conversations.apply(conversation, change)
    return conversation_answer(call, conversation.id or 0)


# -- tags -------------------------------------------------------------------------------------------


class TagRequest(Request):
    id: IdStr
    admin_id: IdStr


class UntagRequest(Request):
    admin_id: IdStr


def _conversation_for_tags(call: Call) -> int:
    # The tag endpoints answer an unknown conversation with this message (spec examples).
    number = parse_numeric_id(call.path["conversation_id"])
    if number is None or call.store.conversations.get_row(number) is None:
        raise NotFound("Conversation not found")
    return number


def _tag(call: Call, tag_id: str) -> dict[str, Any]:
    number = parse_numeric_id(tag_id)
    tag = call.store.tags.get(number) if number is not None else None
    if tag is None:
        raise NotFound("Tag not found", code="tag_not_found", field="id")
    return tag


@endpoint(write=True)
def attach_tag(call: Call) -> Response:
    request = parse(TagRequest, call.body)
    conversation_id = _conversation_for_tags(call)
    admin = call.store.admins.require(request.admin_id)
    tag = _tag(call, request.id)
    tagging = call.store.conversations.tag(conversation_id, tag["id"], admin["id"], call.now)
    return json(render_tags.applied_tag(tag, tagging["applied_at"], tagging["applied_by_admin_id"]))


@endpoint(write=True)
def detach_tag(call: Call) -> Response:
    request = parse(UntagRequest, call.body)
    conversation_id = _conversation_for_tags(call)
    call.store.admins.require(request.admin_id)
    tag = _tag(call, call.path["id"])
    tagging = call.store.conversations.untag(conversation_id, tag["id"])
    if tagging is None:
        return json(render_tags.applied_tag(tag, None, None))
    return json(render_tags.applied_tag(tag, tagging["applied_at"], tagging["applied_by_admin_id"]))


# -- participants -----------------------------------------------------------------------------------


class Customer(Request):
    intercom_user_id: IdStr | None = None
    user_id: IdStr | None = None
    email: StrictStr | None = None


class AttachCustomer(Request):
    admin_id: IdStr
    customer: Customer


class DetachCustomer(Request):
    admin_id: IdStr


def _customer(call: Call, customer: Customer) -> dict[str, Any]:
    """The contact a request names; an email nobody has yet becomes a new lead (spec)."""
    contacts = call.store.contacts
    if customer.intercom_user_id is not None:
        return contacts.require(customer.intercom_user_id)
    if customer.user_id is not None:
        found = contacts.find(external_id=customer.user_id)
        if found is None:
            raise NotFound("User Not Found")
        return found
    if customer.email is not None:
        found = contacts.find(email=customer.email)
        if found is None:
            lead = contact_rules.new_contact({"role": "lead", "email": customer.email}, call.now)
            contacts.insert(lead)
            found = contacts.require(lead["id"])
        return found
    raise ParameterNotFound("customer needs intercom_user_id, user_id or email", field="customer")


def _customers(call: Call, conversation_id: int) -> dict[str, Any]:
    ids = call.store.conversations.contact_ids(conversation_id)
    found = call.store.contacts.many(ids)
    return {"customers": [{"type": found[i]["role"], "id": i} for i in ids if i in found]}


@endpoint(write=True)
def attach_customer(call: Call) -> Response:
    request = parse(AttachCustomer, call.body)
    conversations = call.store.conversations
    conversation = conversations.require(conversations.parse_id(call.path["id"]))
    admin = call.store.admins.require(request.admin_id)
    contact = _customer(call, request.customer)
    assert conversation.id is not None
    if conversations.add_contact(conversation.id, contact["id"]):
        change = domain.attach_contact(
            conversation, Actor("admin", str(admin["id"])), Actor(contact["role"], contact["id"]), call.now
        )
        conversations.apply(conversation, change)
    return json(_customers(call, conversation.id))


@endpoint(write=True)
def detach_customer(call: Call) -> Response:
    request = parse(DetachCustomer, call.body)
    conversations = call.store.conversations
    conversation = conversations.require(conversations.parse_id(call.path["conversation_id"]))
    admin = call.store.admins.require(request.admin_id)
    contact = call.store.contacts.require(call.path["contact_id"])
    assert conversation.id is not None
    participants = conversations.contact_ids(conversation.id)
    if contact["id"] not in participants:
        raise NotFound("User Not Found")
    if participants == [contact["id"]]:
        raise UnprocessableEntity("Removing the last customer is not allowed")
    conversations.remove_contact(conversation.id, contact["id"])
    change = domain.detach_contact(
        conversation, Actor("admin", str(admin["id"])), Actor(contact["role"], contact["id"]), call.now
    )
    conversations.apply(conversation, change)
    return json(_customers(call, conversation.id))
