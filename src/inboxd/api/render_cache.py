"""Rendered conversation documents, kept per worker process and keyed by the conversation's
`version` (store/tables/conversation.py), which every write transaction touching the conversation bumps.

`GET /conversations/{id}` then costs one indexed read of the version instead of the queries
and the rendering of a conversation with its parts (docs/decisions.md, Performance). A stale entry
can never be served: a changed conversation has a new version, and an entry is only used for the
exact version it was rendered from. The cache is bounded by the bytes it holds.

Documents are kept here only, never in the database: a read commits nothing (docs/decisions.md,
"Reads never write"). Each worker of each process keeps what it drew or wrote itself, and checks
the version in the database on every read, so several processes never serve a stale document.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

DEFAULT_BUDGET_MB = 128  # per worker (`inboxd serve --document-cache-mb`)


class RenderCache:
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_MB * 1024 * 1024) -> None:
        self.budget = budget_bytes
        self.size = 0
        self._entries: OrderedDict[Hashable, tuple[Hashable, bytes]] = OrderedDict()
        self._lock = threading.Lock()  # handlers run in a thread pool

    def get(self, key: Hashable, version: Hashable) -> bytes | None:
        """The document stored under ``key`` for exactly this ``version`` (an int, or any value
        that says what the document was drawn from, compared with ==)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def holds(self, key: Hashable) -> bool:
        """Whether some version of ``key`` is kept (then asking the database for the current one
        is worth a statement)."""
        return key in self._entries

    def put(self, key: Hashable, version: Hashable, document: bytes) -> None:
        if len(document) > self.budget // 8:
            return  # one huge conversation must not empty the cache
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= len(old[1])
            self._entries[key] = (version, document)
            self.size += len(document)
            while self.size > self.budget:
                _, (_, evicted) = self._entries.popitem(last=False)
                self.size -= len(evicted)
