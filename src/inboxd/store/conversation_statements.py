"""The statements of store/conversations.py, built once with bind parameters and prepared
(store/prepared.py): every write runs a dozen of them while it holds SQLite's write lock, every
rendered conversation ten more."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    String,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)

from inboxd.store.prepared import Prepared
from inboxd.store.tables import (
    conversation_contacts,
    conversation_documents,
    conversation_parts,
    conversation_tags,
    conversation_teammates,
    conversations,
    workspaces,
)

# What a redacted body becomes: the text is overwritten in the database, not flagged and kept.
REDACTED_BODY = ""
MAX_RENDERED_PARTS = 500  # Intercom returns the 500 most recent parts (spec, retrieveConversation).

# Hot statements, built once with bind parameters and prepared (store/prepared.py): every write
# runs a dozen of them while it holds SQLite's write lock, every rendered conversation ten more.
ANY_DUE = Prepared(
    select(conversations.c.id)
    .where(
        conversations.c.workspace_id == bindparam("ws"),
        conversations.c.state == "snoozed",
        conversations.c.snoozed_until <= bindparam("now"),
    )
    .limit(1)
)
VERSION = Prepared(
    select(conversations.c.version).where(
        conversations.c.workspace_id == bindparam("ws"), conversations.c.id == bindparam("id")
    )
)
# The workspace's conversation count is kept beside it (tables.workspaces.conversation_count).
COUNT = Prepared(select(workspaces.c.conversation_count).where(workspaces.c.id == bindparam("ws")))
COUNT_ONE_MORE = (
    update(workspaces)
    .where(workspaces.c.id == bindparam("ws"))
    .values(conversation_count=workspaces.c.conversation_count + 1)
)

# A bumped version makes the stored document stale: it goes in the same transaction (store/tables/conversation.py).
DROP_DOCUMENT = Prepared(
    delete(conversation_documents).where(conversation_documents.c.conversation_id == bindparam("conversation"))
)
ROW_SELECT = select(conversations).where(
    conversations.c.workspace_id == bindparam("ws"), conversations.c.id == bindparam("id")
)
ROW = Prepared(ROW_SELECT)
ROWS = Prepared(
    select(conversations).where(
        conversations.c.workspace_id == bindparam("ws"), conversations.c.id.in_(bindparam("ids", expanding=True))
    )
)
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


def related_rows(
    kind: int,
    table: Any,
    order: tuple[Any, Any],
    contact: Any = None,
    admin: Any = None,
    tag: Any = None,
    applied: tuple[Any, Any] = (None, None),
) -> Select[Any]:
    """One related table's rows for a list of conversations (bound as ``ids``), in the shape all
    three share; columns a table lacks are typed NULLs (PostgreSQL types a UNION's columns)."""

    def typed(column: Any, kind_of: Any) -> Any:
        return column if column is not None else cast(null(), kind_of)

    return select(
        literal_column(str(kind)).label("kind"),
        table.c.conversation_id.label("conversation_id"),
        typed(contact, String(24)).label("contact_id"),
        typed(admin, BigInteger).label("admin_id"),
        typed(tag, BigInteger).label("tag_id"),
        typed(applied[0], BigInteger).label("applied_at"),
        typed(applied[1], BigInteger).label("applied_by_admin_id"),
        cast(order[0], BigInteger).label("o1"),
        cast(order[1], BigInteger).label("o2"),
    ).where(table.c.workspace_id == bindparam("ws"), table.c.conversation_id.in_(bindparam("ids", expanding=True)))


# Contacts, teammates and tags of a list of conversations, each in the order they joined: one
# statement (every rendered conversation runs it; three statements before).
_contacts, _teammates, _tagged = conversation_contacts.c, conversation_teammates.c, conversation_tags.c
RELATED = Prepared(
    union_all(
        related_rows(0, conversation_contacts, (_contacts.position, literal_column("0")), contact=_contacts.contact_id),
        related_rows(1, conversation_teammates, (_teammates.position, literal_column("0")), admin=_teammates.admin_id),
        related_rows(
            2,
            conversation_tags,
            (_tagged.applied_at, _tagged.tag_id),
            tag=_tagged.tag_id,
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
RECENT_PARTS = Prepared(
    select(conversation_parts)
    .where(
        conversation_parts.c.workspace_id == bindparam("ws"),
        conversation_parts.c.conversation_id == bindparam("id"),
    )
    .order_by(conversation_parts.c.id.desc())
    .limit(MAX_RENDERED_PARTS)
)
