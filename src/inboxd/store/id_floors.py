"""Ids never given twice on SQLite.

SQLite numbers a new row max(id) + 1 (the tables are not AUTOINCREMENT, and making them so would
copy each table that others' foreign keys name): once the newest row of a table is deleted, its id
would be given again, and a client, or a rendered document kept under the id and its version
(api/render_cache.py), would take the new row for the deleted one. A deletion
leaves the id behind as the table's floor (tables.id_floors), and the next row is numbered above
it. PostgreSQL's sequences never give an id twice: nothing is kept there."""

from __future__ import annotations

from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.dialects import sqlite

from inboxd.store.tables import id_floors


def keep_taken(conn: Connection, table: Table, deleted_id: int) -> None:
    """``deleted_id`` of ``table`` stays taken: no later row of the table gets it, or a lower one."""
    if conn.dialect.name != "sqlite":
        return
    statement = sqlite.insert(id_floors).values(table_name=table.name, floor=deleted_id)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[id_floors.c.table_name],
            set_={"floor": func.max(id_floors.c.floor, statement.excluded.floor)},
        )
    )


def next_id(conn: Connection, table: Table) -> int | None:
    """The id the next row of ``table`` must have when SQLite's numbering would give a deleted
    one again; None when the database numbers it as usual. A floor that the table's rows have
    passed is dropped: from then on a new row costs one read of an empty table."""
    if conn.dialect.name != "sqlite":
        return None
    this = id_floors.c.table_name == table.name
    floor = conn.execute(select(id_floors.c.floor).where(this)).scalar()
    if floor is None:
        return None
    top = conn.execute(select(func.max(table.c.id))).scalar()
    if top is not None and top > floor:
        conn.execute(delete(id_floors).where(this))
        return None
    return int(floor) + 1
