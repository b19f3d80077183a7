# The two commands of the README: `make serve` and `make test`. Both create the virtualenv and
# install what they need on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: serve test test-pooler fuzz migrate lint check clean bench-search reliability bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)  ## start inboxd on http://127.0.0.1:8000 over ./data/inboxd.sqlite3 (INBOXD_* variables apply)
	$(BIN)/inboxd serve

migrate: $(STAMP)
	$(BIN)/inboxd migrate

# pytest-xdist's workers: one per core ("auto"); PYTEST_WORKERS=0 runs the suite in one process.
# worksteal: a worker that runs out takes tests queued for the other, so one long test (the snooze
# backlog's, the bench smoke) at the end of a queue does not leave a core idle.
PYTEST_WORKERS ?= auto

# Tests marked `alone` assert how fast a server answers under load: they run after the others, one
# at a time (exit code 5 there only means PYTEST_ARGS selected none of them).
test: $(STAMP)  ## the whole suite, on every core; PostgreSQL half runs when INBOXD_TEST_POSTGRES_URL is set
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal -m "not alone" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m alone $(PYTEST_ARGS) || [ $$? -eq 5 ]

# PgBouncer in transaction pooling before the test database (scripts/pgbouncer.sh starts it).
POOLER_URL ?= postgresql+psycopg://inboxd:inboxd@127.0.0.1:6432/inboxd_test?pooler=transaction

test-pooler: $(STAMP)  ## the PostgreSQL half of the API, store, SDK and two-process tests again, through PgBouncer in transaction pooling (docs/deployment.md)
	scripts/pgbouncer.sh
	INBOXD_TEST_POSTGRES_URL='$(POOLER_URL)' INBOXD_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest -n $(PYTEST_WORKERS) \
	  --dist worksteal -m "not alone" -k postgres --ignore tests/api/test_spec_fuzz.py tests/api tests/store tests/sdk \
	  tests/reliability/test_processes.py $(PYTEST_ARGS)

fuzz: $(STAMP)  ## the spec fuzzed at length (FUZZ_EXAMPLES, FUZZ_SEED); the result goes to docs/fuzzing.md
	$(BIN)/python scripts/fuzz.py

lint: $(STAMP)  ## static checks: ruff, mypy --strict, the import contracts, the generated docs
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/coverage.py --check

check: lint test

reliability: $(STAMP)  ## SIGKILL mid-load ×20 and 32-client bursts, both engines, 1 and 2 workers, and two processes of 2 workers on one database (with reads across them, revocations, a shared rate limit) → docs/reliability.md (RELIABILITY_ARGS apply; PostgreSQL via INBOXD_TEST_POSTGRES_URL)
	$(BIN)/python -m tests.reliability.long $(RELIABILITY_ARGS)

bench-search: $(STAMP)  ## search latency at 10k/100k/1M on SQLite and PostgreSQL → bench/BENCHMARKS.md (BENCH_ARGS apply)
	$(BIN)/python bench/search_bench.py $(BENCH_ARGS)

bench: $(STAMP)  ## search latency up to 1M (the search targets; seeds the 1M database), then HTTP load: inboxd (2 workers) under wrk at c=1/16/64, SQLite and PostgreSQL, next to a ceiling → bench/BENCHMARKS.md (BENCH_ARGS, BENCH_HTTP_ARGS apply)
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y wrk || { apt-get update -qq && apt-get install -y wrk; }; \
	  else echo "make bench needs wrk, the HTTP load generator: sudo apt-get install wrk" >&2; exit 1; fi; }
	@$(BIN)/py-spy --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/search_bench.py --runs 20 --warmup 2 --plans $(BENCH_ARGS)
	$(BIN)/python bench/http_bench --soak 300 --profile $(BENCH_HTTP_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
