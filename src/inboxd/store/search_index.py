"""The `source.body` search index: each conversation's distinct tokens, and how many conversations
of the workspace carry each token (the planner's statistics). Kept in the same transaction as the
conversation it describes, so search never sees text that is gone or misses text that is there."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from inboxd.search.tokens import tokens
from inboxd.store.tables import DAY_SECONDS, MAX_TOKEN_LENGTH, conversation_days, conversation_tokens, token_stats


def index_terms(body: str) -> list[str]:
    """The distinct index entries of a body, in first-seen order (long words cut to the column)."""
    return list(dict.fromkeys(token[:MAX_TOKEN_LENGTH] for token in tokens(body)))


class SearchIndex:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id

    def add(self, conversation_id: int, body: str) -> None:
        terms = index_terms(body)
        if not terms:
            return
        self.conn.execute(
            conversation_tokens.insert(),
            [{"workspace_id": self.workspace_id, "token": t, "conversation_id": conversation_id} for t in terms],
        )
        self._count(terms, +1)

    def remove(self, conversation_id: int) -> None:
        terms = [
            row.token
            for row in self.conn.execute(
                select(conversation_tokens.c.token).where(conversation_tokens.c.conversation_id == conversation_id)
            )
        ]
        if not terms:
            return
        self.conn.execute(
            delete(conversation_tokens).where(
                conversation_tokens.c.workspace_id == self.workspace_id,
                conversation_tokens.c.conversation_id == conversation_id,
            )
        )
        self._count(terms, -1)

    def documents(self, term: str) -> int:
        """How many conversations of the workspace carry ``term``."""
        found = self.conn.execute(
            select(token_stats.c.documents).where(
                token_stats.c.workspace_id == self.workspace_id, token_stats.c.token == term[:MAX_TOKEN_LENGTH]
            )
        ).scalar()
        return int(found or 0)

    def _count(self, terms: Iterable[str], delta: int) -> None:
        rows = [{"workspace_id": self.workspace_id, "token": t, "documents": delta} for t in terms]
        if delta < 0:
            for row in rows:
                self.conn.execute(
                    update(token_stats)
                    .where(token_stats.c.workspace_id == self.workspace_id, token_stats.c.token == row["token"])
                    .values(documents=token_stats.c.documents + delta)
                )
            return
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(token_stats)
        statement = statement.on_conflict_do_update(
            index_elements=[token_stats.c.workspace_id, token_stats.c.token],
            set_={"documents": token_stats.c.documents + statement.excluded.documents},
        )
        self.conn.execute(statement, rows)


def created_day(created_at: int) -> int:
    """``tables.CREATED_DAY`` in Python: integer division truncated toward zero, as both engines do."""
    days = abs(created_at) // DAY_SECONDS
    return days if created_at >= 0 else -days


def count_created(conn: Connection, workspace_id: int, days: Mapping[int, tuple[int, int, int]]) -> None:
    """Add conversations to ``conversation_days``: per day, (how many, lowest id, highest id)."""
    if not days:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(conversation_days)
    d = conversation_days.c
    statement = statement.on_conflict_do_update(
        index_elements=[d.workspace_id, d.day],
        set_={
            "conversations": d.conversations + statement.excluded.conversations,
            "first_id": func.min(d.first_id, statement.excluded.first_id)
            if dialect is sqlite
            else func.least(d.first_id, statement.excluded.first_id),
            "last_id": func.max(d.last_id, statement.excluded.last_id)
            if dialect is sqlite
            else func.greatest(d.last_id, statement.excluded.last_id),
        },
    )
    conn.execute(
        statement,
        [
            {"workspace_id": workspace_id, "day": day, "conversations": n, "first_id": first, "last_id": last}
            for day, (n, first, last) in sorted(days.items())
        ],
    )
