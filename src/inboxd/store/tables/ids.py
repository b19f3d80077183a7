"""Ids a deleted row leaves taken (store/id_floors.py): SQLite's only, and of the database, not of
a workspace (a table's ids are)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table

from inboxd.store.tables.common import metadata

# Per table, an id its next row must exceed: the highest deleted since a row was last numbered.
id_floors = Table(
    "id_floors",
    metadata,
    Column("table_name", String(64), primary_key=True),
    Column("floor", BigInteger, nullable=False),
)
