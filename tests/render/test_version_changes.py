"""The version changes of render/versions/changes.py, each on its own: every entry changes what a
realistic conversation document shows between its version and the one before (an entry that
changes nothing is dead), each shape undoes exactly the entries newer than it, and the shapes
between two entries show the same document."""

from __future__ import annotations

import copy

import pytest

from inboxd.domain.errors import IntercomError
from inboxd.domain.statistics import Statistics
from inboxd.domain.versions import SHAPES, VERSIONS, version_named
from inboxd.domain.views import ConversationShown, Participant, PartShown, Person, SourceShown, TagApplied
from inboxd.render import admins, contacts, tags, teams, ticket_types, tickets
from inboxd.render.conversations import conversation, message
from inboxd.render.versions import chain
from inboxd.render.versions.changes import CHANGES, Change, reads

ADA = Person("admin", "7", "admin", "Ada", "ada@acme.test")
PAT = Person("user", "c1", "user", "Pat", None)


# An attachment given by its URL: inboxd knows no size of it.
BY_URL = {"type": "upload", "name": "a.pdf", "url": "https://example.test/a.pdf", "content_type": "application/pdf"}


def _view(priority: str = "high", assignee: int | None = None) -> ConversationShown:
    options = {"options": [{"text": "Yes", "uuid": "a5e1c524-5ddd-4c3e-9328-6bca5d6e3edb"}]}
    part = PartShown(
        11, "quick_reply", "<p>On it?</p>", 100, 100, 100, None, ADA, [BY_URL], None, False, "open", None, None, options
    )
    return ConversationShown(
        id=1,
        version=3,
        created_at=90,
        updated_at=100,
        waiting_since=None,
        snoozed_until=None,
        source=SourceShown("conversation", 5, "customer_initiated", "", "<p>Help</p>", PAT, [], None, False),
        contacts=[Participant("c1", None)],
        first_contact_reply=None,
        admin_assignee_id=assignee,
        team_assignee_id=None,
        state="open",
        read=False,
        tags=[TagApplied(3, "vip", 95, 7)],
        priority=priority,
        sla_applied=None,
        statistics=Statistics(time_to_admin_reply=10, count_conversation_parts=2),
        conversation_rating=None,
        ai_agent_participated=False,
        ai_agent=None,
        teammates=[7],
        title=None,
        custom_attributes={"plan": "pro"},
        ticket=None,
        parts=[part],
        parts_total=1,
    )


def _drawn(shape: str, view: ConversationShown | None = None) -> dict:
    version = version_named(shape)
    assert version is not None
    return conversation(view or _view(), version)


ADMIN_ROW = {
    "id": 7, "name": "Ada", "email": "ada@acme.test", "job_title": None, "away_mode_enabled": False,
    "away_mode_reassign": False, "has_inbox_seat": True, "team_ids": [3], "avatar": "https://example.test/ada.png",
}  # fmt: skip
TEAM_ROW = {"id": 3, "name": "Support", "admin_ids": [7]}
CONTACT_ROW = {
    "id": "c1", "external_id": None, "role": "user", "email": "pat@example.test", "phone": "+1 555", "name": "Pat",
    "avatar": None, "owner_id": 7, "unsubscribed_from_emails": False, "created_at": 1, "updated_at": 2,
    "signed_up_at": None, "last_seen_at": None, "custom_attributes": {},
}  # fmt: skip


TICKET_TYPE_ROW = {
    "id": 4, "name": "Bug", "description": "", "icon": "🐞", "archived": False, "created_at": 1, "updated_at": 1,
    "is_internal": False, "attributes": [], "category": "Customer",
}  # fmt: skip


MESSAGE_ROW = {
    "kind": "user_message", "id": 8, "created_at": 90, "body": "<p>Help</p>", "message_type": "inapp", "subject": "",
    "conversation_id": 1,
}  # fmt: skip
TICKET_ROW = {"id": 9, "attributes": {}, "ticket_state": "submitted", "updated_at": 100, "is_shared": False}


def _documents(shape: str) -> dict[str, object]:
    """One realistic document of every kind the changes touch, drawn for ``shape``."""
    version = version_named(shape)
    assert version is not None
    return {
        "conversation": conversation(_view(), version),
        "admin": admins.admin(ADMIN_ROW, version),
        "team": teams.team(TEAM_ROW, version),
        "contact": contacts.contact(CONTACT_ROW, "acme", version, merge_history=True),
        "tag": tags.tag({"id": 3, "name": "vip"}, version),
        "ticket_types": ticket_types.ticket_type_list([TICKET_TYPE_ROW], "acme", version),
        "ticket": tickets.ticket(TICKET_ROW, TICKET_TYPE_ROW, _view(assignee=7), "acme", version),
        "message": message(MESSAGE_ROW, version),
    }


def _undone_in(change: Change) -> str:
    """A shape that has the change undone: the one before its version, or the first it names."""
    return change.shapes[0] if change.shapes else SHAPES[SHAPES.index(change.version) - 1]


@pytest.mark.parametrize("change", [c for c in CHANGES if c.undo], ids=lambda c: f"{c.version} {c.name}")
def test_each_change_alone_changes_what_its_older_shapes_show(change, monkeypatch):
    before, first = _undone_in(change), change.version
    with_it = _documents(before), _documents(first)
    monkeypatch.setattr(chain, "CHANGES", tuple(c for c in CHANGES if c is not change))
    chain._plan.cache_clear()
    try:
        without_it = _documents(before), _documents(first)
    finally:
        monkeypatch.undo()
        chain._plan.cache_clear()
    assert with_it[0] != without_it[0], "this change changes nothing any document shows"
    # The version that has the change is drawn the same with or without its entry.
    assert with_it[1] == without_it[1]


def test_the_changes_are_in_release_order_and_name_known_shapes():
    versions = [SHAPES.index(c.version) for c in CHANGES]
    assert versions == sorted(versions)
    for change in CHANGES:
        assert change.version in SHAPES and all(shape in SHAPES for shape in change.shapes)
        assert change.undo or change.adds or change.deprecates or change.request or change.parameters or change.drops, (
            change.name
        )


def test_the_newest_shape_is_drawn_as_render_draws_it_and_nothing_is_undone():
    assert not any(change.undone_in(SHAPES[-1]) for change in CHANGES)


def test_versions_older_than_every_description_share_the_oldest_shape():
    assert {VERSIONS[name].shape for name in ("1.0", "1.4", "2.0", "2.6")} == {"2.7"}
    assert VERSIONS["Preview"].shape == SHAPES[-1]
    assert _drawn("2.7") == conversation(_view(), VERSIONS["1.0"])


def test_undoing_never_touches_the_view_and_gives_the_same_document_each_time():
    view = _view()
    kept = copy.deepcopy(view)
    assert _drawn("2.10", view) == _drawn("2.10", view)
    assert view == kept


@pytest.mark.parametrize(
    ("level", "flag"), [("high", "priority"), ("urgent", "priority"), ("low", "priority"), ("none", "not_priority")]
)
def test_a_priority_level_reads_as_the_flag_before_2_16(level, flag):
    assert _drawn("2.16", _view(priority=level))["priority"] == level
    assert _drawn("2.15", _view(priority=level))["priority"] == flag


def test_an_assignee_is_its_id_in_every_version_and_none_is_0_only_from_2_16():
    assert _drawn("2.16", _view(assignee=7))["admin_assignee_id"] == 7
    assert _drawn("2.10", _view(assignee=7))["admin_assignee_id"] == 7
    assert _drawn("2.16")["admin_assignee_id"] == 0
    assert _drawn("2.15")["admin_assignee_id"] is None


def test_2_10_keeps_the_field_order_it_always_had():
    """Dropping what later versions added leaves 2.10's keys in the order they were drawn before
    versions existed: clients that compare documents byte for byte see no change."""
    assert list(_drawn("2.10")) == [
        "type", "id", "created_at", "updated_at", "waiting_since", "snoozed_until", "source", "contacts",
        "first_contact_reply", "admin_assignee_id", "team_assignee_id", "open", "state", "read", "tags",
        "priority", "sla_applied", "statistics", "conversation_rating", "teammates", "title",
        "custom_attributes", "topics", "ticket", "linked_objects", "conversation_parts",
    ]  # fmt: skip
    part = _drawn("2.10")["conversation_parts"]["conversation_parts"][0]
    assert list(part) == [
        "type", "id", "part_type", "body", "created_at", "updated_at", "notified_at", "assigned_to", "author",
        "attachments", "external_id", "redacted",
    ]  # fmt: skip
    assert list(part["author"]) == ["type", "id", "name", "email"]
    assert list(_drawn("2.10")["source"]) == [
        "type", "id", "delivered_as", "subject", "body", "author", "attachments", "url", "redacted",
    ]  # fmt: skip


def test_a_ticket_keeps_its_2_10_fields_in_their_order():
    version = version_named("2.10")
    assert version is not None
    drawn = tickets.ticket(TICKET_ROW, TICKET_TYPE_ROW, _view(), "acme", version)
    assert list(drawn)[:9] == [
        "type", "id", "ticket_id", "ticket_attributes", "ticket_state", "ticket_state_internal_label",
        "ticket_state_external_label", "ticket_type", "contacts",
    ]  # fmt: skip
    assert (drawn["ticket_state"], drawn["admin_assignee_id"], drawn["team_assignee_id"]) == ("submitted", "0", "0")
    assert "ticket_states" not in drawn["ticket_type"]


# -- requests -------------------------------------------------------------------------------------------

# A body of each kind of request some version reads differently, with what every version adds (a
# kind whose additions no one body can hold, since an older version refuses one of them, has several).
_OPTION = {"text": "Yes", "uuid": "a5e1c524-5ddd-4c3e-9328-6bca5d6e3edb"}
_ADMIN = {"type": "admin", "id": "7"}
_REQUESTS: dict[str, dict | tuple[dict, ...]] = {
    "create_conversation_request": {
        "from": {"type": "user", "id": "c1"},
        "body": "hi",
        "created_at": 5,
        "brand_id": "9",
    },
    "contact_reply_base_request": {
        "type": "user",
        "message_type": "comment",
        "body": "hi",
        "created_at": 5,
        "reply_options": [_OPTION],
    },
    "admin_reply_conversation_request": {
        **{"type": "admin", "message_type": "comment", "admin_id": "7", "body": "hi"},
        **{"reply_options": [_OPTION], "skip_notifications": True},
    },
    "update_conversation_request": {"read": True, "company_id": "5f4d"},
    "search_request": {
        "query": {"operator": "OR", "value": [{"field": "priority", "operator": "=", "value": "priority"}]},
        "pagination": {"starting_after": None},
    },
    "create_message_request": (
        {"message_type": "inapp", "body": "hi", "from": _ADMIN, "to": {"type": "user", "id": "c1"}, "created_at": 5},
        {
            **{"message_type": "email", "subject": "Hi", "body": "hi", "from": _ADMIN},
            **{"to": [{"type": "user", "id": "c1"}, {"type": "lead", "id": "c2"}], "cc": {"type": "user", "id": "c3"}},
            "bcc": [{"type": "user", "id": "c4"}],
        },
        {"message_type": "whatsapp", "template": "keep_live", "components": [], "from": _ADMIN, "to": {"phone": 1}},
    ),
}


def _bodies(kind: str) -> tuple[dict, ...]:
    given = _REQUESTS[kind]
    return given if isinstance(given, tuple) else (given,)


def _read(kind: str, shape: str, body: dict) -> dict | str:
    """The body as the newest version reads it, or the error ``shape`` refuses it with."""
    version = version_named(shape)
    assert version is not None
    try:
        return chain.read(kind, copy.deepcopy(body), version)
    except IntercomError as refused:
        return f"refused: {refused.message}"


@pytest.mark.parametrize("change", [c for c in CHANGES if c.request], ids=lambda c: f"{c.version} {c.name}")
def test_each_request_change_alone_changes_how_its_older_shapes_read_a_request(change, monkeypatch):
    before = _undone_in(change)
    for kind in change.request:
        with_it = [(_read(kind, before, b), _read(kind, change.version, b)) for b in _bodies(kind)]
        monkeypatch.setattr(chain, "CHANGES", tuple(c for c in CHANGES if c is not change))
        chain._upgrades.cache_clear()
        try:
            without_it = [(_read(kind, before, b), _read(kind, change.version, b)) for b in _bodies(kind)]
        finally:
            monkeypatch.undo()
            chain._upgrades.cache_clear()
        assert any(w[0] != wo[0] for w, wo in zip(with_it, without_it, strict=True)), (
            f"this change reads no {kind} differently"
        )
        assert [w[1] for w in with_it] == [wo[1] for wo in without_it]


def test_the_newest_version_reads_every_request_as_sent_and_reading_never_touches_the_body():
    for kind in _REQUESTS:
        for body in _bodies(kind):
            kept = copy.deepcopy(body)
            assert _read(kind, SHAPES[-1], body) == body
            _read(kind, "2.7", body)
            assert body == kept


def test_before_2_14_a_message_goes_to_one_object_and_before_2_16_no_whatsapp():
    email, whatsapp = _bodies("create_message_request")[1:]
    assert _read("create_message_request", "2.13", email) == "refused: to must be an object"
    assert "cc" not in _read("create_message_request", "2.13", {**email, "to": {"type": "user", "id": "c1"}})
    assert _read("create_message_request", "2.15", whatsapp) == (
        "refused: message_type must be one of 'in_app', 'inapp', 'email' or 'conversation'"
    )
    assert _read("create_message_request", "2.16", whatsapp) == whatsapp


def test_only_2_11_requires_a_search_pagination_to_give_per_page():
    refused = "refused: pagination.per_page is a required parameter"
    searched = _REQUESTS["search_request"]
    assert [shape for shape in SHAPES if _read("search_request", shape, searched) == refused] == ["2.11"]
    sized = {"query": {"field": "open", "operator": "=", "value": True}, "pagination": {"per_page": 5}}
    assert chain.read("search_request", sized, VERSIONS["2.11"]) == sized


@pytest.mark.parametrize("change", [c for c in CHANGES if c.parameters], ids=lambda c: f"{c.version} {c.name}")
def test_each_query_parameter_is_read_exactly_in_the_shapes_that_have_its_change(change):
    for parameter in change.parameters:
        assert [shape for shape in SHAPES if reads(shape, parameter)] == [
            shape for shape in SHAPES if not change.undone_in(shape)
        ]
        assert reads(change.version, parameter) and not reads(_undone_in(change), parameter)


@pytest.mark.parametrize("change", [c for c in CHANGES if c.drops], ids=lambda c: f"{c.version} {c.name}")
def test_each_dropped_query_parameter_is_read_only_in_the_shapes_that_undo_its_change(change):
    for parameter in change.drops:
        assert [shape for shape in SHAPES if reads(shape, parameter)] == [
            shape for shape in SHAPES if change.undone_in(shape)
        ]


def test_the_page_number_of_a_contact_list_is_a_2_11_parameter_only():
    assert [shape for shape in SHAPES if reads(shape, "page")] == ["2.11"]
    assert all(reads(shape, "per_page") and reads(shape, "starting_after") for shape in SHAPES)


def test_a_search_on_the_priority_flag_reads_as_one_on_levels():
    def read(operator: str, value: object) -> dict:
        body = {"query": {"field": "priority", "operator": operator, "value": value}}
        version = version_named("2.15")
        assert version is not None
        return chain.read("search_request", body, version)["query"]

    assert read("=", "priority") == {"field": "priority", "operator": "!=", "value": "none"}
    assert read("!=", "priority") == {"field": "priority", "operator": "=", "value": "none"}
    assert read("=", "not_priority") == {"field": "priority", "operator": "=", "value": "none"}
    assert read("IN", ["priority"])["value"] == ["low", "medium", "high", "urgent"]
    assert read("NIN", ["not_priority", "high"])["value"] == ["none", "high"]


def _part(**fields: object) -> PartShown:
    values = {
        "id": 12, "part_type": "close", "body": None, "created_at": 100, "updated_at": 100, "notified_at": 100,
        "assigned_to": None, "author": ADA, "attachments": [], "external_id": None, "redacted": False,
        "state": "closed", "ticket_state": None, "previous_ticket_state": None, "metadata": None,
    }  # fmt: skip
    values.update(fields)
    return PartShown(**values)  # type: ignore[arg-type]


def _with_parts(*parts: PartShown) -> ConversationShown:
    return _view()._replace(parts=list(parts), parts_total=len(parts))


def test_a_part_shows_the_state_it_left_from_2_13_between_metadata_and_tags():
    view = _with_parts(_part(), _part(id=13, part_type="snoozed", state="snoozed"))
    for shape in ("2.13", "2.14", "2.16"):
        parts = _drawn(shape, view)["conversation_parts"]["conversation_parts"]
        assert [p["state"] for p in parts] == ["closed", "snoozed"]
        keys = list(parts[0])
        assert keys.index("state") == keys.index("email_message_metadata") + (2 if shape != "2.13" else 1)
        assert keys.index("tags") == keys.index("state") + 1
    assert all("state" not in p for p in _drawn("2.12", view)["conversation_parts"]["conversation_parts"])


def test_a_part_that_recorded_no_state_leaves_it_out():
    """The descriptions' part state is a plain enum, not nullable."""
    parts = _drawn("2.16", _with_parts(_part(state=None)))["conversation_parts"]["conversation_parts"]
    assert "state" not in parts[0]


def test_only_a_ticket_part_that_set_the_state_names_it_and_the_one_before():
    converted = _part(
        id=14,
        part_type="ticket_state_updated_by_admin",
        state="open",
        ticket_state="submitted",
        previous_ticket_state="submitted",
    )
    view = _with_parts(_part(id=13, part_type="comment", state="open"), converted)
    for shape in ("2.10", "2.13", "2.16"):
        version = version_named(shape)
        assert version is not None
        comment, conversion = tickets.ticket(TICKET_ROW, TICKET_TYPE_ROW, view, "acme", version)["ticket_parts"][
            "ticket_parts"
        ]
        assert "ticket_state" not in comment and "previous_ticket_state" not in comment
        assert (conversion["ticket_state"], conversion["previous_ticket_state"]) == ("submitted", "submitted")
        assert "state" not in conversion  # ticket_part has no conversation state
        assert list(conversion)[:6] == ["type", "id", "part_type", "body", "ticket_state", "previous_ticket_state"]


def test_2_11_gives_an_attachment_the_sizes_it_requires_and_leaves_the_view_alone():
    def attachment(shape: str) -> dict:
        return dict(_drawn(shape)["conversation_parts"]["conversation_parts"][0]["attachments"][0])

    assert attachment("2.11") == {**BY_URL, "filesize": 0, "width": 0, "height": 0}
    assert attachment("2.10") == attachment("2.12") == BY_URL
    assert BY_URL == {
        "type": "upload",
        "name": "a.pdf",
        "url": "https://example.test/a.pdf",
        "content_type": "application/pdf",
    }
