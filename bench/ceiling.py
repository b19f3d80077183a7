"""The ceiling of bench/http_bench: inboxd's server stack (granian + Starlette, same workers)
answering ``GET /conversations/{id}`` with one pre-encoded JSON document, no database, no
authentication, no rendering. What inboxd reaches relative to this, in the same run and on the
same machine, is the figure the targets (bench/README.md) are written in. Run by bench/http_bench
(measure.py)::

    .venv/bin/python bench/ceiling.py --body response.json --port 8001 --workers 2

``GET /readyz`` answers as soon as a worker serves, so the benchmark waits for it as for inboxd.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from granian_serve import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY_ENV = "INBOXD_BENCH_CEILING_BODY"


def create_app() -> Starlette:
    """The app a granian worker builds: the document is read once, then sent as bytes."""
    body = Path(os.environ[BODY_ENV]).read_bytes()

    async def conversation(request: Request) -> Response:
        return Response(body, media_type="application/json")

    async def readyz(request: Request) -> Response:
        return Response(b'{"status":"ready"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/conversations/{id}", conversation, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--body", type=Path, required=True, help="the JSON document every request gets")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ[BODY_ENV] = str(args.body.resolve())
    serve("ceiling:create_app", args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
