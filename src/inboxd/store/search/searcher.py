"""A search run: the plan chosen for a query, its pages by the strategy the plan names, and its
count (docs/search.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    select,
    true,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import BigInteger

from inboxd.search.query import Filter, Group, Node
from inboxd.store import keyset
from inboxd.store.search.compiler import Compiler, _conjuncts, _merge_related_ors, _related_table, _wanted
from inboxd.store.search.planner import Planner
from inboxd.store.search.targets import CreatedRange, c
from inboxd.store.tables import (
    CREATED_DAY,
    conversations,
)


@dataclass
class Plan:
    """A compiled search: its condition, how to order the page, and what is known of its count."""

    where: ColumnElement[bool]
    # Read every match and sort: the matches come from a narrower index than the walk's.
    sort: bool = False
    count_in_page: bool = False  # sorting, and testing a match probes another table (Search._sorted_page)
    # The query is one related filter: its count comes from the related table (or is known).
    related: Filter | None = None
    known: int | None = None  # the exact number of matches, when planning learnt it
    total: int | None = None  # counted by the page query itself (sorting plans)
    # A lone created_at range of many conversations: each of these days' first page from the
    # (workspace_id, created day, updated_at) index, merged (Search._merged_page).
    days: list[int] | None = None
    # An OR whose every branch (with the AND's other filters) is an inbox: each branch's first page
    # from its own (assignee, state, updated_at) index, merged; counted as a UNION of the branches.
    branches: list[ColumnElement[bool]] | None = None


# A search of more filters than this compiles its statements each time instead of keeping them in
# the engine's cache of compiled statements (SQLAlchemy's, 500 of them): a kept statement holds its
# SQL and every bound parameter, a large share of a megabyte at the limits of docs/search.md, so a
# few hundred queries of different shapes would otherwise keep hundreds of megabytes in every worker
# (docs/decisions.md).
UNCACHED_FILTERS = 32


def _filters(node: Node) -> int:
    return sum(_filters(child) for child in node.children) if isinstance(node, Group) else 1


class Search:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id
        self.dialect = conn.dialect.name

    def where(self, root: Node | None, per_page: int) -> Plan:
        """Compile ``root`` (None: every conversation) into a :class:`Plan` for pages of ``per_page``."""
        if root is None:
            return Plan(c.workspace_id == self.workspace_id)
        if self.dialect == "postgresql":
            # psycopg prepares a statement run five times; PostgreSQL then tries five custom plans
            # and switches to a generic one when its estimate is no worse. For a search's bound
            # arrays and ranges the generic plan can be ruinous, many times slower from the
            # eleventh run on (docs/decisions.md, Performance: "A PostgreSQL search runs with").
            # Plans made for the values, in this transaction only; and no JIT, which the engine's
            # connections turn off already unless a pooler stands between (store/engine.py).
            self.conn.exec_driver_sql(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)"
            )
        if _filters(root) > UNCACHED_FILTERS:
            # For the rest of this transaction only (the option is the Connection's, which ends with it).
            self.conn.execution_options(compiled_cache=None)
        planner = Planner(self.conn, self.workspace_id, per_page)
        compiler = Compiler(self.workspace_id, planner, self.conn.dialect.name)
        if isinstance(root, Group) and root.operator == "OR":
            merged = _merge_related_ors(root.children)
            root = merged[0] if len(merged) == 1 else Group("OR", merged)
        conjuncts = _conjuncts(root)
        ranges = _created_ranges(conjuncts)
        created = planner.created(*_range_bounds(ranges)) if ranges else None
        if created is not None and created.span is not None and len(ranges) < len(conjuncts):
            compiler.span, compiler.top = created.span, {id(item) for item in conjuncts}
        plan = Plan(and_(c.workspace_id == self.workspace_id, compiler.node(root), *_day_bounds(created)))
        read_first = any(item in compiler.read_first for item in conjuncts)
        if created is not None:
            bounds = [compiler.filter(item) for item in ranges]
            lone = len(ranges) == len(conjuncts)
            step = self._range_plan(created, planner, lone and not read_first)
            if step == "merge":
                plan.days = planner.created_days(created)
            plan.sort = step == "sort"
            if lone:
                plan.known = planner.created_count(created, bounds)
        if read_first:
            plan.sort, plan.days = True, None
        inboxes = None if plan.sort or plan.days is not None else _inbox_branches(root)
        if inboxes is not None:
            plan.branches = [
                and_(c.workspace_id == self.workspace_id, compiler.node(Group("AND", tuple(branch))))
                for branch in inboxes
            ]
        if created is not None and created.exact and read_first:
            self._merge_read_first(plan, created, conjuncts, ranges, planner, compiler)
        if plan.sort:
            # The sort reads every match anyway: count them in the same pass when a second pass
            # would probe another table again or look up conversations by id again.
            plan.count_in_page = compiler.probes or (read_first and plan.known is None and len(conjuncts) > 1)
        if (
            isinstance(root, Filter)
            and (root.field.multi or root.field.tokenised)
            and root.operator in ("=", "IN")
            and root.value is not None
        ):
            plan.related = root
            if root in compiler.read_first:
                plan.known = len(compiler.read_first[root])
            elif root.field.tokenised and len(words := _wanted(root)) == 1:
                plan.known = planner.documents(words)
        return plan

    def _merge_read_first(
        self,
        plan: Plan,
        created: CreatedRange,
        conjuncts: tuple[Node, ...],
        ranges: list[Filter],
        planner: Planner,
        compiler: Compiler,
    ) -> None:
        """A range whose ids are exactly its conversations, AND one related filter read first within
        them (``source.body = "be" AND created_at …``): the ids read are the matches, so they are
        the count; and the page may come from the range's days (each day's first page of those ids,
        read in the day index's order) rather than from looking every match up by id to sort it."""
        others = [item for item in conjuncts if all(item is not bound for bound in ranges)]
        if len(others) != 1 or others[0] not in compiler.read_first:
            return
        ids = compiler.read_first[others[0]]
        plan.known = len(ids)
        merge = created.days * (planner.per_page + 1) * created.inside / max(len(ids), 1)
        if created.days <= planner.MERGE_DAYS and merge < len(ids) * planner.ROW_COST:
            bounds = [compiler.filter(item) for item in ranges]
            plan.where = and_(c.workspace_id == self.workspace_id, *bounds, compiler._id_list(ids, tested=True))
            plan.days, plan.sort = planner.created_days(created), False

    @staticmethod
    def _range_plan(created: CreatedRange, planner: Planner, lone: bool) -> str:
        """How to reach a created_at range's matches, by the index entries each way reads:
        ``walk`` the (updated_at, id) index past the newer conversations until a page is found
        among the range's; ``sort`` every conversation of the range (its index carries updated_at);
        ``merge`` each of its days' first page (a lone range only: other filters would make a day's
        first page unbounded)."""
        k = planner.per_page + 1
        walk = created.newer + k * max(planner.size - created.newer, 1) / max(created.inside, 1)
        sort = created.inside
        merge = created.days * (k + planner.MERGE_SEEK) if lone and created.days <= planner.MERGE_DAYS else math.inf
        if merge < min(walk, sort):
            return "merge"
        return "sort" if sort <= walk else "walk"

    def page(self, plan: Plan, limit: int, after: tuple[Any, ...] | None) -> list[dict[str, Any]]:
        if plan.days is not None:
            return self._merged_page(plan, plan.days, limit, after)
        if plan.branches is not None:
            return self._branches_page(plan.branches, limit, after)
        if plan.sort:
            return self._sorted_page(plan, limit, after)
        query: Select[Any] = select(conversations).where(plan.where)
        if after is not None:
            query = query.where(keyset.after(c.updated_at, c.id, after))
        rows = self.conn.execute(query.order_by(c.updated_at.desc(), c.id.desc()).limit(limit))
        return [row._asdict() for row in rows]

    def _merged_page(
        self, plan: Plan, days: list[int], limit: int, after: tuple[Any, ...] | None
    ) -> list[dict[str, Any]]:
        """The page's keys as the best ``limit`` of each day's best ``limit``: one short read of the
        (workspace_id, created day, updated_at, id) index per day, whatever the day holds. One
        statement whatever the number of days (a bound list): PostgreSQL joins each day LATERAL to
        its first page, SQLite (no LATERAL) runs the page as a correlated IN per day."""
        if not days:
            return []
        if self.dialect == "postgresql":
            listed = (
                func.unnest(bindparam(None, days, type_=ARRAY(BigInteger)))
                .table_valued("value")
                .render_derived(name="days")
            )
        else:
            listed = func.json_each(bindparam(None, orjson.dumps(days).decode())).table_valued("value").alias("days")
        top: Select[Any] = select(c.id, c.updated_at).where(plan.where, listed.c.value == CREATED_DAY)
        if after is not None:
            top = top.where(keyset.after(c.updated_at, c.id, after))
        top = top.order_by(c.updated_at.desc(), c.id.desc()).limit(limit)
        if self.dialect == "postgresql":
            tops = top.lateral("top")
            query = select(tops.c.id).select_from(listed).join(tops, true())
            order = (tops.c.updated_at.desc(), tops.c.id.desc())
        else:
            page = conversations.alias("page")
            query = select(page.c.id).select_from(listed).join(page, page.c.id.in_(top.with_only_columns(c.id)))
            order = (page.c.updated_at.desc(), page.c.id.desc())
        return self._rows(list(self.conn.execute(query.order_by(*order).limit(limit)).scalars()))

    def _branches_page(
        self, branches: list[ColumnElement[bool]], limit: int, after: tuple[Any, ...] | None
    ) -> list[dict[str, Any]]:
        """The best ``limit`` of each branch's best ``limit`` (a conversation in the page is among
        the first ``limit`` of every branch it matches)."""
        tops = []
        for branch in branches:
            top: Select[Any] = select(c.id, c.updated_at).where(branch)
            if after is not None:
                top = top.where(keyset.after(c.updated_at, c.id, after))
            tops.append(top.order_by(c.updated_at.desc(), c.id.desc()).limit(limit).subquery())
        keys = union(*(select(top.c.id, top.c.updated_at) for top in tops)).subquery()
        query = select(keys.c.id).order_by(keys.c.updated_at.desc(), keys.c.id.desc()).limit(limit)
        return self._rows(list(self.conn.execute(query).scalars()))

    def _rows(self, wanted: list[int]) -> list[dict[str, Any]]:
        if not wanted:
            return []
        rows = {row.id: row._asdict() for row in self.conn.execute(select(conversations).where(c.id.in_(wanted)))}
        return [rows[i] for i in wanted]

    def _sorted_page(self, plan: Plan, limit: int, after: tuple[Any, ...] | None) -> list[dict[str, Any]]:
        """The page's keys from the matches' narrow index, sorted, then its rows by id. Ordering on
        ``updated_at + 0`` keeps the database from walking the (updated_at, id) index instead.

        When testing a match costs a probe of another table, the same pass also counts the matches
        (a window count, taken before the cursor's condition: the query's total), which saves
        a second pass of probes for ``total_count``; without probes, a separate count that stops at
        the limit is cheaper than a window."""
        if plan.count_in_page:
            keys = select(c.id, c.updated_at, func.count().over().label("total")).where(plan.where).subquery()
            query: Select[Any] = select(keys.c.id, keys.c.total)
            if after is not None:
                query = query.where(keyset.after(keys.c.updated_at, keys.c.id, after))
            query = query.order_by(keys.c.updated_at.desc(), keys.c.id.desc())
        else:
            query = select(c.id).where(plan.where)
            if after is not None:
                query = query.where(keyset.after(c.updated_at, c.id, after))
            query = query.order_by((c.updated_at + 0).desc(), (c.id + 0).desc())
        page = self.conn.execute(query.limit(limit)).all()
        if not page:
            return []
        if plan.count_in_page:
            plan.total = int(page[0].total)
        return self._rows([row.id for row in page])

    def count(self, plan: Plan, limit: int | None = None) -> int:
        """How many conversations match, exactly up to ``limit`` (None: no limit); beyond it, ``limit``."""
        total = plan.known if plan.known is not None else plan.total
        if total is None:
            total = self._count(plan, limit)
        return total if limit is None else min(total, limit)

    def _count(self, plan: Plan, limit: int | None) -> int:
        if plan.related is not None:
            table, value, _ = _related_table(plan.related.field)
            wanted = _wanted(plan.related)
            scope = table.c.workspace_id == self.workspace_id
            if limit is not None and len(wanted) > 1:
                # Past the limit as soon as one value is: no distinct ids to gather from the others.
                planner = Planner(self.conn, self.workspace_id, 1)
                if planner.over([select(table.c.conversation_id).where(scope, value == one) for one in wanted], limit):
                    return limit + 1
            matches: Select[Any] = select(table.c.conversation_id).where(scope, value.in_(wanted))
            if len(wanted) > 1:
                matches = matches.distinct()  # a conversation carrying two of the values counts once
        elif plan.branches is not None:
            # Each branch from its own index; UNION: a conversation in two branches counts once.
            matches = union(*(select(c.id).where(branch) for branch in plan.branches))  # type: ignore[assignment]
        else:
            matches = select(literal_column("1")).select_from(conversations).where(plan.where)
        if limit is not None:
            matches = matches.limit(limit + 1)
        return int(self.conn.execute(select(func.count()).select_from(matches.subquery())).scalar_one())


def _inbox_branches(root: Node) -> list[list[Node]] | None:
    """The branches of the AND's one OR, each with the AND's other filters, when every branch is an
    inbox (a state and an admin or team assignee, each ``=`` one value): None otherwise."""
    conjuncts = _conjuncts(root)
    ors = [item for item in conjuncts if isinstance(item, Group) and item.operator == "OR"]
    if len(ors) != 1 or not 1 < len(ors[0].children) <= 4:
        return None
    common = [item for item in conjuncts if item is not ors[0]]
    branches = [[*common, *_conjuncts(child)] for child in ors[0].children]

    def equal(items: list[Node], *names: str) -> bool:
        return any(
            isinstance(item, Filter) and item.field.name in names and item.operator == "=" and item.value is not None
            for item in items
        )

    if all(equal(branch, "state") and equal(branch, "admin_assignee_id", "team_assignee_id") for branch in branches):
        return branches
    return None


def _day_bounds(created: CreatedRange | None) -> list[ColumnElement[bool]]:
    """What a created_at range at the top of a query implies of the created day: the day index
    (tables.CREATED_DAY) is the one index that reads a range (migration 0005)."""
    if created is None:
        return []
    first, last = created.day_bounds
    return [
        *([CREATED_DAY >= first] if first is not None else []),  # noqa: SIM300
        *([CREATED_DAY <= last] if last is not None else []),  # noqa: SIM300
    ]


def _created_ranges(conjuncts: tuple[Node, ...]) -> list[Filter]:
    """The created_at comparisons among an AND's filters."""
    return [
        item
        for item in conjuncts
        if isinstance(item, Filter)
        and item.field.name == "created_at"
        and item.operator in ("=", ">", ">=", "<", "<=")
        and isinstance(item.value, int)
    ]


def _range_bounds(ranges: list[Filter]) -> tuple[int | None, int | None]:
    """The first and last second that every one of ``ranges`` accepts (None: unbounded)."""
    lo: int | None = None
    hi: int | None = None
    for item in ranges:
        assert isinstance(item.value, int)
        v = item.value
        low = {">": v + 1, ">=": v, "=": v}.get(item.operator)
        high = {"<": v - 1, "<=": v, "=": v}.get(item.operator)
        if low is not None:
            lo = low if lo is None else max(lo, low)
        if high is not None:
            hi = high if hi is None else min(hi, high)
    return lo, hi
