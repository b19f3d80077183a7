"""What each Intercom version changed in what inboxd draws, one entry per change, in release order.

render/ draws the newest shape. An entry names the version whose description has the change first
and, per kind of object (the description's schema name), how to undo it in place: the object as the
version before had it. render/versions/chain.py runs the undos of every change newer than the
version asked for, newest first. A change the descriptions make and unmake (a field described in
2.11, not in 2.12 and 2.13, again from 2.14) is one entry: the version that settled it, and the
``shapes`` it is undone in.

Requests go the other way. The handlers read the newest request shape; an entry's ``request``
says, per kind of request body (the description's schema name), how a body sent in the version
before reads in the change's version: a field the older version lacks is ignored, as Intercom
ignores every field it does not know, and a value it lacks is refused with the error the older
version gives. api/http.py ``Call.parsed`` runs them, oldest first.

Adding a version: its description in spec/, its name in domain/versions.py SHAPES, what it changed drawn by
render/ and read by api/, and here the entries that take its documents back and bring older
requests forward. Nothing else branches on the version.
Each entry has its test in tests/render/test_version_changes.py; every shape's documents are
validated against its description by the HTTP tests (tests/spec.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inboxd.domain.conversations import PRIORITY_LEVELS
from inboxd.domain.errors import ParameterInvalid, ParameterNotFound
from inboxd.domain.versions import SHAPES

Undo = Callable[[dict[str, Any]], None]
# Reads a request body of the version before as the change's version reads it (in place; a nested
# value is replaced, never changed where it is: the body is the client's).
Upgrade = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Change:
    version: str  # the first version whose description has it (and every one after)
    name: str  # what changed, said as the changelog would
    undo: Mapping[str, Undo]  # kind -> take one object of that kind back to the version before
    # Shapes the undo runs in when not simply "every shape older than ``version``".
    shapes: tuple[str, ...] = field(default=())
    # Operations (the descriptions' operationIds) the version introduced: in the shapes the change
    # is undone in, they answer as an unknown route (api/http.py).
    adds: tuple[str, ...] = field(default=())
    # Operations the version deprecated: still served, with a Deprecation header, from it on.
    deprecates: tuple[str, ...] = field(default=())
    # Request kind -> how a body sent in the version before reads in this one.
    request: Mapping[str, Upgrade] = field(default_factory=dict)
    # Query parameters the version added: in the shapes the change is undone in they are not read
    # (api/http.py ``Call.query``), as Intercom ignores every parameter it does not know.
    parameters: tuple[str, ...] = field(default=())
    # Query parameters the version dropped: read only in the shapes the change is undone in.
    drops: tuple[str, ...] = field(default=())

    def undone_in(self, shape: str) -> bool:
        """Whether a document drawn for ``shape`` has this change undone."""
        if self.shapes:
            return shape in self.shapes
        return SHAPES.index(shape) < SHAPES.index(self.version)


def _drop(*keys: str) -> Undo:
    def undo(obj: dict[str, Any]) -> None:
        for key in keys:
            obj.pop(key, None)

    return undo


def _drop_from(inner: str, *keys: str) -> Undo:
    """Drop ``keys`` from the object held under ``inner``."""

    def undo(obj: dict[str, Any]) -> None:
        held = obj.get(inner)
        if isinstance(held, dict):
            for key in keys:
                held.pop(key, None)

    return undo


def _priority_flag(conversation: dict[str, Any]) -> None:
    """2.16's levels as the flag of the versions before: any level but none is a priority."""
    if "priority" in conversation:
        conversation["priority"] = "not_priority" if conversation["priority"] == "none" else "priority"


def _unassigned_is_null(conversation: dict[str, Any]) -> None:
    """2.16 answers 0 for no assignee; the versions before, null."""
    for key in ("admin_assignee_id", "team_assignee_id"):
        if conversation.get(key) == 0:
            conversation[key] = None


def _source_author_as_part_author(source: dict[str, Any]) -> None:
    """Before 2.16 a source's author is a `conversation_part_author`, which has (from 2.14) the AI flags."""
    author = source.get("author")
    if isinstance(author, dict):
        author.setdefault("from_ai_agent", False)
        author.setdefault("is_ai_answer", False)


def _avatar_object(admin: dict[str, Any]) -> None:
    """2.11 describes an admin's avatar as an object holding its URL."""
    url = admin.get("avatar")
    admin["avatar"] = {"type": "avatar", "image_url": url} if url else None


def _formatted_phone(contact: dict[str, Any]) -> None:
    """2.11 shows a contact's phone formatted too: inboxd keeps it as given, so it has none."""
    contact["formatted_phone"] = None


def _owner_id_integer(contact: dict[str, Any]) -> None:
    owner = contact.get("owner_id")
    contact["owner_id"] = int(owner) if owner is not None else None


def _drop_if_none(*keys: str) -> Undo:
    """Leave out what has no value, where a description types it as not nullable."""

    def undo(obj: dict[str, Any]) -> None:
        for key in keys:
            if key in obj and obj[key] is None:
                del obj[key]

    return undo


def _tag_applied_fields(tag: dict[str, Any]) -> None:
    """2.11 requires a tag's applied_at and applied_by, null when the tag is not a tagging's answer."""
    tag.setdefault("applied_at", None)
    tag.setdefault("applied_by", None)


def _ticket_type_lists_as_2_11_names_them(listed: dict[str, Any]) -> None:
    """The 2.11 description types both a ticket type's attribute list and the ticket type list as
    `ticket_type_attributes.list` (its own slip, followed because the version asks for its file)."""
    if "ticket_type_attributes" in listed:
        attributes = listed["ticket_type_attributes"]
        if isinstance(attributes, dict):
            attributes["type"] = "ticket_type_attributes.list"
    if "ticket_types" in listed:
        listed["type"] = "ticket_type_attributes.list"


def _in_place(obj: dict[str, Any], key: str, replacement: dict[str, Any]) -> None:
    """``obj`` with ``key`` replaced by the items of ``replacement``, where ``key`` stood (documents
    keep their field order)."""
    items = list(obj.items())
    obj.clear()
    for name, value in items:
        if name == key:
            obj.update(replacement)
        else:
            obj[name] = value


def _ticket_state_as_string(ticket: dict[str, Any]) -> None:
    """Before 2.12 a ticket's state is its category, with its labels beside it."""
    state = ticket.get("ticket_state")
    if isinstance(state, dict):
        _in_place(
            ticket,
            "ticket_state",
            {
                "ticket_state": state["category"],
                "ticket_state_internal_label": state["internal_label"],
                "ticket_state_external_label": state["external_label"],
            },
        )


def _every_part_with_its_ticket_state(ticket: dict[str, Any]) -> None:
    """2.11 requires every ticket part's ``ticket_state`` (a plain enum): a part that did not set
    the state shows the ticket's (docs/decisions.md, Tickets)."""
    state = ticket.get("ticket_state")
    category = state["category"] if isinstance(state, dict) else state
    parts = ticket.get("ticket_parts")
    if category is None or not isinstance(parts, dict):
        return
    for part in parts.get("ticket_parts") or ():
        if "ticket_state" not in part:
            _in_place(part, "body", {"body": part.get("body"), "ticket_state": category})


def _ticket_types_under_their_name(listed: dict[str, Any]) -> None:
    if "data" in listed:
        _in_place(listed, "data", {"ticket_types": listed["data"]})


def _assignees_as_strings(ticket: dict[str, Any]) -> None:
    """Before 2.16 a ticket's assignees are strings, "0" for nobody."""
    for key in ("admin_assignee_id", "team_assignee_id"):
        if key in ticket:
            ticket[key] = str(ticket[key] or 0)


def _attachments_complete(obj: dict[str, Any]) -> None:
    """2.11 requires an attachment's filesize, width and height, integers it does not let be null:
    0 where inboxd does not know them (a file given by its URL, a file that is no image). New
    objects: the attachments given by URL are the view's own."""
    held = obj.get("attachments")
    if held:
        obj["attachments"] = [
            {**a, **{key: a.get(key) or 0 for key in ("filesize", "width", "height")}} if isinstance(a, dict) else a
            for a in held
        ]


def _subject_always(message: dict[str, Any]) -> None:
    message.setdefault("subject", "")


def _both(*undos: Undo) -> Undo:
    def undo(obj: dict[str, Any]) -> None:
        for one in undos:
            one(obj)

    return undo


# -- requests -------------------------------------------------------------------------------------


def _ignored(*keys: str) -> Upgrade:
    """Fields the version before does not know: ignored there, as every unknown field is."""

    def upgrade(body: dict[str, Any]) -> None:
        for key in keys:
            body.pop(key, None)

    return upgrade


def _one_of(values: tuple[str, ...]) -> str:
    """Values as the request models' errors list them (api/bodies.py): 'a', 'b' or 'c'."""
    quoted = [repr(value) for value in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _only(key: str, allowed: tuple[str, ...]) -> Upgrade:
    """The values the version before has for ``key``: any other is refused with the error it gives."""

    def upgrade(body: dict[str, Any]) -> None:
        if key in body and body[key] not in allowed:
            raise ParameterInvalid(f"{key} must be one of {_one_of(allowed)}", field=key)

    return upgrade


def _one_object(key: str) -> Upgrade:
    """``key`` held one object in the version before (later: one or a list): anything else is
    refused with the error it gives."""

    def upgrade(body: dict[str, Any]) -> None:
        if key in body and not isinstance(body[key], dict):
            raise ParameterInvalid(f"{key} must be an object", field=key)

    return upgrade


def _refused(key: str, value: str, allowed: tuple[str, ...]) -> Upgrade:
    """``value`` of ``key`` is the change's: the version before refuses it as it refuses every
    value it lacks, listing its own (``allowed``). Other values are left to the request model."""

    def upgrade(body: dict[str, Any]) -> None:
        if body.get(key) == value:
            raise ParameterInvalid(f"{key} must be one of {_one_of(allowed)}", field=key)

    return upgrade


_PRIORITY_FLAG = {"priority": tuple(level for level in PRIORITY_LEVELS if level != "none"), "not_priority": ("none",)}
_NEGATED = {"=": "!=", "!=": "="}


def _requires_per_page(body: dict[str, Any]) -> None:
    """2.11 requires a search's pagination to say how many per page (the versions before and after
    take the default)."""
    pagination = body.get("pagination")
    if isinstance(pagination, dict) and pagination.get("per_page") is None:
        raise ParameterNotFound("pagination.per_page is a required parameter", field="pagination.per_page")


def _priority_filter(node: dict[str, Any]) -> dict[str, Any]:
    """A search filter on the priority flag, as a filter on 2.16's levels: ``priority`` is any level
    but none (documents show it so before 2.16), ``not_priority`` is none."""
    operator, value = node.get("operator"), node.get("value")
    if operator in _NEGATED and value == "priority":
        return {**node, "operator": _NEGATED[operator], "value": "none"}
    if operator in _NEGATED and value == "not_priority":
        return {**node, "value": "none"}
    if operator in ("IN", "NIN") and isinstance(value, list):
        levels = [level for item in value for level in _PRIORITY_FLAG.get(item, (item,))] if value else value
        return {**node, "value": levels}
    return node


# A query nests at most a few groups (search/query.py refuses deeper ones): past this the walk leaves
# the node as it is for the parser to refuse.
_DEEPEST_WALKED = 8


def _filters_on(field_name: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Upgrade:
    """Every filter of a search query on ``field_name``, read through ``change``."""

    def walk(node: Any, depth: int) -> Any:
        if not isinstance(node, dict) or depth > _DEEPEST_WALKED:
            return node
        if node.get("field") == field_name:
            return change(node)
        if isinstance(node.get("value"), list) and "field" not in node:
            return {**node, "value": [walk(child, depth + 1) for child in node["value"]]}
        return node

    def upgrade(body: dict[str, Any]) -> None:
        if "query" in body:
            body["query"] = walk(body["query"], 0)

    return upgrade


CHANGES: tuple[Change, ...] = (
    Change("2.8", "teams show their admins' priority levels", {"team": _drop("admin_priority_level")}),
    Change(
        "2.9",
        "tickets and ticket types",
        {},
        adds=("listTicketTypes", "createTicketType", "getTicketType", "getTicket"),
    ),
    Change(
        "2.10",
        "conversations are converted to tickets and link them (linked_objects)",
        {"conversation": _drop("ticket", "linked_objects")},
        adds=("convertConversationToTicket",),
    ),
    Change(
        "2.11",
        "conversations say whether an AI agent took part (ai_agent, ai_agent_participated)",
        {"conversation": _drop("ai_agent_participated", "ai_agent")},
    ),
    Change(
        "2.11",
        "a conversation and a contact's reply may be dated (created_at), for imports",
        {},
        request={
            "create_conversation_request": _ignored("created_at"),
            "contact_reply_base_request": _ignored("created_at"),
            "create_message_request": _ignored("created_at"),
        },
    ),
    Change(
        "2.12",
        "a search's pagination may leave out per_page again (2.11 requires it)",
        {},
        shapes=("2.11",),
        request={"search_request": _requires_per_page},
    ),
    Change(
        "2.12",
        "contact lists are walked by cursor alone again (2.11 also takes a page number)",
        {},
        shapes=("2.11",),
        drops=("page",),
    ),
    Change(
        "2.12",
        "an admin's avatar is its image URL again (2.11: an object holding it)",
        {"admin": _avatar_object},
        shapes=("2.11",),
    ),
    Change(
        "2.12",
        "first_contact_reply, conversation_rating, admin_priority_level may be null again (2.11: left out)",
        {
            "conversation": _drop_if_none("first_contact_reply", "conversation_rating"),
            "team": _drop_if_none("admin_priority_level"),
        },
        shapes=("2.11",),
    ),
    Change(
        "2.12",
        "a tag shows applied_at and applied_by only in a tagging's answer (2.11 requires them)",
        {"tag": _tag_applied_fields},
        shapes=("2.11",),
    ),
    Change(
        "2.12",
        "ticket type lists are named as other lists (2.11: ticket_type_attributes.list)",
        {
            "ticket_type": _ticket_type_lists_as_2_11_names_them,
            "ticket_type.list": _ticket_type_lists_as_2_11_names_them,
        },
        shapes=("2.11",),
    ),
    Change(
        "2.12",
        "a ticket part that did not set the ticket's state leaves it out (2.11 requires it: the ticket's)",
        {"ticket": _every_part_with_its_ticket_state},
        shapes=("2.11",),
    ),
    Change(
        "2.12",
        "a ticket's state is an object (id, category, labels); ticket types list their states, under data",
        {
            "ticket": _ticket_state_as_string,
            "ticket_type": _drop("ticket_states"),
            "ticket_type.list": _ticket_types_under_their_name,
        },
    ),
    Change(
        "2.12",
        "a message without a subject leaves it out (2.11 requires it: empty)",
        {"message": _subject_always},
        shapes=("2.11",),
    ),
    Change(
        "2.12",
        "contacts show no formatted phone (only 2.11 describes it)",
        {"contact": _formatted_phone},
        shapes=("2.11",),
    ),
    Change(
        "2.12",
        "an attachment leaves out the size it does not know (2.11 requires filesize, width and height)",
        {
            "conversation_part": _attachments_complete,
            "conversation_source": _attachments_complete,
            "ticket_part": _attachments_complete,
        },
        shapes=("2.11",),
    ),
    Change(
        "2.12",
        "running assignment rules on a conversation is deprecated (Intercom serves it until 2026-12-31)",
        {},
        deprecates=("autoAssignConversation",),
    ),
    Change(
        "2.12",
        "statistics: the first response time of each assigned team",
        {"conversation_statistics": _drop("assigned_team_first_response_time")},
    ),
    Change(
        "2.13",
        "parts carry the conversation's state, their tags, event details, email metadata and app package",
        {
            "conversation_part": _drop("email_message_metadata", "state", "tags", "event_details", "app_package_code"),
        },
    ),
    Change("2.13", "conversations can be deleted", {}, adds=("deleteConversation",)),
    Change(
        "2.13",
        "statistics: handling times and the assigned teams' first response in office hours",
        {
            "conversation_statistics": _drop(
                "assigned_team_first_response_time_in_office_hours", "handling_time", "adjusted_handling_time"
            )
        },
    ),
    Change(
        "2.14",
        "conversations show custom_attributes again (the 2.12 and 2.13 descriptions leave them out)",
        {"conversation": _drop("custom_attributes")},
        shapes=("2.12", "2.13"),
    ),
    Change(
        "2.14",
        "parts carry quick-reply metadata; part authors say whether they are an AI agent or answer",
        {
            "conversation_part": _drop("metadata"),
            "ticket_part": _drop("updated_attribute_data"),
            "conversation_part_author": _drop("from_ai_agent", "is_ai_answer"),
            "conversation_source": _drop_from("author", "from_ai_agent", "is_ai_answer"),
        },
    ),
    Change(
        "2.14",
        "admins send quick reply options (message_type quick_reply, reply_options); contacts answer with one",
        {},
        request={
            "admin_reply_conversation_request": _both(
                _only("message_type", ("comment", "note")), _ignored("reply_options")
            ),
            "contact_reply_base_request": _both(_only("message_type", ("comment",)), _ignored("reply_options")),
        },
    ),
    Change(
        "2.14",
        "a conversation's parts may be asked for translated (include_translations)",
        {},
        parameters=("include_translations",),
    ),
    Change(
        "2.14",
        "an admin's message goes to one contact or a list of them, and copies others (cc, bcc)",
        {},
        request={"create_message_request": _both(_one_object("to"), _ignored("cc", "bcc"))},
    ),
    Change(
        "2.14",
        "a conversation is given its company (company_id)",
        {},
        request={"update_conversation_request": _ignored("company_id")},
    ),
    Change(
        "2.14",
        "admins show why they are away; teams their assignment limit and distribution method",
        {"admin": _drop("away_status_reason_id"), "team": _drop("assignment_limit", "distribution_method")},
    ),
    Change("2.15", "conversations name their company", {"conversation": _drop("company")}),
    Change(
        "2.15",
        "an admin's reply may skip notifications (skip_notifications)",
        {},
        request={"admin_reply_conversation_request": _ignored("skip_notifications")},
    ),
    Change(
        "2.16",
        "priority levels (none, low, medium, high, urgent) replace the priority flag",
        {"conversation": _priority_flag},
        request={"search_request": _filters_on("priority", _priority_filter)},
    ),
    Change(
        "2.16",
        "a conversation is started for a brand (brand_id)",
        {},
        request={"create_conversation_request": _ignored("brand_id")},
    ),
    Change(
        "2.16",
        "admins send WhatsApp template messages (message_type whatsapp)",
        {},
        request={
            "create_message_request": _refused("message_type", "whatsapp", ("in_app", "inapp", "email", "conversation"))
        },
    ),
    Change("2.16", "no assignee is 0, not null", {"conversation": _unassigned_is_null}),
    Change("2.16", "admins show their role", {"admin": _drop("role")}),
    Change("2.16", "a contact's owner_id is a string", {"contact": _owner_id_integer}),
    Change(
        "2.16",
        "a contact shows what was merged into it when asked (include_merge_history)",
        {"contact": _drop("merge_history")},
        parameters=("include_merge_history",),
    ),
    Change(
        "2.16",
        "a ticket's assignees are integers (0 for nobody) and it names its previous state",
        {"ticket": _both(_assignees_as_strings, _drop("previous_ticket_state_id"))},
    ),
    Change(
        "2.16",
        "conversations carry their channel, external references, QA scorecards, monitor evaluations and sales agent",
        {
            "conversation": _drop(
                "sales_agent_participated",
                "sales_agent",
                "channel",
                "external_references",
                "monitor_evaluations",
                "scorecards",
            )
        },
        parameters=("include_monitors", "include_scorecards"),
    ),
    Change(
        "2.16",
        "sources carry recipients, reply-to and email metadata; their author is a conversation_source_author",
        {
            "conversation_source": _both(
                _drop("recipients", "reply_to", "email_message_metadata"), _source_author_as_part_author
            )
        },
    ),
)


@functools.cache  # asked on every request to an operation some version lacks (api/versions.py)
def describes(shape: str, operation: str) -> bool:
    """Whether the description of ``shape`` has ``operation`` (an operationId)."""
    return not any(operation in change.adds and change.undone_in(shape) for change in CHANGES)


@functools.cache  # asked by every handler that reads a query parameter
def reads(shape: str, parameter: str) -> bool:
    """Whether the description of ``shape`` has the query parameter ``parameter``."""
    return not any(
        (parameter in change.parameters and change.undone_in(shape))
        or (parameter in change.drops and not change.undone_in(shape))
        for change in CHANGES
    )


@functools.cache
def deprecated(shape: str, operation: str) -> bool:
    """Whether ``operation`` is deprecated in ``shape`` (served all the same)."""
    return any(operation in change.deprecates and not change.undone_in(shape) for change in CHANGES)
