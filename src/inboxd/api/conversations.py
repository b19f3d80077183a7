"""Conversations: create, list, retrieve, update, delete."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from pydantic import Field, field_validator
from starlette.requests import Request as HttpRequest
from starlette.responses import Response

from inboxd.api import cursors
from inboxd.api.attachments import base_url
from inboxd.api.bodies import parse_per_page
from inboxd.api.http import Answer, Call, after_commit, endpoint, flag, json, per_page, query
from inboxd.api.render_cache import RenderCache
from inboxd.api.types import IdStr, Int64, Request, StrictBool, StrictStr
from inboxd.domain import conversations as domain
from inboxd.domain.attachments import MAX_ATTACHMENT_URLS
from inboxd.domain.errors import IntercomError, NotFound
from inboxd.domain.ids import parse_numeric_id
from inboxd.domain.versions import Version
from inboxd.domain.views import ConversationShown
from inboxd.operations import conversations as operations
from inboxd.operations.contacts import ContactRef
from inboxd.render import conversations as render
from inboxd.render import tags as render_tags
from inboxd.render.pages import Page
from inboxd.search import query as search_query
from inboxd.store import views
from inboxd.store.cached_reads import CachedReads
from inboxd.store.scope import Store
from inboxd.store.unit_of_work import AfterCommit
from inboxd.store.workspaces import WorkspaceRef


class From(Request):
    type: Literal["user", "lead", "contact"]
    id: IdStr


class CreateConversation(Request):
    kind = "create_conversation_request"
    from_: From = Field(alias="from")
    body: StrictStr
    subject: StrictStr | None = None
    attachment_urls: list[StrictStr] = Field(default_factory=list, max_length=MAX_ATTACHMENT_URLS)
    created_at: Int64 | None = None
    brand_id: IdStr | None = None

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class UpdateConversation(Request):
    kind = "update_conversation_request"
    read: StrictBool | None = None
    # Every version: python-intercom sets a title in its default version (2.10), whose description
    # lacks it (docs/decisions.md).
    title: StrictStr | None = None
    custom_attributes: dict[str, Any] | None = None
    company_id: IdStr | None = None


@dataclass(frozen=True, slots=True)
class Drawing:
    """How a request has conversations drawn: in its version's shape, as HTML or plain text, with
    file URLs on the origin it reached. Every key a drawn document is kept under holds it."""

    version: Version
    plaintext: bool
    base: str

    def key(self, workspace_id: int, conversation_id: int) -> tuple[int, int, str, bool, str]:
        """Where GET /conversations/{id}'s document is kept in the render cache."""
        return (workspace_id, conversation_id, self.version.shape, self.plaintext, self.base)

    def draw(self, view: ConversationShown) -> bytes:
        return orjson.dumps(render.conversation(view, self.version, plaintext=self.plaintext, base_url=self.base))


def _drawing(request: HttpRequest, version: Version, as_listed: bool = False) -> Drawing:
    """A list's items are drawn as HTML whatever ``display_as`` says (``as_listed``)."""
    plaintext = not as_listed and query(request, version, "display_as") == "plaintext"
    return Drawing(version, plaintext, base_url(request))


def _drawing_retrieved(request: HttpRequest, version: Version) -> Drawing:
    """How `GET /conversations/{id}` draws. Parts are never translated: inboxd detects no
    languages, so ``include_translations`` leaves them as written (docs/decisions.md); it is read
    all the same, so a value that is not a boolean is refused."""
    flag(request, version, "include_translations")
    return _drawing(request, version)


def _render(store: Store, conversation_id: int, now: int, drawing: Drawing) -> tuple[bytes, views.Read]:
    """The conversation as `GET /conversations/{id}` shows it, encoded, and its row as read (its
    version: what the document shows)."""
    read, view = views.read_in_full(store, conversation_id, now)
    return drawing.draw(view), read


def _render_conversations(
    store: Store, conversation_ids: list[int], now: int, drawing: Drawing
) -> list[tuple[bytes, int]]:
    """Several conversations as GET shows each, read together (the answers of a batch of writes)."""
    found = views.read(store, conversation_ids)
    if len(found) != len(conversation_ids):
        raise NotFound("Resource Not Found")
    return [(drawing.draw(view), view.version) for view in views.conversation_views(store, found, now, with_parts=True)]


def keep_document(
    request: HttpRequest,
    workspace_id: int,
    conversation_id: int,
    version: int,
    drawing: Drawing,
    document: bytes,
) -> None:
    """The one place a rendered conversation is kept: in this worker's render cache under its
    version, never in the database (a read commits nothing: docs/decisions.md). Only a document
    of a committed version may be kept (a write's answer is kept once the write has committed)."""
    cache: RenderCache = request.app.state.render_cache
    cache.put(drawing.key(workspace_id, conversation_id), version, document)


@endpoint(write=True)
def create(call: Call) -> Response:
    request = call.parsed(CreateConversation)
    message_id = operations.start_by_contact(
        call.store,
        call.now,
        request.from_.id,
        request.body,
        request.subject,
        request.attachment_urls,
        created_at=request.created_at,
        brand_id=request.brand_id,
    )
    return json(render.message(call.store.messages.require(message_id), call.version))


def _list_item_key(workspace_id: int, conversation_id: int, drawing: Drawing) -> tuple[int, int, str, str, str]:
    return (workspace_id, conversation_id, "list item", drawing.version.shape, drawing.base)


async def cached_list(
    request: HttpRequest, workspace: WorkspaceRef, digest: str, version: Version, now: int
) -> Response | None:
    """A page of `GET /conversations` assembled from cached list items, when one statement gives
    the page's keys and versions and every item of that version is cached (store/cached_reads.py); else
    None, and :func:`list_all` renders (and caches) the page."""
    try:
        limit = parse_per_page(request.query_params.get("per_page"))
        cursor = request.query_params.get("starting_after")
        after, number = cursors.decode(cursor, (int, int)) if cursor else (None, 0)
    except IntercomError:
        return None  # the ordinary path says what is wrong
    reads: CachedReads = request.app.state.cached_reads
    found = await reads.conversation_page(digest, workspace.id, now, limit + 1, after)
    if found is None:
        return None
    total, rows = found
    cache: RenderCache = request.app.state.render_cache
    drawing = _drawing(request, version, as_listed=True)
    # The whole page, valid while the count and every row's (id, version, updated_at) are the same.
    page_key = (workspace.id, "list page", limit, cursor or "", version.shape, drawing.base)
    drawn_from = (total, tuple(rows))
    page = cache.get(page_key, drawn_from)
    if page is None:
        items = []
        for conversation_id, conversation_version, _ in rows[:limit]:
            document = cache.get(_list_item_key(workspace.id, conversation_id, drawing), conversation_version)
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
    drawing = _drawing(call.request, call.version, as_listed=True)
    cache: RenderCache = call.request.app.state.render_cache
    found: dict[int, bytes] = {}
    missing = []
    for row in rows:
        document = cache.get(_list_item_key(call.workspace.id, row["id"], drawing), row["version"])
        if document is None or domain.snooze_ran_out(row["state"], row["snoozed_until"], call.now):
            missing.append(row["id"])
        else:
            found[row["id"]] = document
    read = views.read(call.store, missing) if missing else []
    for shown, view in zip(read, views.conversation_views(call.store, read, call.now), strict=True):
        document = drawing.draw(view)
        if shown.as_stored(call.now):
            cache.put(_list_item_key(call.workspace.id, view.id, drawing), view.version, document)
        found[view.id] = document
    return [orjson.Fragment(found[row["id"]]) for row in rows]


@endpoint(write=False, costly=True)
def search(call: Call) -> Response:
    """`POST /conversations/search`: the query language of docs/search.md, on indexes."""
    query = search_query.parse(call.sent("search_request"))
    # inboxd keeps no QA results: a 2.16 conversation always shows its empty monitor evaluations
    # and scorecards (the same document GET shows), asked for or not (docs/decisions.md).
    call.flag("include_monitors")
    call.flag("include_scorecards")
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


async def cached_retrieve(
    request: HttpRequest, workspace: WorkspaceRef, digest: str, version: Version, now: int
) -> Response | None:
    """The rendered document of the conversation's current version, when the cache holds it and
    one statement says nothing stands in the way (store/cached_reads.py); else None: :func:`retrieve` runs.
    When the cache holds no version of it at all, no statement is spent."""
    conversation_id = parse_numeric_id(request.path_params["id"])
    if conversation_id is None:
        return None
    drawing = _drawing_retrieved(request, version)
    cache: RenderCache = request.app.state.render_cache
    key = drawing.key(workspace.id, conversation_id)
    if not cache.holds(key):
        return None
    reads: CachedReads = request.app.state.cached_reads
    found = await reads.conversation_version(digest, workspace.id, conversation_id, now)
    document = None if found is None else cache.get(key, found)
    return None if document is None else Response(document, media_type="application/json")


def conversation_answer(call: Call, conversation_id: int) -> AfterCommit:
    """What a write that changed a conversation answers: the conversation as GET shows it, drawn
    once the write is done (store/unit_of_work.py): on SQLite after the commit, from a snapshot of
    exactly what the write left, so rendering does not hold the database's one write lock; and
    with the batch's other answers of the workspace, in one go."""
    request, workspace_id, drawing, now = (
        call.request,
        call.workspace.id,
        _drawing(call.request, call.version),
        call.now,
    )

    def draw(after: Call) -> Response:
        document, read = _render(after.store, conversation_id, after.now, drawing)
        after.then.append(
            lambda: keep_document(request, workspace_id, conversation_id, read.version, drawing, document)
        )
        return Response(document, media_type="application/json")

    def draw_all(snapshot: Store, conversation_ids: list[int]) -> list[Response]:
        # Drawn together from a batch's snapshot (SQLite's after its commit, PostgreSQL's before
        # it), kept once the batch has committed.
        drawn = _render_conversations(snapshot, conversation_ids, now, drawing)
        for shown, (document, version) in zip(conversation_ids, drawn, strict=True):
            snapshot.committed.append(
                functools.partial(keep_document, request, workspace_id, shown, version, drawing, document)
            )
        return [Response(document, media_type="application/json") for document, _ in drawn]

    return after_commit(call, draw, conversation_id, together=(("conversation", workspace_id, drawing), draw_all))


@endpoint(write=False, shortcut=cached_retrieve, needs_snapshot=False)
def retrieve(call: Call) -> Response:
    """Read in one statement on PostgreSQL (store/views.py ``read_in_full``), after the token's:
    each its own snapshot, without a transaction around them (``needs_snapshot``)."""
    conversation_id = call.store.conversations.parse_id(call.path["id"])
    drawing = _drawing_retrieved(call.request, call.version)
    read, view = views.read_in_full(call.store, conversation_id, call.now)
    if not read.as_stored(call.now):  # a snooze that ran out: shown woken, and kept nowhere
        return Response(drawing.draw(view), media_type="application/json")
    cache: RenderCache = call.request.app.state.render_cache
    document = cache.get(drawing.key(call.workspace.id, conversation_id), read.version)
    if document is None:
        document = drawing.draw(view)
        keep_document(call.request, call.workspace.id, conversation_id, read.version, drawing, document)
    return Response(document, media_type="application/json")


@endpoint(write=True)
def update(call: Call) -> Answer:
    request = call.parsed(UpdateConversation)
    changed = operations.update(
        call.store,
        call.now,
        call.path["id"],
        read=request.read,
        title=request.title,
        custom_attributes=request.custom_attributes,
        company_id=request.company_id,
    )
    return conversation_answer(call, changed)


@endpoint(write=True, operation="deleteConversation")
def delete(call: Call) -> Response:
    """`DELETE /conversations/{id}`. A document kept of it is never served again: the cached read
    finds no row (store/cached_reads.py) and no id is given twice (store/id_floors.py)."""
    return json(render.conversation_deleted(operations.delete(call.store, call.now, call.path["id"])))


# -- tags -------------------------------------------------------------------------------------------


class TagRequest(Request):
    id: IdStr
    admin_id: IdStr


class UntagRequest(Request):
    admin_id: IdStr


def _tagging(tagging: operations.Tagging) -> Response:
    return json(render_tags.applied_tag(tagging.tag, tagging.applied_at, tagging.applied_by_admin_id))


@endpoint(write=True)
def attach_tag(call: Call) -> Response:
    request = call.parsed(TagRequest)
    return _tagging(operations.tag(call.store, call.now, call.path["conversation_id"], request.id, request.admin_id))


@endpoint(write=True)
def detach_tag(call: Call) -> Response:
    request = call.parsed(UntagRequest)
    tagging = operations.untag(call.store, call.now, call.path["conversation_id"], call.path["id"], request.admin_id)
    return _tagging(tagging)


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


def _customers(call: Call, conversation_id: int) -> Response:
    return json(render.customers(operations.participants(call.store, conversation_id)))


@endpoint(write=True)
def attach_customer(call: Call) -> Response:
    request = call.parsed(AttachCustomer)
    who = ContactRef(request.customer.intercom_user_id, request.customer.user_id, request.customer.email)
    return _customers(call, operations.attach_contact(call.store, call.now, call.path["id"], request.admin_id, who))


@endpoint(write=True)
def detach_customer(call: Call) -> Response:
    request = call.parsed(DetachCustomer)
    path = call.path
    changed = operations.detach_contact(
        call.store, call.now, path["conversation_id"], request.admin_id, path["contact_id"]
    )
    return _customers(call, changed)
