"""Snoozes that run out: woken by work of their own, never by the request that happens to come next.

A snoozed conversation opens again at its ``snoozed_until`` with a ``timer_unsnooze`` part dated
then (domain/conversations.py ``wake``), however late that is recorded. :class:`SnoozeSweeper` does
it in the background: at start-up, then every second, in batches of :data:`BATCH` conversations,
each batch a short write transaction of its own, so no request waits behind a backlog (after a
restart, thousands may be due at once). A write that changes a conversation whose snooze has run
out and not been swept yet wakes that one conversation first, in its own transaction
(:func:`current`), so the domain's rules always see the true state. Reads never write: until the
sweep reaches it (within a second) a due conversation is shown as the wake will record it
(store/views.py; docs/decisions.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from inboxd.domain import conversations as domain
from inboxd.domain.clock import Clock
from inboxd.domain.conversations import Actor, Conversation
from inboxd.domain.events import Event
from inboxd.store.engine import Database
from inboxd.store.scope import Store
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import workspace_ids

BATCH = 100  # conversations woken in one transaction: bounds how long other writers wait
INTERVAL = 1.0  # seconds between sweeps

log = logging.getLogger("inboxd.snoozes")


def wake_due(store: Store, now: int, limit: int = BATCH) -> int:
    """Wake up to ``limit`` of the workspace's conversations whose snooze ran out by ``now``, oldest
    first; how many were woken."""
    due = store.conversations.due_snoozes(now, limit)
    if due:
        operator = Actor("bot", str(store.admins.operator_id()))
        for conversation in due:
            store.conversations.apply(conversation, domain.wake(conversation, operator))
    return len(due)


def current(store: Store, conversation_id: int, now: int) -> Conversation:
    """The conversation a write is about to change, as of ``now``: if its snooze has run out, it is
    woken first, in the write's transaction."""
    conversation = store.conversations.require(conversation_id)
    if not domain.snooze_due(conversation, now):
        return conversation
    change = domain.wake(conversation, Actor("bot", str(store.admins.operator_id())))
    store.conversations.apply(conversation, change)
    return change.conversation


def sweep(
    engine: Database, now: int, batch: int = BATCH, committed: Callable[[list[Event]], None] | None = None
) -> int:
    """Wake every snooze due by ``now``, in every workspace, a batch per transaction; how many.
    ``committed`` is given the events of each batch once it has committed."""
    woken = 0
    with transaction(engine, write=False) as conn:
        workspaces = [ws for ws in workspace_ids(conn) if Store(conn, ws).conversations.any_due_snooze(now)]
    for workspace_id in workspaces:
        while True:
            with transaction(engine, write=True) as conn:
                store = Store(conn, workspace_id)
                count = wake_due(store, now, batch)
            if committed is not None and store.events:
                committed(store.events)
            woken += count
            if count < batch:
                break
    return woken


class SnoozeSweeper:
    """Runs :func:`sweep` from a thread of the process's own at start and every ``interval``
    seconds, and at once, in the caller's thread, whenever the clock is moved (tests and the test
    mode: the effects are there when ``advance`` returns). Sweeps of one process run one at a time;
    several processes may sweep one database: each batch reads its rows locked, so a second sweep
    waits for the first and finds those conversations no longer due."""

    def __init__(
        self,
        engine: Database,
        clock: Clock,
        interval: float = INTERVAL,
        listener: Callable[[], Callable[[list[Event]], None] | None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.listener = listener  # who hears the events of the snoozes woken (api/http.py committed)
        self.interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        clock.moved.append(self.sweep_now)

    def sweep_now(self) -> int:
        with self._lock:
            return sweep(self.engine, self.clock.now(), committed=self.listener())

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="inboxd-snoozes", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                self.sweep_now()
            except Exception:  # the database away for a moment: the next sweep tries again
                log.warning("sweeping due snoozes failed; trying again in %.0f s", self.interval, exc_info=True)
            if self._stop.wait(self.interval):
                return

    def close(self) -> None:
        self._stop.set()
        if self.sweep_now in self.clock.moved:
            self.clock.moved.remove(self.sweep_now)
        if self._thread is not None:
            self._thread.join(timeout=5)
