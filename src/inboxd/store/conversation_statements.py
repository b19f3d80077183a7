"""The statements of store/conversations.py, built once with bind parameters and prepared
(store/prepared.py): every write runs a dozen of them while it holds SQLite's write lock, and
every rendered conversation three more (SHOWN, RELATED, RECENT_PARTS)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    FromClause,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql import CompoundSelect

from inboxd.store.prepared import Prepared
from inboxd.store.tables import (
    admins,
    contacts,
    conversation_contacts,
    conversation_parts,
    conversation_tags,
    conversation_teammates,
    conversations,
    tags,
    ticket_types,
    tickets,
    workspaces,
)

# What a redacted body becomes: the text is overwritten in the database, not flagged and kept.
REDACTED_BODY = ""
MAX_RENDERED_PARTS = 500  # Intercom returns the 500 most recent parts (spec, retrieveConversation).

# Hot statements, built once with bind parameters and prepared (store/prepared.py): every write
# runs a dozen of them while it holds SQLite's write lock.
ANY_DUE = Prepared(
    select(conversations.c.id)
    .where(
        conversations.c.workspace_id == bindparam("ws"),
        conversations.c.state == "snoozed",
        conversations.c.snoozed_until <= bindparam("now"),
    )
    .limit(1)
)
# The workspace's conversation count is kept beside it (tables.workspaces.conversation_count).
COUNT = Prepared(select(workspaces.c.conversation_count).where(workspaces.c.id == bindparam("ws")))
COUNT_ONE_MORE = (
    update(workspaces)
    .where(workspaces.c.id == bindparam("ws"))
    .values(conversation_count=workspaces.c.conversation_count + 1)
)

ROW_SELECT = select(conversations).where(
    conversations.c.workspace_id == bindparam("ws"), conversations.c.id == bindparam("id")
)
ROW = Prepared(ROW_SELECT)
# In a write transaction rows are read locked: on PostgreSQL two requests changing one conversation
# then run one after the other, as they do on SQLite (BEGIN IMMEDIATE), so no update is lost.
# SQLite renders no FOR UPDATE.
ROW_LOCKED = Prepared(ROW_SELECT.with_for_update())
BUMP = Prepared(
    update(conversations)
    .where(conversations.c.workspace_id == bindparam("ws"), conversations.c.id == bindparam("conversation"))
    .values(version=conversations.c.version + 1)
)
DUE_SELECT = (
    select(conversations)
    .where(
        conversations.c.workspace_id == bindparam("ws"),
        conversations.c.state == "snoozed",
        conversations.c.snoozed_until <= bindparam("now"),
    )
    .order_by(conversations.c.snoozed_until)
    .limit(bindparam("limit"))
)
# Rows read locked: a sweep in another process (operations/snoozes.py) waits for this one's commit,
# and PostgreSQL then checks the row again, no longer snoozed. Not SKIP LOCKED: a writer or the
# document writer may hold the row for a moment, and the snooze must not be passed over.
DUE_LOCKED = Prepared(DUE_SELECT.with_for_update())
INSERT_PART = Prepared(insert(conversation_parts).returning(conversation_parts.c.id))
# A teammate joins last, unless already one: one statement (the conversation's few teammate rows,
# aggregated: a row to insert only when none of them is this admin).
_ct = conversation_teammates.c
ADD_TEAMMATE = Prepared(
    insert(conversation_teammates).from_select(
        ["workspace_id", "conversation_id", "admin_id", "position"],
        select(
            bindparam("ws", type_=BigInteger),
            bindparam("conversation", type_=BigInteger),
            bindparam("admin", type_=BigInteger),
            func.coalesce(func.max(_ct.position) + 1, 0),
        )
        .where(_ct.workspace_id == bindparam("ws"), _ct.conversation_id == bindparam("conversation"))
        .having(func.coalesce(func.sum(case((_ct.admin_id == bindparam("admin"), 1), else_=0)), 0) == 0),
    )
)
# A conversation's new state: one form per set of columns a change touches (store/prepared.py),
# with a new version unless this transaction gave it one already (get_row).
UPDATE_STATE = Prepared(
    update(conversations)
    .where(conversations.c.workspace_id == bindparam("ws"), conversations.c.id == bindparam("conversation"))
    .values(version=conversations.c.version + 1)
)
SET_STATE = Prepared(
    update(conversations).where(
        conversations.c.workspace_id == bindparam("ws"), conversations.c.id == bindparam("conversation")
    )
)


# -- what a conversation shows (store/views.py) ---------------------------------------------------

# Which table knows an author of each kind: admins holds admins and the Operator bot, contacts
# everyone else but a team (teams are not people: nothing more is known of one).
ADMIN_AUTHORS = ("admin", "bot")
NOT_CONTACT_AUTHORS = ("admin", "bot", "team")


def with_author(table: FromClause, kind: Any, ident: Any) -> tuple[FromClause, tuple[Any, Any, Any]]:
    """``table`` joined to what is known of the author its ``kind``/``ident`` columns name, and
    that author's (kind or role, name, email): NULLs for nobody found. A primary-key lookup each,
    through a CASE, so that PostgreSQL never casts a contact's id to a number; at most one of the
    two joins finds a row."""
    admin_id = case((or_(*(kind == name for name in ADMIN_AUTHORS)), cast(ident, BigInteger)))
    contact_id = case((and_(*(kind != name for name in NOT_CONTACT_AUTHORS)), ident))
    joined = table.outerjoin(admins, and_(admins.c.id == admin_id, admins.c.workspace_id == bindparam("ws"))).outerjoin(
        contacts, and_(contacts.c.id == contact_id, contacts.c.workspace_id == bindparam("ws"))
    )
    return joined, (
        func.coalesce(admins.c.kind, contacts.c.role).label("author_known_as"),
        func.coalesce(admins.c.name, contacts.c.name).label("author_name"),
        func.coalesce(admins.c.email, contacts.c.email).label("author_email"),
    )


# The conversations themselves (bound as ``ids``), each with its source's author and its ticket.
_shown, _source_author = with_author(
    conversations, conversations.c.source_author_type, conversations.c.source_author_id
)
SHOWN = Prepared(
    select(
        conversations,
        *_source_author,
        tickets.c.id.label("ticket_shown_id"),
        tickets.c.ticket_state.label("ticket_shown_state"),
        ticket_types.c.category.label("ticket_shown_category"),
    )
    .select_from(
        _shown.outerjoin(
            tickets,
            and_(
                tickets.c.id == conversations.c.ticket_id,
                tickets.c.conversation_id == conversations.c.id,
                tickets.c.workspace_id == bindparam("ws"),
            ),
        ).outerjoin(ticket_types, ticket_types.c.id == tickets.c.ticket_type_id)
    )
    .where(conversations.c.workspace_id == bindparam("ws"), conversations.c.id.in_(bindparam("ids", expanding=True)))
)


def related_rows(
    kind: int,
    table: Any,
    joined: FromClause,
    order: tuple[Any, Any],
    contact: Any = None,
    external_id: Any = None,
    admin: Any = None,
    tag: Any = None,
    tag_name: Any = None,
    applied: tuple[Any, Any] = (None, None),
) -> Select[Any]:
    """One related table's rows for a list of conversations (bound as ``ids``), from ``joined``
    (``table`` and what it names), in the shape all three share; columns a table lacks are typed
    NULLs (PostgreSQL types a UNION's columns)."""

    def typed(column: Any, kind_of: Any) -> Any:
        return column if column is not None else cast(null(), kind_of)

    return (
        select(
            literal_column(str(kind)).label("kind"),
            table.c.conversation_id.label("conversation_id"),
            typed(contact, String(24)).label("contact_id"),
            typed(external_id, String(255)).label("external_id"),
            typed(admin, BigInteger).label("admin_id"),
            typed(tag, BigInteger).label("tag_id"),
            typed(tag_name, String(255)).label("tag_name"),
            typed(applied[0], BigInteger).label("applied_at"),
            typed(applied[1], BigInteger).label("applied_by_admin_id"),
            cast(order[0], BigInteger).label("o1"),
            cast(order[1], BigInteger).label("o2"),
        )
        .select_from(joined)
        .where(table.c.workspace_id == bindparam("ws"), table.c.conversation_id.in_(bindparam("ids", expanding=True)))
    )


# Contacts (with their external ids), teammates and tags (with their names) of a list of
# conversations, each in the order they joined: one statement (every rendered conversation runs
# it). A contact not found is still a participant; a tag not found is not shown.
_contacts, _teammates, _tagged = conversation_contacts.c, conversation_teammates.c, conversation_tags.c
RELATED = Prepared(
    union_all(
        related_rows(
            0,
            conversation_contacts,
            conversation_contacts.outerjoin(
                contacts, and_(contacts.c.id == _contacts.contact_id, contacts.c.workspace_id == _contacts.workspace_id)
            ),
            (_contacts.position, literal_column("0")),
            contact=_contacts.contact_id,
            external_id=contacts.c.external_id,
        ),
        related_rows(
            1,
            conversation_teammates,
            conversation_teammates,
            (_teammates.position, literal_column("0")),
            admin=_teammates.admin_id,
        ),
        related_rows(
            2,
            conversation_tags,
            conversation_tags.join(
                tags, and_(tags.c.id == _tagged.tag_id, tags.c.workspace_id == _tagged.workspace_id)
            ),
            (_tagged.applied_at, _tagged.tag_id),
            tag=_tagged.tag_id,
            tag_name=tags.c.name,
            applied=(_tagged.applied_at, _tagged.applied_by_admin_id),
        ),
    ).order_by(literal_column("kind"), literal_column("conversation_id"), literal_column("o1"), literal_column("o2"))
)
PART_COUNT = Prepared(
    select(func.count())
    .select_from(conversation_parts)
    .where(
        conversation_parts.c.workspace_id == bindparam("ws"),
        conversation_parts.c.conversation_id == bindparam("id"),
    )
)
# The most recent parts, newest first (the caller turns them round), each with its author: the
# columns in the order store/conversation_rows.py unpacks them.
_parts, _part_author = with_author(conversation_parts, conversation_parts.c.author_type, conversation_parts.c.author_id)
_p = conversation_parts.c
RECENT_PARTS = Prepared(
    select(
        _p.id,
        _p.part_type,
        _p.body,
        _p.created_at,
        _p.updated_at,
        _p.notified_at,
        _p.assigned_to_type,
        _p.assigned_to_id,
        _p.author_type,
        _p.author_id,
        *_part_author,
        _p.attachments,
        _p.external_id,
        _p.redacted,
        _p.state,
        _p.ticket_state,
        _p.previous_ticket_state,
        _p.metadata,
    )
    .select_from(_parts)
    .where(_p.workspace_id == bindparam("ws"), _p.conversation_id == bindparam("id"))
    .order_by(_p.id.desc())
    .limit(MAX_RENDERED_PARTS)
)


def _as_json_list(statement: Select[Any] | CompoundSelect[Any], name: str, *order: str) -> Any:
    """``statement``'s rows as one JSON array of objects, in ``order`` (column names, each
    optionally followed by " DESC"): an aggregate keeps no order of its subquery's."""
    rows = statement.subquery(name)
    ordering = [rows.c[key.split()[0]].desc() if key.endswith(" DESC") else rows.c[key] for key in order]
    listed = func.json_agg(aggregate_order_by(rows.table_valued(), *ordering))
    return select(func.coalesce(listed, literal_column("'[]'::json"))).select_from(rows).scalar_subquery()


# One conversation as GET shows it, in one statement (PostgreSQL; a round trip per statement is
# most of what a read there waits for): SHOWN, RELATED and RECENT_PARTS, bound as ``ids`` (the
# one id), ``id`` and ``ws``, each as a JSON array of its rows (store/conversations.py
# ``shown_in_full`` unpacks them as the three statements' rows).
SHOWN_IN_FULL = Prepared(
    select(
        _as_json_list(SHOWN.statement, "shown", "id").label("shown"),  # type: ignore[arg-type]
        _as_json_list(RELATED.statement, "related", "kind", "conversation_id", "o1", "o2").label("related"),  # type: ignore[arg-type]
        _as_json_list(RECENT_PARTS.statement, "parts", "id DESC").label("parts"),  # type: ignore[arg-type]
    )
)
