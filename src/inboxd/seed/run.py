"""`inboxd seed`'s run: the workspace's admins, tags and contacts, the conversations' chunks
generated (by seed/story.py) in this process or in ``jobs`` generator processes, and every row
written through store/bulk_load.py (executemany of plain tuples on SQLite, COPY on PostgreSQL),
ten chunks to a transaction.

Speed (docs/decisions.md, "Seeding"): each chunk comes from its own random stream (``--seed``, the
chunk's number), so the data does not depend on how many processes generate it. Conversation and
message ids are reserved as one block up front, so chunks carry final ids and nothing is read back.
"""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from inboxd.seed.story import CHUNK, HISTORY, Chunk, World, build_chunk
from inboxd.store import bulk_load
from inboxd.store.bulk_load import CONTACT_COLUMNS

# Chunks per write transaction. Each commit rewrites the index leaves it touched (a few thousand
# token ranges take rows in every chunk), so fewer, bigger transactions write several times less.
CHUNKS_PER_COMMIT = 10

TAG_NAMES = (
    *("billing", "bug", "feature-request", "vip", "refund", "onboarding", "churn-risk", "enterprise"),
    *("login", "password-reset", "invoice", "shipping", "returns", "mobile", "api", "integration"),
    *("security", "gdpr", "pricing", "trial", "upgrade", "downgrade", "cancellation", "feedback"),
    *("urgent", "escalated", "sales", "partner", "outage", "performance", "data-export", "sso"),
    *("translation", "accessibility", "duplicate", "spam"),
)
_FIRST: tuple[str, ...] = (
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
)
_FIRST += ("Tim", "Hedy", "Donald", "Sophie", "John", "Katherine", "Guido", "Anita", "Bjarne", "Lynn", "Yukihiro")
_LAST: tuple[str, ...] = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
)
_LAST += ("Dijkstra", "Perlman", "Lee", "Lamarr", "Knuth", "Wilson", "Backus", "Johnson", "Rossum", "Borg")
_DOMAINS = ("example.com", "mail.test", "acme.test", "shop.test", "corp.test", "startup.test")


@dataclass(frozen=True)
class Options:
    conversations: int
    contacts: int | None = None  # default: one contact per five conversations
    admins: int = 0  # extra admins to create (seeded admins are reused on a second run)
    tags: int = len(TAG_NAMES)
    parts: tuple[int, int] = (1, 30)
    seed: int = 0
    now: int = 0
    jobs: int = 1  # generator processes; 1 generates in the writing process


@dataclass(frozen=True)
class Report:
    workspace: str
    conversations: int
    contacts: int
    parts: int
    tokens: int


# -- generating, in this process or in generator processes ---------------------------------------

_WORLD: World | None = None  # a generator process's world, sent once by the pool's initializer


def _init_worker(world: World) -> None:
    global _WORLD
    _WORLD = world


def _worker_chunk(number: int) -> Chunk:
    assert _WORLD is not None
    return build_chunk(_WORLD, number)


def _chunks(world: World, jobs: int) -> Iterator[Chunk]:
    count = -(-world.total // CHUNK)
    if jobs <= 1:
        yield from (build_chunk(world, n) for n in range(count))
        return
    with multiprocessing.get_context().Pool(jobs, initializer=_init_worker, initargs=(world,)) as pool:
        yield from pool.imap(_worker_chunk, range(count), chunksize=1)


# -- writing --------------------------------------------------------------------------------------


def seed(
    engine: Engine, workspace: str | None, options: Options, progress: Callable[[int], None] = lambda n: None
) -> Report:
    """Add ``options.conversations`` conversations to the workspace with id_code ``workspace`` (the
    first workspace when None). The database must be migrated and hold that workspace. The rows
    are written by store/bulk_load.py."""
    with bulk_load.loading(engine) as conn:
        world, code, contact_count = _prepare(conn, workspace, options)
        parts = tokens = done = 0
        for number, chunk in enumerate(_chunks(world, options.jobs)):
            bulk_load.add_chunk(conn, world.workspace_id, chunk.rows, chunk.documents)
            if number % CHUNKS_PER_COMMIT == CHUNKS_PER_COMMIT - 1:
                conn.commit()
            parts += len(chunk.rows["conversation_parts"])
            tokens += len(chunk.rows["conversation_tokens"])
            done += len(chunk.rows["conversations"])
            progress(done)
    return Report(code, options.conversations, contact_count, parts, tokens)


def _prepare(conn: Connection, workspace: str | None, options: Options) -> tuple[World, str, int]:
    """Admins, tags and contacts, and the block of ids the conversations will take."""
    with conn.begin():
        workspace_id, code = bulk_load.find_workspace(conn, workspace)
        key = f"inboxd-seed:{options.seed}:{bulk_load.conversation_count(conn, workspace_id)}"
        new_admins = [
            (
                f"{_FIRST[i % len(_FIRST)]} {_LAST[(i // len(_FIRST)) % len(_LAST)]}",
                f"seed-admin-{i + 1}@{code}.inboxd.test",
            )
            for i in range(options.admins)
        ]
        admin_ids = bulk_load.ensure_admins(conn, workspace_id, new_admins, options.now)
        if not admin_ids:
            raise LookupError(f"workspace {code!r} has no admins: pass --admins to create some")
        names = [TAG_NAMES[i] if i < len(TAG_NAMES) else f"topic-{i + 1}" for i in range(options.tags)]
        tag_ids = bulk_load.ensure_tags(conn, workspace_id, names, options.now)
        count = options.contacts if options.contacts is not None else max(1, options.conversations // 5)
        start = options.now - HISTORY - 30 * 86400
        span = HISTORY + 30 * 86400 - 3600
        people = _contacts(conn, workspace_id, key, count, start, span)
        world = World(
            key=key,
            workspace_id=workspace_id,
            now=options.now,
            total=options.conversations,
            conversation_base=bulk_load.reserve(conn, "conversations", options.conversations),
            message_base=bulk_load.reserve(conn, "messages", options.conversations),
            contacts=people,
            contacts_start=start,
            contacts_span=span,
            admin_ids=admin_ids,
            team_ids=bulk_load.team_ids(conn, workspace_id),
            operator_id=bulk_load.operator_id(conn, workspace_id),
            tag_ids=tag_ids,
            parts=options.parts,
        )
    return world, code, count


def _contacts(
    conn: Connection, workspace_id: int, key: str, count: int, start: int, span: int
) -> tuple[tuple[str, str], ...]:
    """``count`` users and leads created at even steps from ``start``, oldest first."""
    rng = random.Random(f"{key}:contacts")
    people: list[tuple[str, str]] = []
    rows: list[tuple[Any, ...]] = []
    for j in range(count):
        created = start + j * span // count
        contact_id = f"{created & 0xFFFFFFFF:08x}{rng.getrandbits(64):016x}"
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        role = "lead" if rng.random() < 0.15 else "user"
        if role == "user":
            email: str | None = f"{first}.{last}.{j + 1}@{rng.choice(_DOMAINS)}".lower()
            name: str | None = f"{first} {last}"
            external_id = f"user-{contact_id[8:]}" if rng.random() < 0.5 else None
        else:
            email = f"lead.{j + 1}@{rng.choice(_DOMAINS)}" if rng.random() < 0.5 else None
            name, external_id = None, None
        rows.append((contact_id, workspace_id, role, external_id, email, name, False, "{}", created, created))
        people.append((contact_id, role))
        if len(rows) == 10 * CHUNK:
            bulk_load.insert_rows(conn, "contacts", CONTACT_COLUMNS, rows)
            rows = []
    if rows:
        bulk_load.insert_rows(conn, "contacts", CONTACT_COLUMNS, rows)
    return tuple(people)
