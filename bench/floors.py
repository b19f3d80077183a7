"""The PostgreSQL floors of bench/http_bench: inboxd's server stack (granian + Starlette, the same
workers) and its connection pool (store/engine.py ``make_engine``, the settings ``inboxd serve``
uses), each request costing one statement and nothing else — no authentication, no rendering:

- ``GET /conversations/{id}``: one primary-key SELECT of the conversation's row (the SELECT floor),
  answered as the few bytes of its id and state;
- ``POST /conversations/{id}/reply``: one single-row INSERT into a table of its own, committed (the
  INSERT floor; the body is stored as sent).

Each runs in one of the engine's threads (store/threads.py ``in_thread``, as many as the pool keeps
connections for them), in autocommit (the statement its own transaction, no BEGIN or COMMIT round
trip), as inboxd runs its reads on PostgreSQL (store/unit_of_work.py ``ordinary_read``). What
inboxd reaches relative to these, in the same run and on the same database, is what issue 20's
targets are written in (bench/README.md, "Targets"). Run by bench/http_bench (measure.py)::

    .venv/bin/python bench/floors.py --database-url postgresql+psycopg://… --port 8002 --workers 2

``GET /readyz`` answers as soon as a worker serves, so the benchmark waits for it as for inboxd.
"""

from __future__ import annotations

import argparse
import os

import orjson
from granian_serve import serve
from sqlalchemy import BigInteger, Column, Engine, MetaData, Table, Text, bindparam, insert, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from inboxd.store.engine import make_engine
from inboxd.store.tables import conversations
from inboxd.store.threads import in_thread

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


def _autocommit(engine: Engine) -> Engine:
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def create_app() -> Starlette:
    """The app a granian worker builds: a pool of its own, as each inboxd worker has."""
    engine = _autocommit(make_engine(os.environ[URL_ENV]))
    workspace = int(os.environ[WORKSPACE_ENV])
    by_id = select(conversations.c.id, conversations.c.state).where(
        conversations.c.workspace_id == workspace, conversations.c.id == bindparam("id")
    )
    add = insert(floor_inserts).values(conversation_id=bindparam("conversation"), body=bindparam("text"))

    def select_row(conversation: int) -> bytes:
        with engine.connect() as conn:
            row = conn.execute(by_id, {"id": conversation}).first()
        return orjson.dumps({"id": str(row.id), "state": row.state} if row is not None else None)

    def insert_row(conversation: int, body: bytes) -> None:
        with engine.connect() as conn:
            conn.execute(add, {"conversation": conversation, "text": body.decode()})

    async def get(request: Request) -> Response:
        body = await in_thread(engine, select_row, int(request.path_params["id"]))
        return Response(body, media_type="application/json")

    async def post(request: Request) -> Response:
        await in_thread(engine, insert_row, int(request.path_params["id"]), await request.body())
        return Response(b'{"type":"inserted"}', media_type="application/json")

    async def readyz(request: Request) -> Response:
        return Response(b'{"status":"ready"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/conversations/{id:int}", get, methods=["GET"]),
            Route("/conversations/{id:int}/reply", post, methods=["POST"]),
            Route("/readyz", readyz, methods=["GET"]),
        ]
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
