"""Rendered conversation documents kept in the database (tables.conversation_documents).

A read that had to render a conversation offers the document here; a background thread of the
process writes the offers in batches, each in one write transaction, so the reader never waits for
the write lock. A document is stored only if the conversation still has the version it was
rendered from, checked with the conversation's row locked (PostgreSQL ``FOR UPDATE``; SQLite
writes one at a time): a write that bumps the version either committed first (the offer is
dropped) or waits and then deletes the row (store/conversations.py). So no stored document is
stale for long and none outlives a redaction.

Losing offers is harmless (the next read renders again): the queue is bounded and dropped at exit.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, delete, insert, select

from inboxd.store.tables import conversation_documents, conversations
from inboxd.store.transactions import transaction

log = logging.getLogger("inboxd.documents")

_CURRENT = (
    select(conversations.c.id, conversations.c.version)
    .where(conversations.c.id.in_(bindparam("ids", expanding=True)))
    .with_for_update()
)
_DROP = delete(conversation_documents).where(
    conversation_documents.c.conversation_id.in_(bindparam("ids", expanding=True)),
    conversation_documents.c.shape == bindparam("shape"),
)
_ADD = insert(conversation_documents)


@dataclass(frozen=True)
class Offer:
    workspace_id: int
    conversation_id: int
    shape: str  # the Intercom version's description it is drawn in (render/versions/)
    version: int
    document: bytes


def save(engine: Engine, offers: list[Offer]) -> int:
    """Store the offers whose conversation still has their version; how many were stored."""
    latest: dict[tuple[int, str], Offer] = {}
    for offer in offers:
        key = (offer.conversation_id, offer.shape)
        if key not in latest or latest[key].version < offer.version:
            latest[key] = offer
    with transaction(engine, write=True) as conn:
        ids = sorted({offer.conversation_id for offer in latest.values()})
        current = {row.id: row.version for row in conn.execute(_CURRENT, {"ids": ids})}
        keep = [offer for offer in latest.values() if current.get(offer.conversation_id) == offer.version]
        if not keep:
            return 0
        for shape in sorted({offer.shape for offer in keep}):
            conn.execute(_DROP, {"ids": [o.conversation_id for o in keep if o.shape == shape], "shape": shape})
        conn.execute(
            _ADD,
            [
                {
                    "conversation_id": offer.conversation_id,
                    "shape": offer.shape,
                    "workspace_id": offer.workspace_id,
                    "version": offer.version,
                    "document": offer.document,
                }
                for offer in keep
            ],
        )
        return len(keep)


class DocumentWriter:
    """One thread per process taking offers off a bounded queue, up to ``batch`` per transaction."""

    def __init__(self, engine: Engine, capacity: int = 10_000, batch: int = 200, linger: float = 0.05) -> None:
        self.engine = engine
        self.batch = batch
        self.linger = linger
        self._queue: queue.Queue[Offer | None] = queue.Queue(capacity)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def offer(self, offer: Offer) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="inboxd-documents", daemon=True)
                self._thread.start()
        with contextlib.suppress(queue.Full):  # busier than the writer: rendered again next time
            self._queue.put_nowait(offer)

    def _run(self) -> None:
        stop = False
        while not stop:
            taken: list[Offer | None] = [self._queue.get()]
            if taken[-1] is not None and self._queue.qsize() < self.batch:
                time.sleep(self.linger)  # gather a batch: a transaction per offer would cost more than its render
            while len(taken) < self.batch and taken[-1] is not None:
                try:
                    taken.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = taken[-1] is None
            offers = [offer for offer in taken if offer is not None]
            try:
                if offers:
                    save(self.engine, offers)
            except Exception:  # a cache: a failed write costs a render later, never a request
                log.warning("could not store %d rendered documents", len(offers), exc_info=True)
            finally:
                for _ in taken:
                    self._queue.task_done()

    def flush(self) -> None:
        """Wait until every offer made so far is written (or failed)."""
        self._queue.join()

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=5)
