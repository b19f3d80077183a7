"""What a search leaves in the engine's cache of compiled statements (store/search/,
UNCACHED_FILTERS): nothing for a query of many filters, whose compiled statements hold megabytes
at the limits of docs/search.md while SQLAlchemy keeps hundreds; a small query's statements are
kept, as every other statement's."""

from __future__ import annotations

from sqlalchemy import Engine

from inboxd.search import query as search_query
from inboxd.store.scope import Store
from inboxd.store.search import UNCACHED_FILTERS
from inboxd.store.transactions import transaction

OPEN = {"field": "state", "operator": "=", "value": "open"}


def _search(engine: Engine, query: dict[str, object]) -> None:
    root = search_query.parse({"query": query}).root
    with transaction(engine, write=False) as conn:
        search = Store(conn, 1).search
        plan = search.where(root, 20)
        search.page(plan, 21, None)
        search.count(plan, 100)


def test_a_search_of_many_filters_keeps_no_compiled_statement(engine: Engine):
    cache = engine._compiled_cache
    assert cache is not None
    _search(engine, OPEN)
    kept = len(cache)
    groups = UNCACHED_FILTERS // 15 + 1
    many = {"operator": "OR", "value": [{"operator": "AND", "value": [OPEN] * 15} for _ in range(groups)]}
    _search(engine, many)
    assert len(cache) == kept
    _search(engine, {"operator": "AND", "value": [OPEN, OPEN]})  # a shape not seen yet
    assert len(cache) > kept
