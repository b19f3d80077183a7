"""HTTP load benchmark of inboxd: requests per second and latency of the conversation endpoints,
served by ``inboxd serve --workers 2``, next to a ceiling measured in the same run.
Run with the project's interpreter (``make bench`` runs it with BENCH_HTTP_ARGS)::

    .venv/bin/python bench/http_bench                     # everything, writes bench/BENCHMARKS.md
    .venv/bin/python bench/http_bench --engines sqlite --duration 5 --soak 0 --no-write

Load generator: wrk (C, event-driven), from loopback, 1 thread at c=1 and 2 threads above, a
warm-up run then a measured run per endpoint and concurrency; the Lua scripts of lua/ pick random
ids, send the POST bodies, and print one JSON line of results from ``done()``.

Data: 100,000 conversations seeded once by ``inboxd seed``'s code (fixed --seed and --now, 1-30
parts) into a workspace ``bench``, then the snoozes woken for good; kept under bench/data/ (SQLite)
and as the PostgreSQL database ``inboxd_bench_http_<N>``. Every run serves a copy of it (a file
copy; ``CREATE DATABASE … TEMPLATE``), so the writes measured here never reach the kept data.

Measured at each concurrency: GET /conversations/{id} (random ids among conversations with 8-12
parts), GET /conversations?per_page=20 cycling pages 1-5 by their cursors, three searches of
bench/search_bench.py, an admin reply, close/open through POST /conversations/{id}/parts (each
request a real state change), a cold GET (each request renders: cold_get.py) and
read-after-write (a reply then a GET of it, beside a cached GET under the same load:
read_after_write.py); the ceiling (bench/ceiling.py: the same stack answering a pre-encoded
document of the size of a GET response); on PostgreSQL, the floors (bench/floors.py: the same stack
doing one primary-key SELECT, or one committed INSERT, per request) and the main loads again with
two ``inboxd serve`` processes on the one database, the load spread over both; the workers'
resident memory, a soak, and the start-up time and memory on the 1M database of
bench/search_bench.py. See bench/README.md.

The modules, in the order a run uses them: cli (options, the run from start to end), databases
(the seeded data and each run's copy), id_sets (which conversations each load asks for), servers
(the processes served and their memory), wrk and lua/ (the load generator), runner (one load at
each concurrency), loads, write_loads, cold_get and read_after_write (what each load sends),
measure (every load on one engine, then the ceiling), profiling, soak, big_database, then machine,
report and verdict.
"""
