"""The cold GET: ``GET /conversations/{id}`` of conversations whose document is cached nowhere, so
that every request is answered by a render, as the first read after another client's write is.

Before each wrk run (warm-up and measured alike) every conversation of the set gets a new version
in one transaction on the run's database: what a write does to a conversation
(store/conversations.py), without the write's own answer being drawn. No worker's cache
(api/render_cache.py, keyed by version) can then hold the current version. Each wrk thread reads
its share once and stops (lua/cold_get.lua), so no conversation is read twice after its change.
The set is the GET set (conversations with id_sets.GET_PARTS parts), so the figure compares with
the cached GET's and with the ceiling.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, update

from http_bench.loads import LABELS
from http_bench.runner import Load
from http_bench.wrk import Script
from inboxd.store.tables import conversations
from inboxd.store.transactions import transaction

CHUNK = 2_000  # ids per statement: within every engine's limit of bound parameters


def cold_get_load(ids_file: Path, ids: list[str], workspace: int, probe: Engine) -> Load:
    numbers = [int(i) for i in ids]

    def change_them() -> None:
        time.sleep(0.3)  # requests wrk abandoned at its end finish on the server (they would cache)
        with transaction(probe, write=True) as conn:
            for start in range(0, len(numbers), CHUNK):
                chunk = numbers[start : start + CHUNK]
                conn.execute(
                    update(conversations)
                    .where(conversations.c.workspace_id == workspace, conversations.c.id.in_(chunk))
                    .values(version=conversations.c.version + 1)
                )

    return Load(
        "cold-get", LABELS["cold-get"], "/", lambda c: Script("cold_get", {"ids": ids_file}), before=change_them
    )
