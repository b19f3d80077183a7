"""inboxd's own app (``inboxd.app.create_app``) served by granian as ``inboxd serve`` serves it, but
with the clock frozen at a given time and without applying migrations or a workspace file.

bench/http_bench uses it for one thing: serving GETs from the 1M database of
bench/search_bench.py (opened read-only) to measure the workers' memory. That database was seeded
with history ending at 2026-01-01 and its snoozes were woken as of then; under the wall clock every
snooze still pending would be due, and the first request would wake them all, which is a write to a
database another benchmark owns. Frozen at the seed's ``now``, nothing is due and nothing is
written. Run by bench/http_bench (big_database.py)::

    .venv/bin/python bench/frozen_serve.py --database-url 'sqlite:///file:/abs/db.sqlite3?mode=ro&uri=true' \\
        --now 1767225600 --port 8002 --workers 2
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from granian_serve import serve

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

NOW_ENV = "INBOXD_BENCH_FROZEN_NOW"


def create_app() -> Any:
    """The app a granian worker builds: inboxd's, on INBOXD_DATABASE_URL, the clock at NOW_ENV."""
    from inboxd.app import create_app as inboxd_app
    from inboxd.domain.clock import FrozenClock
    from inboxd.store.engine import database_url_from_env, make_engine

    return inboxd_app(make_engine(database_url_from_env()), FrozenClock(int(os.environ[NOW_ENV])), rate_limit=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--now", type=int, required=True, help="Unix time the app's clock stays at")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ["INBOXD_DATABASE_URL"] = args.database_url
    os.environ[NOW_ENV] = str(args.now)
    serve("frozen_serve:create_app", args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
