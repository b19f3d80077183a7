"""Conversations, their contacts, teammates, tags and parts, scoped to one workspace.

Reads for rendering load everything a page needs in a fixed number of queries (one per related
table, never one per conversation), so render/ never queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    func,
    insert,
    select,
    update,
)

from inboxd.domain.conversations import Change, Conversation, FirstContactReply, Source, first_contact_reply
from inboxd.domain.errors import NotFound
from inboxd.domain.events import Event
from inboxd.domain.ids import parse_numeric_id
from inboxd.domain.views import PartShown
from inboxd.store import keyset
from inboxd.store.conversation_deletion import delete_conversation
from inboxd.store.conversation_rows import People, Related, part_values, parts_shown, state_values, to_domain
from inboxd.store.conversation_rows import related as related_of
from inboxd.store.conversation_statements import (
    ADD_TEAMMATE,
    ANY_DUE,
    BUMP,
    COUNT,
    COUNT_ONE_MORE,
    DUE_LOCKED,
    INSERT_PART,
    MAX_RENDERED_PARTS,
    PART_COUNT,
    RECENT_PARTS,
    REDACTED_BODY,
    RELATED,
    ROW,
    ROW_LOCKED,
    SET_STATE,
    SHOWN,
    SHOWN_IN_FULL,
    UPDATE_STATE,
)
from inboxd.store.engine import inserted_id
from inboxd.store.id_floors import next_id
from inboxd.store.search_index import SearchIndex, count_created, created_day
from inboxd.store.tables import (
    conversation_contacts,
    conversation_parts,
    conversation_tags,
    conversations,
)
from inboxd.store.transactions import writing


class Conversations:
    def __init__(self, conn: Connection, workspace_id: int, events: list[Event] | None = None) -> None:
        self.conn = conn
        self.workspace_id = workspace_id
        self.events: list[Event] = [] if events is None else events  # the unit of work's (store/scope.py)
        self.index = SearchIndex(conn, workspace_id)
        # Conversations whose version this transaction bumped, or will (pending: read to be
        # changed, bumped by the state update or else by finish()). What they show has changed or
        # is about to, and an answer showing one must be drawn after this transaction.
        self.bumped: set[int] = set()
        self._pending: set[int] = set()

    # -- writes ---------------------------------------------------------------------------------

    def create(self, conversation: Conversation, source: Source, source_id: int, contact_ids: Sequence[str]) -> int:
        values = state_values(conversation)
        values.update(
            workspace_id=self.workspace_id,
            source_id=source_id,
            source_type=source.type,
            source_delivered_as=source.delivered_as,
            source_subject=source.subject,
            source_body=source.body,
            source_author_type=source.author.type,
            source_author_id=source.author.id,
            source_url=source.url,
            source_attachments=list(source.attachments),
            source_redacted=False,
            source_recipients=(
                [{"role": role, "email": email} for role, email in source.recipients]
                if source.recipients is not None
                else None
            ),
            **_first_contact_reply_values(first_contact_reply(None, conversation, source)),
        )
        taken = next_id(self.conn, conversations)
        if taken is not None:
            values["id"] = taken
        conversation_id = inserted_id(self.conn.execute(insert(conversations).values(**values)))
        self.conn.execute(COUNT_ONE_MORE, {"ws": self.workspace_id})
        count_created(
            self.conn, self.workspace_id, {created_day(conversation.created_at): (1, conversation_id, conversation_id)}
        )
        for contact_id in contact_ids:
            self.add_contact(conversation_id, contact_id)
        self.index.add(conversation_id, source.body)
        return conversation_id

    def apply(self, before: Conversation, change: Change) -> list[int]:
        """Write a domain change: the new state (if any), the appended parts in order, and the
        teammates who joined."""
        assert before.id is not None
        self.changed(before.id)
        old, new = state_values(before), state_values(change.conversation)
        changed: dict[str, Any] = {key: value for key, value in new.items() if old[key] != value}
        if before.id in self._pending:  # the version's bump rides on the state's update
            UPDATE_STATE.run(self.conn, {"ws": self.workspace_id, "conversation": before.id, **changed})
            self._pending.discard(before.id)
        elif changed:
            SET_STATE.run(self.conn, {"ws": self.workspace_id, "conversation": before.id, **changed})
        first = first_contact_reply(before, change.conversation)
        if first is not None:
            self._set_first_contact_reply(before.id, first)
        ids = [
            int(INSERT_PART.inserted(self.conn, {"workspace_id": self.workspace_id, **part_values(before.id, part)}))
            for part in change.parts
        ]
        for admin_id in change.add_teammates:
            self._add_teammate(before.id, admin_id)
        self.events.extend(Event(topic, before.id, change.conversation.updated_at) for topic in change.events)
        return ids

    def _set_first_contact_reply(self, conversation_id: int, first: FirstContactReply) -> None:
        self.conn.execute(
            update(conversations)
            .where(conversations.c.workspace_id == self.workspace_id, conversations.c.id == conversation_id)
            .values(**_first_contact_reply_values(first))
        )

    def _next_position(self, table: Any, conversation_id: int) -> int:
        current = self.conn.execute(
            select(func.max(table.c.position)).where(
                table.c.workspace_id == self.workspace_id, table.c.conversation_id == conversation_id
            )
        ).scalar_one()
        return 0 if current is None else int(current) + 1

    def _add_teammate(self, conversation_id: int, admin_id: int) -> None:
        ADD_TEAMMATE.run(self.conn, {"ws": self.workspace_id, "conversation": conversation_id, "admin": admin_id})

    def add_contact(self, conversation_id: int, contact_id: str) -> bool:
        """Make the contact a participant; False when it already was one."""
        if contact_id in self.contact_ids(conversation_id):
            return False
        self.changed(conversation_id)
        self.conn.execute(
            insert(conversation_contacts).values(
                workspace_id=self.workspace_id,
                conversation_id=conversation_id,
                contact_id=contact_id,
                position=self._next_position(conversation_contacts, conversation_id),
            )
        )
        return True

    def remove_contact(self, conversation_id: int, contact_id: str) -> None:
        self.changed(conversation_id)
        self.conn.execute(
            delete(conversation_contacts).where(
                conversation_contacts.c.workspace_id == self.workspace_id,
                conversation_contacts.c.conversation_id == conversation_id,
                conversation_contacts.c.contact_id == contact_id,
            )
        )

    def contact_ids(self, conversation_id: int) -> list[str]:
        return [
            row.contact_id
            for row in self.conn.execute(
                select(conversation_contacts.c.contact_id)
                .where(
                    conversation_contacts.c.workspace_id == self.workspace_id,
                    conversation_contacts.c.conversation_id == conversation_id,
                )
                .order_by(conversation_contacts.c.position)
            )
        ]

    def tag(self, conversation_id: int, tag_id: int, admin_id: int, now: int) -> dict[str, Any]:
        """Apply a tag (once: a second application keeps the first one's time and admin)."""
        existing = self._tagging(conversation_id, tag_id)
        if existing is not None:
            return existing
        self.changed(conversation_id)
        self.conn.execute(
            insert(conversation_tags).values(
                workspace_id=self.workspace_id,
                conversation_id=conversation_id,
                tag_id=tag_id,
                applied_at=now,
                applied_by_admin_id=admin_id,
            )
        )
        return {"applied_at": now, "applied_by_admin_id": admin_id}

    def untag(self, conversation_id: int, tag_id: int) -> dict[str, Any] | None:
        """Remove a tag; the tagging it removed, or None when the tag was not applied."""
        existing = self._tagging(conversation_id, tag_id)
        if existing is not None:
            self.changed(conversation_id)
            self.conn.execute(
                delete(conversation_tags).where(
                    conversation_tags.c.workspace_id == self.workspace_id,
                    conversation_tags.c.conversation_id == conversation_id,
                    conversation_tags.c.tag_id == tag_id,
                )
            )
        return existing

    def _tagging(self, conversation_id: int, tag_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(conversation_tags.c.applied_at, conversation_tags.c.applied_by_admin_id).where(
                conversation_tags.c.workspace_id == self.workspace_id,
                conversation_tags.c.conversation_id == conversation_id,
                conversation_tags.c.tag_id == tag_id,
            )
        ).first()
        return row._asdict() if row else None

    def part(self, conversation_id: int, part_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(conversation_parts).where(
                conversation_parts.c.workspace_id == self.workspace_id,
                conversation_parts.c.conversation_id == conversation_id,
                conversation_parts.c.id == part_id,
            )
        ).first()
        return row._asdict() if row else None

    def redact_part(self, conversation_id: int, part_id: int, now: int) -> None:
        """Overwrite the part's text and attachments: redacted text is gone, not hidden (a kept
        document that shows it is of an older version: never served again)."""
        self.changed(conversation_id)
        self.conn.execute(
            update(conversation_parts)
            .where(conversation_parts.c.workspace_id == self.workspace_id, conversation_parts.c.id == part_id)
            .values(body=REDACTED_BODY, attachments=[], metadata=None, redacted=True, updated_at=now)
        )

    def redact_source(self, conversation_id: int) -> None:
        self.changed(conversation_id)
        self.index.remove(conversation_id)
        self.conn.execute(
            update(conversations)
            .where(conversations.c.workspace_id == self.workspace_id, conversations.c.id == conversation_id)
            .values(source_body=REDACTED_BODY, source_attachments=[], source_redacted=True)
        )

    def delete(self, conversation_id: int) -> None:
        """Delete the conversation and everything it owns (store/conversation_deletion.py), or
        NotFound. It counts as changed: in a group commit, an earlier write whose answer shows it
        is then committed before it (store/unit_of_work.py), and no version is bumped after."""
        row = self.require_row(conversation_id)
        self.bumped.add(conversation_id)
        self._pending.discard(conversation_id)
        delete_conversation(self.conn, self.workspace_id, row)

    def due_snoozes(self, now: int, limit: int) -> list[Conversation]:
        """Snoozed conversations whose timer has run out, oldest first, read locked (on the
        (workspace, state, snoozed_until) index): only a write transaction wakes them."""
        rows = DUE_LOCKED.rows(self.conn, {"ws": self.workspace_id, "now": now, "limit": limit})
        return [to_domain(row) for row in rows]

    def any_due_snooze(self, now: int) -> bool:
        """Whether any of the workspace's snoozes has run out by ``now`` (operations/snoozes.py)."""
        return ANY_DUE.first(self.conn, {"ws": self.workspace_id, "now": now}) is not None

    def latest_for_contact(self, contact_id: str) -> int | None:
        """The contact's most recently updated conversation (`POST /conversations/last/reply`)."""
        row = self.conn.execute(
            select(conversations.c.id)
            .join(conversation_contacts, conversation_contacts.c.conversation_id == conversations.c.id)
            .where(
                conversation_contacts.c.workspace_id == self.workspace_id,
                conversation_contacts.c.contact_id == contact_id,
            )
            .order_by(conversations.c.updated_at.desc(), conversations.c.id.desc())
            .limit(1)
        ).first()
        return int(row.id) if row else None

    # -- reads ----------------------------------------------------------------------------------

    def get_row(self, conversation_id: int) -> dict[str, Any] | None:
        """The conversation's row. Inside a write transaction it is read to be changed, and locked
        (FOR UPDATE on PostgreSQL, whose writes run READ COMMITTED: a concurrent write to it waits
        for this one to commit instead of both changing the state read before either did); a read
        locks nothing (store/transactions.py, ``writing``)."""
        statement = ROW_LOCKED if writing(self.conn) else ROW
        return statement.first(self.conn, {"ws": self.workspace_id, "id": conversation_id})

    def changed(self, conversation_id: int) -> None:
        """Mark the conversation changed by this write: every method that changes a conversation or
        what it shows (parts, tags, contacts, ticket) calls this, and nothing else does (a read
        never does). It gets a new version, and a rendered document of the old one is never served
        again (store/cached_reads.py and the render cache compare versions), in any process.
        Once per transaction is enough: the new version only becomes visible at commit,
        and is given with the new state when there is one (apply), else by finish()."""
        if conversation_id not in self.bumped:
            self.bumped.add(conversation_id)
            self._pending.add(conversation_id)

    def finish(self) -> None:
        """The new version of every conversation read to be changed whose state did not change
        (a tag, a participant, a redaction): called once the write's work is done, before commit."""
        for conversation_id in sorted(self._pending):
            BUMP.run(self.conn, {"ws": self.workspace_id, "conversation": conversation_id})
        self._pending.clear()

    def get(self, conversation_id: int) -> Conversation | None:
        row = self.get_row(conversation_id)
        return to_domain(row) if row else None

    @staticmethod
    def parse_id(value: str | int) -> int:
        """A conversation id from a path or body; anything that cannot be one is simply not found."""
        number = parse_numeric_id(value)
        if number is None:
            raise NotFound("Resource Not Found")
        return number

    def existing(self, value: str, missing: NotFound) -> int:
        """The id of a conversation of the workspace named by ``value`` (a path or body), or
        ``missing`` raised: endpoints answer an unknown conversation in words of their own."""
        number = parse_numeric_id(value)
        if number is None or self.get_row(number) is None:
            raise missing
        return number

    def require_row(self, conversation_id: int) -> dict[str, Any]:
        row = self.get_row(conversation_id)
        if row is None:
            raise NotFound("Resource Not Found")
        return row

    def require(self, conversation_id: int) -> Conversation:
        return to_domain(self.require_row(conversation_id))

    def count(self) -> int:
        return int(COUNT.scalar(self.conn, {"ws": self.workspace_id}))

    def page(self, limit: int, after: tuple[int, int] | None) -> list[dict[str, Any]]:
        """Newest-updated first; ``after`` is the (updated_at, id) of the previous page's last row."""
        query = select(conversations).where(conversations.c.workspace_id == self.workspace_id)
        if after is not None:
            query = query.where(keyset.after(conversations.c.updated_at, conversations.c.id, after))
        rows = self.conn.execute(
            query.order_by(*keyset.newest_first(conversations.c.updated_at, conversations.c.id)).limit(limit)
        )
        return [row._asdict() for row in rows]

    def shown_rows(self, conversation_ids: Sequence[int]) -> list[dict[str, Any]]:
        """For reads: the rows of these conversations in one statement, each with its source's
        author and its ticket (SHOWN), in the order asked; an id of no conversation of the workspace
        is left out. Unlike :meth:`get_row` it never marks a conversation as about to change."""
        rows = SHOWN.rows(self.conn, {"ws": self.workspace_id, "ids": list(conversation_ids)})
        found = {row["id"]: row for row in rows}
        return [found[i] for i in conversation_ids if i in found]

    def related(self, ids: Sequence[int]) -> dict[int, Related]:
        """Contacts, teammates and tags of each conversation, each in the order they joined."""
        if not ids:
            return {}
        return related_of(RELATED.values(self.conn, {"ws": self.workspace_id, "ids": list(ids)}), ids)

    def shown_in_full(self, conversation_id: int) -> tuple[dict[str, Any], Related, list[Sequence[Any]], int] | None:
        """One conversation as GET shows it: its row (SHOWN), what it relates to (RELATED), its
        recent parts' rows, newest first (RECENT_PARTS) and how many parts it has; None when the
        workspace has no such conversation. On PostgreSQL one statement (SHOWN_IN_FULL), a single
        snapshot without a transaction; on SQLite, in-process, the three statements."""
        params = {"ws": self.workspace_id, "ids": [conversation_id], "id": conversation_id}
        if self.conn.dialect.name == "postgresql":
            found = SHOWN_IN_FULL.first(self.conn, params)
            assert found is not None  # an aggregate always answers a row
            if not found["shown"]:
                return None
            row: dict[str, Any] = found["shown"][0]
            related: list[Sequence[Any]] = [tuple(item.values()) for item in found["related"]]
            parts: list[Sequence[Any]] = [tuple(item.values()) for item in found["parts"]]
        else:
            rows = self.shown_rows([conversation_id])
            if not rows:
                return None
            row, related, parts = rows[0], RELATED.values(self.conn, params), RECENT_PARTS.values(self.conn, params)
        total = len(parts) if len(parts) < MAX_RENDERED_PARTS else int(PART_COUNT.scalar(self.conn, params))
        return row, related_of(related, [conversation_id])[conversation_id], parts, total

    def recent_parts(self, conversation_id: int, people: People | None = None) -> tuple[list[PartShown], int]:
        """The 500 most recent parts, oldest first, with their authors (one :class:`Person` per
        author, kept in ``people`` across calls), and how many parts there are in all."""
        params = {"ws": self.workspace_id, "id": conversation_id}
        rows = RECENT_PARTS.values(self.conn, params)
        # Fewer than the limit: these are all of them (same snapshot), no count needed.
        total = len(rows) if len(rows) < MAX_RENDERED_PARTS else int(PART_COUNT.scalar(self.conn, params))
        return parts_shown(rows, {} if people is None else people), total


def _first_contact_reply_values(first: FirstContactReply | None) -> dict[str, Any]:
    """The columns of the first contact reply the domain recorded (domain/conversations.py), all
    NULL while there is none."""
    return {
        "first_contact_reply_at": first.created_at if first is not None else None,
        "first_contact_reply_type": first.type if first is not None else None,
        "first_contact_reply_url": first.url if first is not None else None,
    }
