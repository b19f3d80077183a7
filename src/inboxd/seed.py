"""`inboxd seed`: fill one workspace with realistic conversations, fast (benchmarks, demos).

Every conversation is *played*, not invented row by row: a contact starts it, then admins and the
contact act on it through the domain's own operations (``reply_as_admin``, ``close``, ``snooze``,
``assign``, …, each at its own moment), so state, ``waiting_since``, assignees, teammates, the parts
and the statistics fold are exactly what the API would have stored for the same history. A snooze
that ran out before the next action is woken by ``domain.wake`` as inboxd would have; one that ran
out after the last action stays ``snoozed`` with ``snoozed_until`` in the past, for the server's
sweep to wake like any other (operations/snoozes.py).

Speed (docs/decisions.md, "Seeding"): conversations are generated in chunks of :data:`CHUNK`, each
from its own random stream (``--seed``, the chunk's number), so the data does not depend on how many
processes generate it. ``jobs`` generator processes feed the parent, which writes the chunks, ten
to a transaction, through store/bulk_load.py (executemany of plain tuples on SQLite, COPY on
PostgreSQL). Conversation and
message ids are reserved as one block up front, so chunks carry final ids and nothing is read back.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from inboxd import seed_words
from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor, Change, Conversation, Part
from inboxd.store import bulk_load
from inboxd.store.bulk_load import COLUMNS, CONTACT_COLUMNS
from inboxd.store.search_index import index_terms

CHUNK = 1000  # conversations per generated chunk (fixed: it shapes the data)
# Chunks per write transaction. Each commit rewrites the index leaves it touched (a few thousand
# token ranges take rows in every chunk), so fewer, bigger transactions write several times less.
CHUNKS_PER_COMMIT = 10
YEAR = 365 * 86400
HISTORY = 2 * YEAR  # conversations start over the two years before `now`

TAG_NAMES = (
    *("billing", "bug", "feature-request", "vip", "refund", "onboarding", "churn-risk", "enterprise"),
    *("login", "password-reset", "invoice", "shipping", "returns", "mobile", "api", "integration"),
    *("security", "gdpr", "pricing", "trial", "upgrade", "downgrade", "cancellation", "feedback"),
    *("urgent", "escalated", "sales", "partner", "outage", "performance", "data-export", "sso"),
    *("translation", "accessibility", "duplicate", "spam"),
)
_SNOOZES = (3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 90 * 86400)
_ATTRIBUTES: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("plan", ("free", "starter", "pro", "enterprise")),
    ("seats", (1, 3, 5, 10, 25, 100)),
    ("vip", (True, False)),
    ("region", ("eu", "us", "apac")),
    ("order_value", (9.99, 49.5, 120.0, 999.0)),
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
class World:
    """Everything a chunk generator needs; picklable, sent once to each generator process."""

    key: str  # the random streams' key: --seed and what the workspace held before
    workspace_id: int
    now: int
    total: int
    conversation_base: int
    message_base: int
    contacts: tuple[tuple[str, str], ...]  # (id, role), oldest first
    contacts_start: int
    contacts_span: int
    admin_ids: tuple[int, ...]
    team_ids: tuple[int, ...]
    operator_id: int
    tag_ids: tuple[int, ...]
    parts: tuple[int, int]

    def created_at(self, index: int, rng: random.Random) -> int:
        """Conversation ``index``'s creation time: ascending with the index (ids grow with time, as
        Intercom's do), volume growing linearly to twice the first day's over the two years."""
        q = (index + rng.random()) / self.total
        x = -1.0 + math.sqrt(1.0 + 3.0 * q)  # inverse of the CDF of a density ∝ 1 + x on [0, 1]
        return self.now - HISTORY + int(x * (HISTORY - 60))

    def contact_before(self, at: int, rng: random.Random) -> tuple[str, str]:
        """A contact created by ``at`` (contacts are created at even steps, oldest first)."""
        known = (at - self.contacts_start) * len(self.contacts) // max(self.contacts_span, 1)
        return self.contacts[rng.randint(0, max(0, min(known, len(self.contacts) - 1)))]


@dataclass
class Chunk:
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {name: [] for name in COLUMNS})
    documents: Counter[str] = field(default_factory=Counter)  # token → conversations carrying it


@dataclass(frozen=True)
class Report:
    workspace: str
    conversations: int
    contacts: int
    parts: int
    tokens: int


# -- generating -----------------------------------------------------------------------------------


class _Story:
    """One conversation's history, played through the domain operations."""

    def __init__(self, world: World, rng: random.Random, index: int, chunk: Chunk) -> None:
        self.w, self.rng, self.chunk = world, rng, chunk
        self.id = world.conversation_base + index
        self.t = world.created_at(index, rng)
        contact_id, role = world.contact_before(self.t, rng)
        self.contact = Actor(role, contact_id)
        self.participants = [contact_id]
        self.teammates: list[int] = []
        self.parts: list[Part] = []
        self.body = seed_words.body(rng)
        self.conversation, self.source = domain.start_by_contact(self.contact, self.body, None, [], self.t)
        self.operator = Actor("bot", str(world.operator_id))

    def take(self, change: Change) -> None:
        self.conversation = change.conversation
        self.parts.extend(change.parts)
        self.teammates.extend(a for a in change.add_teammates if a not in self.teammates)

    def admin(self) -> Actor:
        assigned = self.conversation.admin_assignee_id
        if assigned is not None and self.rng.random() < 0.7:
            return Actor("admin", str(assigned))
        return Actor("admin", str(self.rng.choice(self.w.admin_ids)))

    def play(self) -> None:
        rng, wanted = self.rng, self.rng.randint(*self.w.parts)
        # Old conversations are mostly done; the last weeks' are still being worked.
        recent = self.t > self.w.now - 45 * 86400
        goal = rng.choices(("closed", "open", "snoozed"), (40, 30, 30) if recent else (86, 12, 2))[0]
        while len(self.parts) < wanted:
            # Replies come within minutes to hours; one gap in ten is days long.
            gap = rng.expovariate(1 / (3 * 86400 if rng.random() < 0.1 else 2 * 3600))
            at = self.t + 1 + int(gap)
            if at >= self.w.now:
                break
            self.t = at
            c = self.conversation
            if c.state == "snoozed" and c.snoozed_until is not None and c.snoozed_until <= at:
                self.take(domain.wake(c, self.operator))  # what inboxd did when the timer ran out
                continue
            self.act(self.final(goal) if len(self.parts) == wanted - 1 else self.pick(), recent)
        if rng.random() < 0.5 and self.t + 600 < self.w.now:
            # An admin reads it (PUT read=true: no part, updated_at moves); a snooze that has run
            # out by then was woken first, as before any request.
            self.t += rng.randint(1, 600)
            c = self.conversation
            if c.state == "snoozed" and c.snoozed_until is not None and c.snoozed_until <= self.t:
                self.take(domain.wake(c, self.operator))
            self.take(domain.update_attributes(self.conversation, self.operator, self.t, read=True))

    def pick(self) -> str:
        state = self.conversation.state
        weights = {
            "open": (("contact", 3), ("admin", 3), ("note", 1), ("assign", 1.5), ("close", 1), ("snooze", 0.5)),
            "closed": (("contact", 2), ("open", 1), ("note", 0.5), ("admin", 0.5), ("assign", 0.3)),
            "snoozed": (("contact", 2), ("admin", 1), ("note", 0.5), ("open", 1), ("close", 0.5), ("assign", 0.3)),
        }[state] + (("attribute", 0.3), ("participant", 0.1))
        return self.rng.choices([a for a, _ in weights], [w for _, w in weights])[0]

    def final(self, goal: str) -> str:
        state = self.conversation.state
        if goal == "closed":
            return "close" if state != "closed" else "note"
        if goal == "snoozed":
            return "snooze"
        if state != "open":
            return self.rng.choice(("contact", "open"))
        return self.rng.choice(("contact", "admin"))

    def act(self, action: str, recent: bool) -> None:
        c, rng, at = self.conversation, self.rng, self.t
        if action == "contact":
            self.take(domain.reply_as_contact(c, self.contact, _phrase(rng), (), at))
        elif action in ("admin", "note"):
            kind = "comment" if action == "admin" else "note"
            self.take(domain.reply_as_admin(c, self.admin(), kind, _phrase(rng), (), at))
        elif action == "assign":
            if self.w.team_ids and rng.random() < 0.3:
                assignee = Actor("team", str(rng.choice(self.w.team_ids)))
            else:
                assignee = Actor("admin", str(rng.choice(self.w.admin_ids)))
            self.take(domain.assign(c, self.admin(), assignee, None, at))
        elif action == "close":
            self.take(domain.close(c, self.admin(), _phrase(rng) if rng.random() < 0.2 else None, at))
        elif action == "open":
            self.take(domain.open_(c, self.admin(), at))
        elif action == "snooze":
            until = at + rng.choice(_SNOOZES)
            if recent and rng.random() < 0.5:
                until = max(until, self.w.now + rng.randint(3600, 30 * 86400))  # "snooze until <date>"
            self.take(domain.snooze(c, self.admin(), until, at))
        elif action == "attribute":
            name, values = rng.choice(_ATTRIBUTES)
            self.take(domain.update_attributes(c, self.operator, at, custom_attributes={name: rng.choice(values)}))
        else:
            other_id, role = self.w.contact_before(at, rng)
            if other_id not in self.participants:
                self.participants.append(other_id)
                self.take(domain.attach_contact(c, self.admin(), Actor(role, other_id), at))

    def write(self) -> None:
        w, c, rows = self.w, self.conversation, self.chunk.rows
        message_id = w.message_base + (self.id - w.conversation_base)
        contact = self.contact
        rows["messages"].append(
            (
                *(message_id, w.workspace_id, "user_message", "inapp", "", self.body, contact.type, contact.id),
                *(contact.id, self.id, c.created_at),
            )
        )
        rows["conversations"].append(_conversation_row(w.workspace_id, self.id, message_id, c, self.source))
        for position, contact_id in enumerate(self.participants):
            rows["conversation_contacts"].append((w.workspace_id, self.id, contact_id, position))
        for position, admin_id in enumerate(self.teammates):
            rows["conversation_teammates"].append((w.workspace_id, self.id, admin_id, position))
        if w.tag_ids:
            count = self.rng.choices((0, 1, 2, 3), (40, 35, 17, 8))[0]
            chosen = dict.fromkeys(self.rng.choices(w.tag_ids, _TAG_WEIGHTS[: len(w.tag_ids)], k=count))
            for tag_id in chosen:
                applied_at = self.rng.randint(c.created_at, c.updated_at)
                by = self.rng.choice(w.admin_ids)
                rows["conversation_tags"].append((w.workspace_id, self.id, tag_id, applied_at, by))
        for part in self.parts:
            to = part.assigned_to
            rows["conversation_parts"].append(
                (
                    *(w.workspace_id, self.id, part.part_type, part.body, part.created_at, part.created_at),
                    *(part.created_at, part.author.type, part.author.id, to.type if to else None),
                    *(to.id if to else None, "[]", False),
                )
            )
        terms = index_terms(self.body)
        rows["conversation_tokens"].extend((w.workspace_id, term, self.id) for term in terms)
        self.chunk.documents.update(terms)


_TAG_WEIGHTS = tuple(1.0 / rank for rank in range(1, 1001))
_PHRASES = tuple(seed_words.sentence(random.Random(f"inboxd-seed-phrase-{i}"), 2, 24) for i in range(4096))


def _phrase(rng: random.Random) -> str:
    """A part's text: parts are not searched, so a pool of Zipf sentences is realistic enough."""
    return f"<p>{_PHRASES[rng.randrange(len(_PHRASES))]}</p>"


def _conversation_row(
    workspace_id: int, conversation_id: int, message_id: int, c: Conversation, source: Any
) -> tuple[Any, ...]:
    stats = c.stats.as_dict()
    figures = tuple(json.dumps(list(v)) if k == "reply_durations" else v for k, v in stats.items())
    return (
        *(conversation_id, workspace_id, c.created_at, c.updated_at, c.title, c.state, c.read, c.priority),
        *(c.waiting_since, c.snoozed_until, c.admin_assignee_id, c.team_assignee_id, message_id, source.type),
        *(source.delivered_as, source.subject, source.body, source.author.type, source.author.id),
        *(None, "[]", False, c.created_at, "conversation", None, json.dumps(c.custom_attributes)),
        *figures,
    )


def build_chunk(world: World, number: int) -> Chunk:
    """Conversations ``number * CHUNK`` … of the run: the same rows for the same world, always."""
    rng = random.Random(f"{world.key}:chunk:{number}")
    chunk = Chunk()
    for index in range(number * CHUNK, min(world.total, (number + 1) * CHUNK)):
        story = _Story(world, rng, index, chunk)
        story.play()
        story.write()
    return chunk


_WORLD: World | None = None


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
