# The two commands of the README: `make serve` and `make test`. Both create the virtualenv and
# install what they need on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: serve test migrate lint check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)  ## start inboxd on http://127.0.0.1:8000 over ./data/inboxd.sqlite3 (INBOXD_* variables apply)
	$(BIN)/inboxd serve

migrate: $(STAMP)
	$(BIN)/inboxd migrate

test: $(STAMP)  ## the whole suite; PostgreSQL half runs when INBOXD_TEST_POSTGRES_URL is set
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)  ## static checks: ruff, mypy --strict, the import contracts, the generated docs
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/coverage.py --check

check: lint test

clean:
	rm -rf $(VENV) .pytest_cache
