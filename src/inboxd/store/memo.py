"""What a transaction remembers of its own reads (its :class:`~inboxd.store.transactions.
TransactionState`'s ``memo``, forgotten when it ends): reads that nothing but itself could change
before it ends. The writes of a batch (store/unit_of_work.py) share one transaction and need not
ask each again whether their token is live, or who their admin is; the answers of a batch are
drawn in one read transaction and mostly show the same admins and tags (docs/decisions.md,
Performance: "A transaction remembers what only it could change")."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import Connection

from inboxd.store.transactions import state


def memo(conn: Connection) -> dict[Any, Any] | None:
    """The running transaction's memory (store/transactions.py ``transaction``); None outside one."""
    running = state(conn)
    return running.memo if running is not None else None


def read_many(
    conn: Connection, kind: Hashable, ids: list[Any], fetch: Callable[[list[Any]], dict[Any, Any]]
) -> dict[Any, Any]:
    """``fetch(ids)`` (id → row, absent ids left out), remembered id by id by a read transaction.
    ``kind`` names the rows (and their workspace). Writes fetch every time: what they read may be
    what they are about to change."""
    running = state(conn)
    remembered = running.memo if running is not None and not running.write else None
    if remembered is None:
        return fetch(ids)
    found: dict[Any, Any] = {}
    missing = []
    for ident in ids:
        key = (kind, ident)
        if key in remembered:
            if remembered[key] is not None:
                found[ident] = remembered[key]
        else:
            missing.append(ident)
    if missing:
        fetched = fetch(missing)
        for ident in missing:
            remembered[(kind, ident)] = fetched.get(ident)
        found.update(fetched)
    return found
