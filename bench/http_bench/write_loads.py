"""The write loads: an admin reply, and close/open through POST /conversations/{id}/parts, each
checked against what it wrote."""

from __future__ import annotations

import json
import time

from sqlalchemy import Engine, text

from http_bench.id_sets import IdSets
from http_bench.loads import LABELS
from http_bench.runner import Load, Run
from http_bench.wrk import Figure, Script, threads


def write_loads(run: Run, engine_name: str, t: IdSets, probe: Engine) -> list[Load]:
    """Reply and close/open, each request checked against the parts it wrote."""
    files = run.workdir
    reply_file, parts_file = files / f"{engine_name}-reply.txt", files / f"{engine_name}-parts.txt"
    sent = {"reply": 0}
    body = json.dumps({"type": "admin", "admin_id": t.admin_id, "message_type": "comment", "body": "On it, thanks!"})
    close = json.dumps({"message_type": "close", "type": "admin", "admin_id": t.admin_id})
    reopen = json.dumps({"message_type": "open", "admin_id": t.admin_id})
    parts_script = Script("parts", {"ids": parts_file, "close": close, "open": reopen})

    def reply_script(c: int) -> Script:
        return Script("reply", {"ids": reply_file, "body": body, "offset": sent["reply"] // threads(c)})

    def count_reply(figure: Figure) -> None:
        sent["reply"] += figure.requests

    since = {"t": 0, "count": 0}

    def parts_count() -> int:
        with probe.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM conversation_parts WHERE workspace_id = :w "
                        "AND part_type IN ('close', 'open') AND created_at >= :t"
                    ),
                    {"w": t.workspace, "t": since["t"]},
                ).scalar_one()
            )

    def states() -> None:
        """Before each wrk run: the action each id's current state allows (the previous run may
        have stopped anywhere in its round), and the parts written so far."""
        time.sleep(0.3)  # requests wrk abandoned at its end finish on the server
        if not since["t"]:
            since["t"] = int(time.time()) - 1
        with probe.connect() as conn:
            state: dict[int, str] = dict(
                conn.execute(
                    text("SELECT id, state FROM conversations WHERE workspace_id = :w"), {"w": t.workspace}
                ).all()
            )
        lines = [f"{i} {'open' if state[int(i)] == 'closed' else 'close'}" for i in t.close_ids]
        parts_file.write_text("\n".join(lines) + "\n")
        since["count"] = parts_count()

    def check_parts(figure: Figure) -> None:
        time.sleep(0.3)
        written = parts_count() - since["count"]
        answered = figure.requests - figure.errors.get("status", 0)
        figure.noop = max(0, answered - written)

    return [
        Load(
            "reply",
            LABELS["reply"],
            "/",
            reply_script,
            check=count_reply,
        ),
        Load(
            "parts",
            LABELS["parts"],
            "/",
            lambda c: parts_script,
            before=states,
            check=check_parts,
        ),
    ]
