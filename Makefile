# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install node lint migrate demo lock clean bench

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "pacforum needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)

# uv installs the pinned packages several times faster than pip (about 8 s
# instead of 25 s into a new virtualenv), which every fresh `make run` and CI
# run pays; pip only bootstraps it. uv writes no bytecode unless asked: without
# it every Python process (each pytest worker, each manage.py command) compiles
# Django and the other packages again as it imports them, about 20 s of CPU
# each where PYTHONDONTWRITEBYTECODE is set (as on CI's machine).
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Offline validators for the browser tests (Nu HTML Checker, axe-core).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: HTML validation and accessibility tests will be skipped"; fi

node: node_modules/.installed

migrate: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput

demo: migrate
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py setup_roles
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py load_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py load_demo_subscribers
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py createinitialrevisions --comment "Demo content loaded."

run: demo
	@echo ""
	@echo "  Site:  http://$(HOST):$(PORT)/"
	@echo "  Admin: http://$(HOST):$(PORT)/admin/"
	@echo "  Create an admin account with: $(BIN)/python manage.py createsuperuser"
	@echo "  (with DEBUG=true, or the same environment you run the site with)"
	@echo ""
	@echo "  Emails are queued and sent by a worker started beside the server (db_worker);"
	@echo "  with DEBUG they are printed here. The worker also runs the go-live tick."
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py start_tick
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py db_worker & \
	trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite in one pytest run on 2 pytest-xdist workers (each worker has
# its own test database and Redis database number). The browser tests (marker
# `browser`) form one xdist group (tests/conftest.py), which `--dist loadgroup`
# runs on a single worker, one test at a time, with one Chromium, while the
# other worker takes the tests without a browser one by one; the browser tests
# mostly wait on Chromium, so they cost the other tests little.
# TEST_WORKERS=auto uses every core (keep REDIS_URL's database number + workers
# <= 16); TEST_MARKERS=sqlite runs only the tests with that marker (CI's SQLite
# run). pytest exits 5 when nothing is selected (PYTEST_ARGS="-k nothing").
TEST_WORKERS ?= 2
TEST_MARKERS ?=
test: install node
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(if $(TEST_MARKERS),-m "$(TEST_MARKERS)") $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Benchmarks on PostgreSQL (see docs/benchmarks.md). Quick run: make bench BENCH_ARGS=--quick
BENCH_ARGS ?=
bench: install
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/suite.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# Refresh the pinned versions after changing dependencies in pyproject.toml.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache staticfiles .test-media
