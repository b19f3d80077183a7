"""Which conversations each load asks for: the GET set (conversations with GET_PARTS parts, the size
the ceiling's document is taken from), and the write loads' ids outside it."""

from __future__ import annotations

import dataclasses
import random

from sqlalchemy import text

from http_bench.databases import workspace_id
from inboxd.store.engine import make_engine

GET_PARTS = (8, 12)  # GET ids: conversations with this many parts ("~10")


@dataclasses.dataclass
class IdSets:
    """The conversations each load asks for, read from the run's database before the server starts."""

    get_ids: list[str]
    reply_ids: list[str]
    close_ids: list[str]
    admin_id: str
    workspace: int


def id_sets(url: str) -> IdSets:
    engine = make_engine(url)
    ws = workspace_id(engine)
    low, high = GET_PARTS
    with engine.connect() as conn:
        get_ids = sorted(
            int(i)
            for i in conn.execute(
                text(
                    "SELECT conversation_id FROM conversation_parts WHERE workspace_id = :w "
                    "GROUP BY conversation_id HAVING count(*) BETWEEN :low AND :high"
                ),
                {"w": ws, "low": low, "high": high},
            ).scalars()
        )
        everything = [
            int(i)
            for i in conn.execute(
                text("SELECT id FROM conversations WHERE workspace_id = :w ORDER BY id"), {"w": ws}
            ).scalars()
        ]
        admin = conn.execute(
            text("SELECT id FROM admins WHERE workspace_id = :w AND email = 'ada@bench.test'"), {"w": ws}
        ).scalar_one()
    engine.dispose()
    rng = random.Random(7)
    rng.shuffle(get_ids)
    get_ids = get_ids[:20_000]
    taken = set(get_ids)
    writes = [i for i in everything if i not in taken]
    rng.shuffle(writes)
    # Close/open needs few ids (each comes round again only after all the others of its wrk thread);
    # replies get the rest, so each conversation grows by about one part per run.
    close_count = min(10_000, len(writes) // 2)
    return IdSets(
        get_ids=[str(i) for i in get_ids],
        close_ids=[str(i) for i in writes[:close_count]],
        reply_ids=[str(i) for i in writes[close_count:]],
        admin_id=str(admin),
        workspace=ws,
    )
