"""Read-after-write: on each connection, an admin reply to a conversation, then a GET of it, the
way a client reacts to a change by fetching what changed (lua/read_after_write.lua). Every other
pair GETs a cached conversation instead, the control the GET after a write is judged against.

The replies go to one half of the GET set, the control GETs read the other half: conversations of
the same size (id_sets.GET_PARTS parts), the control's viewed just before the load and not written
during it. Each GET that follows its reply must show that reply (else it is counted as stale).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from http_bench.id_sets import IdSets
from http_bench.loads import LABELS
from http_bench.runner import Load
from http_bench.wrk import Figure, Script, threads

# The kinds of request the script times, in the report's order, with their labels.
SPLIT_LABELS = {
    "reply": "its POST /conversations/{id}/reply",
    "after-write": "GET of the conversation just replied to",
    "cached": "GET of a cached conversation (control)",
}


def halves(t: IdSets) -> tuple[list[str], list[str]]:
    """The conversations replied to, and the control's."""
    return t.get_ids[0::2], t.get_ids[1::2]


def read_after_write_load(writes_file: Path, controls_file: Path, admin_id: str) -> Load:
    # %s: the tag of each reply, which the GET after it must show
    body = json.dumps({"type": "admin", "admin_id": admin_id, "message_type": "comment", "body": "On it (%s)"})
    sent = {"pairs": 0, "runs": 0}
    current = {"samples": writes_file}

    def script(c: int) -> Script:
        sent["runs"] += 1  # each run its own files: a run never checked (a profile's) leaves its own
        samples = current["samples"] = writes_file.with_name(f"read-after-write-{sent['runs']}")
        offset = sent["pairs"] // threads(c)  # each run goes on where the last stopped
        params = {"ids": writes_file, "controls": controls_file, "body": body, "offset": offset, "samples": samples}
        return Script("read_after_write", params)

    def timed(figure: Figure) -> None:
        """The script's own figures of each kind of request, over the run's duration."""
        sent["pairs"] += figure.requests // 2
        values: dict[str, list[float]] = {name: [] for name in SPLIT_LABELS}
        stale = 0
        samples = current["samples"]
        for path in sorted(samples.parent.glob(f"{samples.name}-*.txt")):
            for line in path.read_text().splitlines():
                kind, _, us = line.partition(" ")
                if kind == "stale":
                    stale += 1
                elif kind in values:
                    values[kind].append(float(us))
            path.unlink()
        figure.stale = stale
        figure.split = {name: _figure(v, figure.seconds) for name, v in values.items()}

    return Load("read-after-write", LABELS["read-after-write"], "/", script, check=timed)


def _figure(microseconds: list[float], seconds: float) -> Figure:
    ordered = sorted(microseconds)

    def rank(p: float) -> float:  # nearest rank, in ms
        return ordered[max(0, math.ceil(len(ordered) * p / 100) - 1)] / 1000 if ordered else 0.0

    return Figure(len(ordered), seconds, {}, rank(50), rank(99))
