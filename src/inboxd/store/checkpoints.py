"""SQLite's WAL copied back into the database file by a thread of each process, not by the writer
whose commit happens to take the WAL past a size (docs/decisions.md, Performance: "WAL checkpoints
run in a thread of each process")."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from sqlalchemy import Engine

from inboxd.store.write_gate import write_gate

log = logging.getLogger("inboxd.engine")

WAL_AUTOCHECKPOINT_PAGES = 4000  # 16 MB of WAL (SQLite's default: 1,000 pages)
CHECKPOINT_INTERVAL = 0.05  # seconds between a Checkpointer's checkpoints


class Checkpointer:
    """Copies SQLite's write-ahead log back into the database file from a thread of its own.

    SQLite does it in the connection whose commit takes the WAL past ``wal_autocheckpoint`` pages:
    one write in many then paid for copying the whole WAL and an fsync while it held the write
    lock, which made up most of the average commit (docs/decisions.md, Performance). A PASSIVE
    checkpoint needs neither the write lock nor the readers to stop, and SQLite restarts the WAL
    from its start once a checkpoint has copied all of it. Durability does not change: a commit is
    in the WAL (synchronous=NORMAL) whether or not it was copied back yet.

    A no-op for PostgreSQL and in-memory databases (engines without a write gate)."""

    def __init__(self, engine: Engine, interval: float = CHECKPOINT_INTERVAL) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if write_gate(engine) is not None:
            self._thread = threading.Thread(target=self._run, name="inboxd-checkpointer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        conn: Any = None
        while not self._stop.wait(self.interval):
            try:
                if conn is None:
                    proxied = self.engine.raw_connection()
                    conn = proxied.driver_connection
                    proxied.detach()
                    conn.execute("PRAGMA busy_timeout=0").close()  # another process checkpointing: next time
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except Exception:  # a locked or vanished database: try again with a new connection
                log.debug("checkpoint failed", exc_info=True)
                with contextlib.suppress(Exception):
                    conn.close()
                conn = None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
