"""Writes for driving a WriteQueue (store/unit_of_work.py) directly: each adds a tag to workspace 1,
the smallest write with a unique key to collide on. Shared by the SQLite and PostgreSQL queue tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select
from starlette.responses import Response

from inboxd.store.scope import Store
from inboxd.store.tables import tags
from inboxd.store.transactions import transaction
from inboxd.store.unit_of_work import AfterCommit
from tests.conftest import T0


def tag_names(engine: Engine) -> list[str]:
    with transaction(engine, write=False) as conn:
        return list(conn.execute(select(tags.c.name).where(tags.c.workspace_id == 1).order_by(tags.c.id)).scalars())


def add_tag(name: str, changed: frozenset[int] | None = frozenset()):
    def run(conn: Connection) -> tuple[Response, frozenset[int] | None]:
        conn.execute(insert(tags).values(workspace_id=1, name=name, name_folded=name, created_at=T0))
        return Response(name), changed

    return run


def add_tag_shown(name: str, shows: int):
    """A write whose answer is drawn from what it left: how many tags there are then."""

    def draw(snapshot: Store, now: int) -> Response:
        count = snapshot.conn.execute(select(func.count()).select_from(tags).where(tags.c.workspace_id == 1))
        return Response(str(count.scalar_one()))

    def run(conn: Connection) -> tuple[Any, frozenset[int] | None]:
        conn.execute(insert(tags).values(workspace_id=1, name=name, name_folded=name, created_at=T0))
        return AfterCommit(1, draw, shows), frozenset({shows})

    return run


def add_tag_drawn_together(name: str, shows: int, draw_all: Callable[[Store, list[int]], list[Response]]):
    """A write whose answer can be drawn with others of its kind by ``draw_all`` (alone: "alone N")."""

    def draw(snapshot: Store, now: int) -> Response:
        return Response(f"alone {shows}")

    def run(conn: Connection) -> tuple[Any, frozenset[int] | None]:
        conn.execute(insert(tags).values(workspace_id=1, name=name, name_folded=name, created_at=T0))
        return AfterCommit(1, draw, shows, together=("tags", draw_all)), frozenset({shows})

    return run


def conflicting_writes() -> list[Callable[[Connection], Any]]:
    """A write whose answer shows conversation 7, one of another conversation (same batch), then
    one that changes 7 and one that may change anything: those two must not join the first's
    batch. Its answer then counts its own tag and b's, no more."""
    return [
        add_tag_shown("a", shows=7),
        add_tag("b", changed=frozenset({8})),
        add_tag("c", changed=frozenset({7})),
        add_tag("d", changed=None),
    ]


def bodies(outcomes: list[Any]) -> list[Any]:
    """Each outcome's body, or the name of the error it raised."""
    return [o.body.decode() if isinstance(o, Response) else type(o).__name__ for o in outcomes]
