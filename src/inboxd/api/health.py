"""`GET /healthz` and `GET /readyz`, for load balancers and orchestrators. Not Intercom operations:
no token, no rate limit, no `Intercom-Version`, and a small JSON body rather than an `error.list`.

- ``/healthz``: the process is up and its event loop answers. It touches nothing else, so a slow or
  unreachable database never gets a healthy process restarted.
- ``/readyz``: the process can serve: the database answers within a few seconds and its schema is
  at the newest migration this code ships (read from the migration scripts once per process).
  503 otherwise, with what is wrong.
"""

from __future__ import annotations

import logging

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import Response

from inboxd.store import migrate
from inboxd.store.engine import Database
from inboxd.store.transactions import transacted

READY_TIMEOUT = 5.0  # seconds: a database that takes longer is not ready
log = logging.getLogger("inboxd")


def _json(data: dict[str, str], status: int = 200) -> Response:
    return Response(
        orjson.dumps(data), status_code=status, media_type="application/json", headers={"Cache-Control": "no-store"}
    )


async def healthz(request: Request) -> Response:
    return _json({"status": "ok"})


def _revisions(engine: Database) -> list[str]:
    return transacted(engine, migrate.current_revisions)


async def readyz(request: Request) -> Response:
    head = migrate.head_revision() or ""
    try:
        with anyio.fail_after(READY_TIMEOUT):
            # abandon_on_cancel: a database that hangs must not hang the answer too.
            current = await anyio.to_thread.run_sync(_revisions, request.app.state.engine, abandon_on_cancel=True)
    except TimeoutError:
        return _json({"status": "unavailable", "database": "timeout"}, 503)
    except Exception:
        log.warning("readyz: the database cannot be read", exc_info=True)
        return _json({"status": "unavailable", "database": "unreachable"}, 503)
    if current != [head]:
        return _json({"status": "unavailable", "database": "ok", "migration": ",".join(current), "expected": head}, 503)
    return _json({"status": "ready", "database": "ok", "migration": head})
