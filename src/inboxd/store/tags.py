"""Tags of one workspace. Names are unique without regard to case, as in Intercom."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from inboxd.domain.errors import NotFound
from inboxd.domain.ids import parse_numeric_id
from inboxd.store.engine import inserted_id
from inboxd.store.tables import conversation_tags, conversations, tags


class Tags:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id
        self.renamed = False  # this transaction renamed a tag: what every tagged conversation shows changed

    def list(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(tags).where(tags.c.workspace_id == self.workspace_id).order_by(tags.c.id))
        return [row._asdict() for row in rows]

    def get(self, tag_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(tags).where(tags.c.workspace_id == self.workspace_id, tags.c.id == tag_id)
        ).first()
        return row._asdict() if row else None

    def named(self, value: str | int | None, missing: NotFound) -> dict[str, Any]:
        """The tag of the workspace named by ``value`` (a path or body), or ``missing`` raised:
        endpoints answer an unknown tag in words of their own."""
        number = parse_numeric_id(value)
        found = self.get(number) if number is not None else None
        if found is None:
            raise missing
        return found

    def by_name(self, name: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(tags).where(tags.c.workspace_id == self.workspace_id, tags.c.name_folded == name.casefold())
        ).first()
        return row._asdict() if row else None

    def create(self, name: str, now: int) -> int:
        return inserted_id(
            self.conn.execute(
                insert(tags).values(
                    workspace_id=self.workspace_id, name=name, name_folded=name.casefold(), created_at=now
                )
            )
        )

    def rename(self, tag_id: int, name: str) -> None:
        self.conn.execute(
            update(tags)
            .where(tags.c.workspace_id == self.workspace_id, tags.c.id == tag_id)
            .values(name=name, name_folded=name.casefold())
        )
        # Conversations show their tags' names: their rendered documents are stale now.
        self.renamed = True
        tagged = select(conversation_tags.c.conversation_id).where(
            conversation_tags.c.workspace_id == self.workspace_id, conversation_tags.c.tag_id == tag_id
        )
        self.conn.execute(
            update(conversations)
            .where(conversations.c.workspace_id == self.workspace_id, conversations.c.id.in_(tagged))
            .values(version=conversations.c.version + 1)
        )
