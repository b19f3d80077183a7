"""The keyset rule of store/keyset.py, as a SQLAlchemy expression and as the raw statement
store/cached_reads.py runs, picks the same rows after every key, ties on the sort key included."""

from __future__ import annotations

import itertools

from sqlalchemy import Column, Integer, MetaData, Table, select

from inboxd.store import keyset

_rows = Table("keyset_rows", MetaData(), Column("sort", Integer), Column("id", Integer, primary_key=True))


def test_the_expression_and_the_raw_statement_agree(engine):
    values = [(sort, row_id) for row_id, sort in enumerate([5, 5, 5, 3, 3, 9, 1, 9, 5, 0], start=1)]
    with engine.begin() as conn:
        _rows.create(conn)
        conn.execute(_rows.insert(), [{"sort": s, "id": i} for s, i in values])
        placeholder = "?" if conn.dialect.name == "sqlite" else "%s"
        raw = "SELECT sort, id FROM keyset_rows WHERE 1 = 1" + keyset.AFTER_SQL.format(
            sort="sort", id="id", last_sort=placeholder, last_id=placeholder
        )
        raw += " ORDER BY sort DESC, id DESC"
        for key in itertools.product([-1, 0, 3, 5, 9, 10], [0, 1, 4, 9, 11]):
            expressed = conn.execute(
                select(_rows.c.sort, _rows.c.id)
                .where(keyset.after(_rows.c.sort, _rows.c.id, key))
                .order_by(*keyset.newest_first(_rows.c.sort, _rows.c.id))
            ).all()
            stated = conn.exec_driver_sql(raw, (key[0], key[0], key[1])).all()
            expected = sorted((r for r in values if (r[0], r[1]) < key), reverse=True)
            assert [tuple(r) for r in expressed] == [tuple(r) for r in stated] == expected, key
        _rows.drop(conn)
