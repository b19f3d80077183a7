"""The schema can be distributed by workspace (Citus, docs/deployment.md): every table but the
declared reference and local ones carries workspace_id, and every primary key, unique constraint
and unique index includes it, as does every foreign key between two distributed tables. A new table
that breaks the rule fails here, before anyone tries to distribute it."""

from __future__ import annotations

import pytest
from sqlalchemy import Index, Table, UniqueConstraint, inspect

from inboxd.store.tables import metadata

DISTRIBUTION_COLUMN = "workspace_id"

# Replicated to every node: small, rarely written, and read before the workspace is known (a
# token names its workspace) or joined with every workspace's rows.
REFERENCE_TABLES = {"workspaces", "access_tokens", "revoked_tokens"}
# Kept on the coordinator only, never joined with a workspace's rows: the per-token rate-limit
# counters (their own tiny transaction on every request, which a reference table would make a
# write to every node), and SQLite's deleted ids (empty on PostgreSQL).
LOCAL_TABLES = {"rate_limits", "id_floors"}


def _distributed() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name not in REFERENCE_TABLES | LOCAL_TABLES]


def _unique_keys(table: Table) -> list[tuple[str, set[str]]]:
    keys = [(f"primary key of {table.name}", {c.name for c in table.primary_key.columns})]
    keys += [
        (f"unique constraint {c.name} of {table.name}", {col.name for col in c.columns})
        for c in table.constraints
        if isinstance(c, UniqueConstraint)
    ]
    keys += [
        (f"unique index {i.name} of {table.name}", {col.name for col in i.columns})
        for i in table.indexes
        if isinstance(i, Index) and i.unique
    ]
    keys += [(f"unique column {c.name} of {table.name}", {c.name}) for c in table.columns if c.unique]
    return keys


def test_the_declared_tables_are_the_schemas_tables():
    names = {t.name for t in metadata.sorted_tables}
    assert names >= REFERENCE_TABLES | LOCAL_TABLES


def test_every_distributed_table_carries_the_workspace():
    missing = [t.name for t in _distributed() if DISTRIBUTION_COLUMN not in t.columns]
    assert missing == []


def test_every_primary_and_unique_key_of_a_distributed_table_includes_the_workspace():
    breaking = [name for t in _distributed() for name, columns in _unique_keys(t) if DISTRIBUTION_COLUMN not in columns]
    assert breaking == []


def test_foreign_keys_between_distributed_tables_join_on_the_workspace():
    """Citus co-locates a workspace's rows of every distributed table on one node only if a
    foreign key between two of them names the distribution column on both sides."""
    distributed = {t.name for t in _distributed()}
    breaking = []
    for table in _distributed():
        for fk in table.foreign_key_constraints:
            if fk.referred_table.name not in distributed:
                continue  # a reference table: any node has all of it
            pairs = {(element.parent.name, element.column.name) for element in fk.elements}
            if (DISTRIBUTION_COLUMN, DISTRIBUTION_COLUMN) not in pairs:
                breaking.append(f"{table.name}.{fk.name}")
    assert breaking == []


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)  # SQLite's rowid keys stay (migration 0012)
def test_the_migrated_postgresql_schema_keeps_the_rule(engine):
    """Alembic's comparison (test_migrations.py) does not look at primary keys: the keys the
    migrations built on PostgreSQL, the engine Citus extends, are read back here."""
    breaking = []
    with engine.connect() as conn:
        found = inspect(conn)
        for table in _distributed():
            keys = [("primary key", found.get_pk_constraint(table.name)["constrained_columns"])]
            keys += [(u["name"], u["column_names"]) for u in found.get_unique_constraints(table.name)]
            keys += [(i["name"], i["column_names"]) for i in found.get_indexes(table.name) if i["unique"]]
            breaking += [f"{table.name}: {name}" for name, columns in keys if DISTRIBUTION_COLUMN not in columns]
            for fk in found.get_foreign_keys(table.name):
                if fk["referred_table"] in REFERENCE_TABLES:
                    continue
                if (
                    DISTRIBUTION_COLUMN not in fk["constrained_columns"]
                    or DISTRIBUTION_COLUMN not in fk["referred_columns"]
                ):
                    breaking.append(f"{table.name}: {fk['name']}")
    assert breaking == []
