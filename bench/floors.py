"""The PostgreSQL floors of bench/http_bench: inboxd's server stack (granian + Starlette, the same
workers) and its connection pool (store/engine.py ``make_engine``, the settings ``inboxd serve``
uses), each request costing one statement and nothing else — no authentication, no rendering:

- ``GET /conversations/{id}``: one primary-key SELECT of the conversation's row (the SELECT floor),
  answered as the few bytes of its id and state;
- ``POST /conversations/{id}/reply``: one single-row INSERT into a table of its own, committed (the
  INSERT floor; the body is stored as sent).

Each runs on the event loop's engine (store/loop_work.py ``loop_engine``: the pool inboxd's requests
use), in autocommit (the statement its own transaction, no BEGIN or COMMIT round trip), as inboxd
runs its reads on PostgreSQL (store/unit_of_work.py ``ordinary_read``). What
inboxd reaches relative to these, in the same run and on the same database, is what issue 20's
targets are written in (bench/README.md, "Targets"). Run by bench/http_bench (measure.py)::

    .venv/bin/python bench/floors.py --database-url postgresql+psycopg://… --port 8002 --workers 2

``GET /readyz`` answers as soon as a worker serves, so the benchmark waits for it as for inboxd.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator

import orjson
from granian_serve import serve
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, bindparam, insert, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from inboxd.store.engine import make_engine
from inboxd.store.loop_work import close_loop_engine, loop_engine, open_loop_engine
from inboxd.store.tables import conversations

URL_ENV = "INBOXD_BENCH_FLOORS_URL"
WORKSPACE_ENV = "INBOXD_BENCH_FLOORS_WORKSPACE"

# Not inboxd's: a table the floor's inserts go to, created when the server starts.
floor_inserts = Table(
    "bench_floor_inserts",
    MetaData(),
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("conversation_id", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
)


def create_app() -> Starlette:
    """The app a granian worker builds: an engine of its own, as each inboxd worker has, whose
    statements run on the event loop's pool as inboxd's requests do (store/loop_work.py)."""
    engine = make_engine(os.environ[URL_ENV])
    workspace = int(os.environ[WORKSPACE_ENV])
    by_id = select(conversations.c.id, conversations.c.state).where(
        conversations.c.workspace_id == workspace, conversations.c.id == bindparam("id")
    )
    add = insert(floor_inserts).values(conversation_id=bindparam("conversation"), body=bindparam("text"))

    async def get(request: Request) -> Response:
        async with loop_engine(engine).connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            row = (await conn.execute(by_id, {"id": int(request.path_params["id"])})).first()
        body = orjson.dumps({"id": str(row.id), "state": row.state} if row is not None else None)
        return Response(body, media_type="application/json")

    async def post(request: Request) -> Response:
        text = (await request.body()).decode()
        async with loop_engine(engine).connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(add, {"conversation": int(request.path_params["id"]), "text": text})
        return Response(b'{"type":"inserted"}', media_type="application/json")

    async def readyz(request: Request) -> Response:
        return Response(b'{"status":"ready"}', media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await open_loop_engine(engine)  # as inboxd's app does (app.py)
        try:
            yield
        finally:
            await close_loop_engine(engine)

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/conversations/{id:int}", get, methods=["GET"]),
            Route("/conversations/{id:int}/reply", post, methods=["POST"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="the run's PostgreSQL database")
    parser.add_argument("--workspace", type=int, required=True, help="the workspace the SELECTs read")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    engine = make_engine(args.database_url)
    try:
        floor_inserts.create(engine, checkfirst=True)
    finally:
        engine.dispose()
    os.environ[URL_ENV] = args.database_url
    os.environ[WORKSPACE_ENV] = str(args.workspace)
    serve("floors:create_app", args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
