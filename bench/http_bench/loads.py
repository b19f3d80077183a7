"""The read loads (GET by id, list pages, three searches) and every load's label in the report."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
from pathlib import Path

import search_bench

from http_bench.databases import TOKEN
from http_bench.runner import Load
from http_bench.servers import Server
from http_bench.wrk import Script
from inboxd.store.engine import make_engine

# The three searches (names in search_bench.queries): fast ones, so the HTTP figures are not
# the search planner's (bench/search_bench.py measures that).
SEARCHES = {
    "search-open": ("POST /conversations/search: state = open", "state = open"),
    "search-window": ("POST /conversations/search: 30-day window", "created_at in a 30-day range"),
    "search-rare": ("POST /conversations/search: rare body word", f"body word, rare ({search_bench.RARE})"),
}
LABELS = {
    "get": "GET /conversations/{id}",
    "list": "GET /conversations?per_page=20, pages 1-5",
    **{k: label for k, (label, _) in SEARCHES.items()},
    "reply": "POST /conversations/{id}/reply (admin comment)",
    "parts": "POST /conversations/{id}/parts (close ⇄ open)",
    "cold-get": "GET /conversations/{id}, cold (document not cached)",
    "read-after-write": "read-after-write: reply, then GET (pipelined)",
}
# The PostgreSQL floors (bench/floors.py): the same stack doing one statement per request.
FLOOR_LABELS = {
    "select-floor": "floor: one primary-key SELECT per request",
    "insert-floor": "floor: one single-row INSERT committed per request",
}


def get_script(ids_file: Path) -> Script:
    """GET a random id of the file on every request (the GET row and the ceiling's)."""
    return Script("get", {"ids": ids_file, "prefix": "/conversations/"})


def read_loads(get_file: Path, paths: list[str], searches: dict[str, str]) -> list[Load]:
    """GET by id, the list pages, then each search of ``searches`` (search_bodies): the first two
    are the ones profiled."""
    return [
        Load("get", LABELS["get"], "/", lambda c: get_script(get_file)),
        Load("list", LABELS["list"], "/", lambda c: Script("cycle", {"paths": paths})),
        *(search_load(key, label, searches[key]) for key, (label, _) in SEARCHES.items() if key in searches),
    ]


def search_load(key: str, label: str, body: str) -> Load:
    script = Script("post", {"path": "/conversations/search", "body": body})
    return Load(key, label, "/conversations/search", lambda c: script)


def answers(server: Server, token: str) -> bool:
    try:
        server.get("/conversations?per_page=1", token)
    except urllib.error.HTTPError:
        return False
    return True


def list_paths(server: Server, token: str = TOKEN) -> list[str]:
    """Pages 1-5 of GET /conversations?per_page=20, by the cursors the pages give."""
    paths = ["/conversations?per_page=20"]
    for _ in range(4):
        page = json.loads(server.get(paths[-1], token))
        cursor = page["pages"]["next"]["starting_after"]
        paths.append("/conversations?per_page=20&starting_after=" + urllib.parse.quote(cursor, safe=""))
    return paths


def search_bodies(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        specs = search_bench.queries(engine)
    finally:
        engine.dispose()
    out = {}
    for key, (_, name) in SEARCHES.items():
        if name not in specs:
            raise SystemExit(f"bench/search_bench.py has no query named {name!r} any more: update SEARCHES")
        out[key] = json.dumps({"query": specs[name]["query"], "pagination": {"per_page": 20}})
    return out
