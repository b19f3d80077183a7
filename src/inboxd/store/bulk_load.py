"""Bulk loading for `inboxd seed` (src/inboxd/seed/ generates the rows): plain tuples written
with executemany on SQLite and COPY on PostgreSQL, on one connection with settings of its own, and
the few lookups and inserts the generator needs first (its workspace, admins, tags, id blocks)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from inboxd.domain import statistics
from inboxd.store.id_floors import next_id
from inboxd.store.search_index import count_created, created_day
from inboxd.store.tables import admins, conversations, metadata, tags, team_members, teams, token_stats, workspaces
from inboxd.store.transactions import writing_connection

# Column orders of the rows chunks carry (tuples: cheap to pickle and to bind).
COLUMNS: dict[str, tuple[str, ...]] = {
    "messages": (
        *("id", "workspace_id", "kind", "message_type", "subject", "body", "author_type", "author_id"),
        *("contact_id", "conversation_id", "created_at"),
    ),
    "conversations": (
        *("id", "workspace_id", "created_at", "updated_at", "title", "state", "read", "priority"),
        *("waiting_since", "snoozed_until", "admin_assignee_id", "team_assignee_id", "source_id", "source_type"),
        *("source_delivered_as", "source_subject", "source_body", "source_author_type", "source_author_id"),
        *("source_url", "source_attachments", "source_redacted", "first_contact_reply_at"),
        *("first_contact_reply_type", "first_contact_reply_url", "custom_attributes"),
        *(f"stat_{name}" for name in statistics.ALL),
    ),
    "conversation_contacts": ("workspace_id", "conversation_id", "contact_id", "position"),
    "conversation_teammates": ("workspace_id", "conversation_id", "admin_id", "position"),
    "conversation_tags": ("workspace_id", "conversation_id", "tag_id", "applied_at", "applied_by_admin_id"),
    # No id: nothing refers to a part while seeding, so the database numbers them in insertion order.
    "conversation_parts": (
        *("workspace_id", "conversation_id", "part_type", "body", "created_at", "updated_at", "notified_at"),
        *("author_type", "author_id", "assigned_to_type", "assigned_to_id", "attachments", "redacted", "state"),
    ),
    "conversation_tokens": ("workspace_id", "token", "conversation_id"),
}
CONTACT_COLUMNS = (
    *("id", "workspace_id", "role", "external_id", "email", "name", "unsubscribed_from_emails"),
    *("custom_attributes", "created_at", "updated_at"),
)


@contextlib.contextmanager
def loading(engine: Engine) -> Iterator[Connection]:
    """The loading connection, its settings on while the block runs; what it left uncommitted is
    committed at the end. Afterwards the tables' statistics are brought up to date."""
    with engine.connect() as conn, writing_connection(conn):  # each transaction a write
        sqlite_db = conn.dialect.name == "sqlite"
        _session(conn, loading=True)
        try:
            yield conn
            conn.commit()
        finally:
            _session(conn, loading=False)
        if sqlite_db:
            with conn.begin():
                conn.exec_driver_sql("ANALYZE")
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    if not sqlite_db:
        # VACUUM (not only ANALYZE): index-only scans need the visibility map that VACUUM sets;
        # autovacuum would set it too, at a moment of its own choosing.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            for name in (*COLUMNS, "contacts", "token_stats", "conversation_days"):
                auto.exec_driver_sql(f"VACUUM (ANALYZE) {name}")


def add_chunk(
    conn: Connection, workspace_id: int, rows: dict[str, list[tuple[Any, ...]]], documents: Counter[str]
) -> None:
    """One generated chunk: its rows (by table, in :data:`COLUMNS` order), its token counts, its
    days of creation and the workspace's conversation count."""
    if not conn.in_transaction():
        conn.begin()
    for name, columns in COLUMNS.items():
        if rows[name]:
            insert_rows(conn, name, columns, rows[name])
    _count_documents(conn, workspace_id, documents)
    count_created(conn, workspace_id, _created_days(rows["conversations"]))
    conn.execute(
        update(workspaces)
        .where(workspaces.c.id == workspace_id)
        .values(conversation_count=workspaces.c.conversation_count + len(rows["conversations"]))
    )


def _session(conn: Connection, loading: bool) -> None:
    """Settings of the loading connection only. SQLite: no foreign-key checks (the rows are built
    consistent) and a page cache big enough for the index leaves being appended to; PostgreSQL:
    commits that do not wait for the disk (a crash loses the last chunks, never consistency)."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute(f"PRAGMA foreign_keys={'OFF' if loading else 'ON'}")
        raw.execute(f"PRAGMA cache_size={-262144 if loading else -2000}")
    else:
        conn.exec_driver_sql("SET synchronous_commit TO off" if loading else "RESET synchronous_commit")
        conn.commit()


def insert_rows(conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    names = ", ".join(columns)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _created_days(rows: list[tuple[Any, ...]]) -> dict[int, tuple[int, int, int]]:
    """The chunk's conversations per day of creation: (how many, lowest id, highest id)."""
    days: dict[int, tuple[int, int, int]] = {}
    for row in rows:
        conversation_id, created_at = row[0], row[2]
        day = created_day(created_at)
        n, first, last = days.get(day, (0, conversation_id, conversation_id))
        days[day] = (n + 1, min(first, conversation_id), max(last, conversation_id))
    return days


def _count_documents(conn: Connection, workspace_id: int, documents: Counter[str]) -> None:
    """The chunk's token counts added to token_stats, one upsert per distinct token."""
    if not documents:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(token_stats)
    statement = statement.on_conflict_do_update(
        index_elements=[token_stats.c.workspace_id, token_stats.c.token],
        set_={"documents": token_stats.c.documents + statement.excluded.documents},
    )
    conn.execute(
        statement, [{"workspace_id": workspace_id, "token": t, "documents": n} for t, n in sorted(documents.items())]
    )


def find_workspace(conn: Connection, code: str | None) -> tuple[int, str]:
    """The workspace with id_code ``code`` (the first one when None): its id and code."""
    query = select(text("id"), text("id_code")).select_from(text("workspaces"))
    if code is not None:
        query = query.where(text("id_code = :code")).params(code=code)
    row = conn.execute(query.order_by(text("id")).limit(1)).first()
    if row is None:
        raise LookupError(f"no workspace with id_code {code!r}" if code else "no workspace")
    return int(row.id), str(row.id_code)


def conversation_count(conn: Connection, workspace_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(conversations).where(conversations.c.workspace_id == workspace_id)
        ).scalar_one()
    )


def operator_id(conn: Connection, workspace_id: int) -> int:
    return int(
        conn.execute(
            select(admins.c.id).where(admins.c.workspace_id == workspace_id, admins.c.kind == "bot")
        ).scalar_one()
    )


def team_ids(conn: Connection, workspace_id: int) -> tuple[int, ...]:
    return tuple(
        conn.execute(select(teams.c.id).where(teams.c.workspace_id == workspace_id).order_by(teams.c.id)).scalars()
    )


def ensure_admins(conn: Connection, workspace_id: int, wanted: Sequence[tuple[str, str]], now: int) -> tuple[int, ...]:
    """The workspace's admins, after adding those of ``wanted`` (name, email) it lacks, each to a
    team in turn; a second seed reuses the ones the first made."""
    existing = {row.email for row in conn.execute(select(admins.c.email).where(admins.c.workspace_id == workspace_id))}
    teams_found = list(team_ids(conn, workspace_id))
    for i, (name, email) in enumerate(wanted):
        if email in existing:
            continue
        new = conn.execute(
            insert(admins).values(
                workspace_id=workspace_id,
                name=name,
                email=email,
                kind="admin",
                job_title="Support agent",
                away_mode_enabled=False,
                away_mode_reassign=False,
                has_inbox_seat=True,
                created_at=now,
            )
        ).inserted_primary_key
        assert new is not None
        if teams_found:
            team = teams_found[i % len(teams_found)]
            conn.execute(insert(team_members).values(workspace_id=workspace_id, team_id=team, admin_id=new[0]))
    return tuple(
        conn.execute(
            select(admins.c.id)
            .where(admins.c.workspace_id == workspace_id, admins.c.kind == "admin")
            .order_by(admins.c.id)
        ).scalars()
    )


def ensure_tags(conn: Connection, workspace_id: int, names: Sequence[str], now: int) -> tuple[int, ...]:
    """The ids of the tags ``names``, made where the workspace has none of that name."""
    found = {
        row.name_folded: row.id
        for row in conn.execute(select(tags.c.name_folded, tags.c.id).where(tags.c.workspace_id == workspace_id))
    }
    ids = []
    for name in names:
        if name.casefold() not in found:
            new = conn.execute(
                insert(tags).values(workspace_id=workspace_id, name=name, name_folded=name.casefold(), created_at=now)
            ).inserted_primary_key
            assert new is not None
            found[name.casefold()] = new[0]
        ids.append(int(found[name.casefold()]))
    return tuple(ids)


def reserve(conn: Connection, table: str, count: int) -> int:
    """The first of ``count`` consecutive ids no other writer will take. PostgreSQL: the table's
    sequence is moved past the block under a lock that holds off other inserts meanwhile. SQLite
    numbers rows max(id) + 1, so a server writing during the seed could collide (docs/decisions.md)."""
    top = conn.execute(select(func.coalesce(func.max(text("id")), 0)).select_from(text(table))).scalar_one()
    if conn.dialect.name == "sqlite":
        # Above the id of a deleted conversation too (store/id_floors.py).
        return next_id(conn, metadata.tables[table]) or int(top) + 1
    conn.exec_driver_sql(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    sequence = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('{table}', 'id')").scalar_one()
    base = max(int(top) + 1, int(conn.execute(select(func.nextval(sequence))).scalar_one()))
    conn.execute(select(func.setval(sequence, base + max(count, 1) - 1)))
    return base
