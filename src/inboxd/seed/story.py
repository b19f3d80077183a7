"""One conversation's history *played*, not invented row by row: a contact starts it, then admins
and the contact act on it through the domain's own operations (``reply_as_admin``, ``close``,
``snooze``, ``assign``, …, each at its own moment), so state, ``waiting_since``, assignees,
teammates, the parts and the statistics fold are exactly what the API would have stored for the
same history. A snooze that ran out before the next action is woken by ``domain.wake`` as inboxd
would have; one that ran out after the last action stays ``snoozed`` with ``snoozed_until`` in the
past, for the server's sweep to wake like any other (operations/snoozes.py).

:func:`build_chunk` plays :data:`CHUNK` conversations from the chunk's own random stream into the
rows the bulk loader writes; it reads nothing and writes nothing itself (store/bulk_load.py does,
driven by seed/run.py).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from inboxd import seed_words
from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor, Change, Conversation, Part
from inboxd.store.bulk_load import COLUMNS
from inboxd.store.search_index import index_terms

CHUNK = 1000  # conversations per generated chunk (fixed: it shapes the data)
YEAR = 365 * 86400
HISTORY = 2 * YEAR  # conversations start over the two years before `now`
_SNOOZES = (3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 90 * 86400)
_ATTRIBUTES: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("plan", ("free", "starter", "pro", "enterprise")),
    ("seats", (1, 3, 5, 10, 25, 100)),
    ("vip", (True, False)),
    ("region", ("eu", "us", "apac")),
    ("order_value", (9.99, 49.5, 120.0, 999.0)),
)


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


class Story:
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
                    *(to.id if to else None, "[]", False, part.state),
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
    first = domain.first_contact_reply(None, c, source)  # a contact starts every seeded conversation
    assert first is not None
    return (
        *(conversation_id, workspace_id, c.created_at, c.updated_at, c.title, c.state, c.read, c.priority),
        *(c.waiting_since, c.snoozed_until, c.admin_assignee_id, c.team_assignee_id, message_id, source.type),
        *(source.delivered_as, source.subject, source.body, source.author.type, source.author.id),
        *(source.url, "[]", False, first.created_at, first.type, first.url, json.dumps(c.custom_attributes)),
        *figures,
    )


def build_chunk(world: World, number: int) -> Chunk:
    """Conversations ``number * CHUNK`` … of the run: the same rows for the same world, always."""
    rng = random.Random(f"{world.key}:chunk:{number}")
    chunk = Chunk()
    for index in range(number * CHUNK, min(world.total, (number + 1) * CHUNK)):
        story = Story(world, rng, index, chunk)
        story.play()
        story.write()
    return chunk
