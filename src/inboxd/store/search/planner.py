"""What a search plan can learn cheaply before it runs: the workspace's size, how many documents
hold a word, how many conversations a day range or a bound holds (docs/search.md, "How a search is
planned")."""

from __future__ import annotations

import functools
import math
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    false,
    func,
    literal_column,
    select,
    true,
)

from inboxd.store.search.targets import CreatedRange, c, first_column
from inboxd.store.tables import (
    CREATED_DAY,
    conversation_days,
    conversations,
    token_stats,
    workspaces,
)


class Planner:
    """What the compiler needs to know about the data, each fact looked up once and cheaply."""

    # A range of more days than this is not merged day by day (SQLite caps a compound SELECT at 500).
    MERGE_DAYS = 400
    # What reading one day's first page costs beyond its rows, in index entries (the seek).
    MERGE_SEEK = 4
    # What looking a conversation up by id costs, in index entries read in order: a seek in the
    # wide table against a step along an index (measured: docs/decisions.md, Performance, "Small
    # costs").
    ROW_COST = 10

    def __init__(self, conn: Connection, workspace_id: int, per_page: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id
        self.per_page = per_page
        self._documents: dict[tuple[str, ...], int] = {}  # asked by the compiler, then for the count

    @functools.cached_property
    def size(self) -> int:
        """How many conversations the workspace holds (kept by the transactions that add and delete one)."""
        found = self.conn.execute(
            select(workspaces.c.conversation_count).where(workspaces.c.id == self.workspace_id)
        ).scalar()
        return int(found or 0)

    @functools.cached_property
    def threshold(self) -> int:
        """How many matches make both plans touch about as many rows (module docstring)."""
        return max(int(math.sqrt((self.per_page + 1) * max(self.size, 1))), self.per_page + 1)

    def created(self, lo: int | None, hi: int | None) -> CreatedRange:
        """The range's days, conversations and ids, from ``conversation_days``: O(days), one query."""
        found = CreatedRange(lo, hi)
        if lo is not None and hi is not None and lo > hi:
            return found
        d = conversation_days.c
        first, last = found.day_bounds
        inside = and_(d.day >= first if first is not None else true(), d.day <= last if last is not None else true())
        later = d.day > last if last is not None else false()
        earlier = d.day < first if first is not None else false()
        row = self.conn.execute(
            select(
                func.count(case((inside, 1))),
                func.sum(case((inside, d.conversations))),
                func.sum(case((later, d.conversations))),
                func.min(case((inside, d.first_id))),
                func.max(case((inside, d.last_id))),
                func.max(case((earlier, d.last_id))),
                func.min(case((later, d.first_id))),
            ).where(d.workspace_id == self.workspace_id)
        ).one()
        found.days, found.inside, found.newer = int(row[0]), int(row[1] or 0), int(row[2] or 0)
        if row[3] is not None:
            found.span = low, high = (int(row[3]), int(row[4]))
            found.exact = (
                (first is None or found.whole(first))
                and (last is None or found.whole(last))
                and (row[5] is None or int(row[5]) < low)
                and (row[6] is None or int(row[6]) > high)
            )
        return found

    def created_days(self, created: CreatedRange) -> list[int]:
        """The days of the range that have conversations, newest first."""
        d = conversation_days.c
        first, last = created.day_bounds
        query = select(d.day).where(d.workspace_id == self.workspace_id)
        if first is not None:
            query = query.where(d.day >= first)
        if last is not None:
            query = query.where(d.day <= last)
        return [int(day) for day in self.conn.execute(query.order_by(d.day.desc())).scalars()]

    def created_count(self, created: CreatedRange, bounds: list[ColumnElement[bool]]) -> int:
        """Exactly how many conversations the range holds: its whole days from ``conversation_days``,
        the (at most two) days it cuts counted from the index, each at most a day's conversations."""
        if created.days == 0:
            return 0
        d = conversation_days.c
        first, last = created.day_bounds
        edges = {day for day in (first, last) if day is not None and not created.whole(day)}
        whole = [d.day.not_in(sorted(edges))] if edges else []
        total = self.conn.execute(
            select(func.coalesce(func.sum(d.conversations), 0)).where(
                d.workspace_id == self.workspace_id,
                d.day >= first if first is not None else true(),
                d.day <= last if last is not None else true(),
                *whole,
            )
        ).scalar_one()
        scope = c.workspace_id == self.workspace_id
        for day in edges:
            total += self._count_up_to(and_(scope, CREATED_DAY == day, *bounds), None)  # noqa: SIM300
        return int(total)

    def over(self, queries: list[Select[Any]], bound: int) -> bool:
        """Whether one of ``queries`` selects more than ``bound`` rows (each read at most bound + 1)."""
        for query in queries:
            rows = query.limit(bound + 1).subquery()
            if int(self.conn.execute(select(func.count()).select_from(rows)).scalar_one()) > bound:
                return True
        return False

    def documents(self, words: tuple[str, ...]) -> int:
        """How many conversations carry one of ``words`` at most (exact for one word)."""
        if words not in self._documents:
            found = self.conn.execute(
                select(func.coalesce(func.sum(token_stats.c.documents), 0)).where(
                    token_stats.c.workspace_id == self.workspace_id, token_stats.c.token.in_(words)
                )
            ).scalar()
            self._documents[words] = int(found or 0)
        return self._documents[words]

    def few(self, ids: Select[Any]) -> list[int] | None:
        """The conversation ids ``ids`` selects, when they are at most :attr:`threshold`; else None."""
        found = set(first_column(self.conn, ids.limit(self.threshold + 1)))
        return sorted(found) if len(found) <= self.threshold else None

    def _count_up_to(self, condition: ColumnElement[bool], bound: int | None) -> int:
        rows: Select[Any] = select(literal_column("1")).select_from(conversations).where(condition)
        if bound is not None:
            rows = rows.limit(bound)
        return int(self.conn.execute(select(func.count()).select_from(rows.subquery())).scalar_one())
