"""Messages: the first message of every conversation (its `source`) and admins' outbound
messages (`POST /messages`), which have a conversation only once the contact answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from inboxd.store.engine import inserted_id
from inboxd.store.tables import message_recipients, messages


class Messages:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id

    def create(
        self,
        *,
        kind: str,
        message_type: str,
        subject: str,
        body: str,
        author_type: str,
        author_id: str,
        contact_id: str,
        created_at: int,
    ) -> int:
        return inserted_id(
            self.conn.execute(
                insert(messages).values(
                    workspace_id=self.workspace_id,
                    kind=kind,
                    message_type=message_type,
                    subject=subject,
                    body=body,
                    author_type=author_type,
                    author_id=author_id,
                    contact_id=contact_id,
                    created_at=created_at,
                )
            )
        )

    def address(self, message_id: int, recipients: Sequence[tuple[str, str, str | None]]) -> None:
        """Record whom an admin's message went to: (role, contact id, email), in order."""
        self.conn.execute(
            insert(message_recipients),
            [
                {
                    "workspace_id": self.workspace_id,
                    "message_id": message_id,
                    "position": position,
                    "role": role,
                    "contact_id": contact_id,
                    "email": email,
                }
                for position, (role, contact_id, email) in enumerate(recipients)
            ],
        )

    def recipients(self, message_id: int) -> list[tuple[str, str, str | None]]:
        """Whom the message went to, in order: (role, contact id, email)."""
        rows = self.conn.execute(
            select(message_recipients.c.role, message_recipients.c.contact_id, message_recipients.c.email)
            .where(
                message_recipients.c.workspace_id == self.workspace_id,
                message_recipients.c.message_id == message_id,
            )
            .order_by(message_recipients.c.position)
        )
        return [(row.role, row.contact_id, row.email) for row in rows]

    def get(self, message_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(messages).where(messages.c.workspace_id == self.workspace_id, messages.c.id == message_id)
        ).first()
        return row._asdict() if row else None

    def require(self, message_id: int) -> dict[str, Any]:
        found = self.get(message_id)
        assert found is not None, "a message written in this transaction is readable in it"
        return found

    def link(self, message_id: int, conversation_id: int) -> None:
        self.conn.execute(
            update(messages)
            .where(messages.c.workspace_id == self.workspace_id, messages.c.id == message_id)
            .values(conversation_id=conversation_id)
        )

    def latest_unanswered(self, contact_id: str) -> dict[str, Any] | None:
        """The newest admin message to this contact (one of its `to` recipients) that has no
        conversation yet."""
        addressed = select(message_recipients.c.message_id).where(
            message_recipients.c.workspace_id == self.workspace_id,
            message_recipients.c.contact_id == contact_id,
            message_recipients.c.role == "to",
        )
        row = self.conn.execute(
            select(messages)
            .where(
                messages.c.workspace_id == self.workspace_id,
                messages.c.id.in_(addressed),
                messages.c.kind == "admin_message",
                messages.c.conversation_id.is_(None),
            )
            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
            .limit(1)
        ).first()
        return row._asdict() if row else None
