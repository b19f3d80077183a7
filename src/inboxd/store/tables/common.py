"""What every table of the schema shares: the one MetaData (with the naming convention the
migrations' constraint and index names follow) and the id type."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Integer,
    MetaData,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A big integer on PostgreSQL; INTEGER on SQLite so that it stays the rowid alias (autoincrement).
Id = BigInteger().with_variant(Integer(), "sqlite")
