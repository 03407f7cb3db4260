# donhang — the commands a newcomer needs. `make run` and `make test` set everything up themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
PORT ?= 8000
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: install run run-scaled test test-sqlite test-postgres test-faults fuzz loadtest lint format bench eval-chatbot messages browser-deps clean

$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null
	$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(VENV)/bin/uv sync --frozen --inexact --python $(PY)
	touch $@

install: $(VENV)/.installed

## Set up, migrate, load the demo shop, start the web server and a worker (PORT, DATABASE_URL).
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	PORT=$(PORT) bash scripts/serve.sh

## The scaled run on one machine: PostgreSQL (DATABASE_URL), Redis (REDIS_URL) for the task queue
## and the cache, WEB_WORKERS gunicorn processes, TASK_WORKERS RQ workers and the scheduler.
run-scaled: install
	PORT=$(PORT) bash scripts/run_scaled.sh

## Debian's chromium for the browser tests (never a downloaded browser).
browser-deps:
	@{ command -v chromium && command -v pdftotext; } >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium poppler-utils; }

## The whole suite: lint, then SQLite, then PostgreSQL.
test: install browser-deps lint test-sqlite test-postgres

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	PYTHONPATH=. $(PY) scripts/check_import_cycles.py donhang emulators
	$(PY) manage.py makemigrations --check --dry-run >/dev/null

test-sqlite: install
	env -u DATABASE_URL $(PY) -m pytest -n 2

test-postgres: install
	DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -n 2

## Faults (not part of `make test`): workers killed mid-job, PostgreSQL restarted and Redis
## stopped under load (their own throwaway servers), every emulator failing 30 % of calls.
test-faults: install
	DONHANG_FAULT_TESTS=1 DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -p no:xdist -q donhang/core/tests/faults $(FAULTS_ARGS)

## Property-based fuzzing of the REST API from its OpenAPI schema, deeper than in `make test`
## (FUZZ_EXAMPLES cases per operation), on SQLite then PostgreSQL.
FUZZ_EXAMPLES ?= 100
fuzz: install
	env -u DATABASE_URL DONHANG_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p no:xdist -q donhang/api/tests/test_openapi_fuzz.py $(FUZZ_ARGS)
	DATABASE_URL=$(PG_TEST_URL) DONHANG_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p no:xdist -q donhang/api/tests/test_openapi_fuzz.py $(FUZZ_ARGS)

## Load test against a running `make run-scaled` (BASE_URL, default http://127.0.0.1:$(PORT)).
loadtest: install
	$(PY) scripts/loadtest.py --base-url $${BASE_URL:-http://127.0.0.1:$(PORT)} $(LOADTEST_ARGS)

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## Regenerate and compile translations (needs gettext).
messages: install
	$(PY) manage.py makemessages -l vi -l en -l ja --ignore=.venv --ignore=var --no-obsolete
	$(PY) manage.py makemessages -d djangojs -l vi -l en -l ja --ignore=.venv --ignore=var --no-obsolete || true
	$(PY) manage.py compilemessages --ignore=.venv

bench: install
	$(PY) -m bench $(BENCH_ARGS)

## The chatbot on evaluation/chatbot/ (offline engine, fresh demo database): intent accuracy,
## entity F1, dialogue completion, p95 reply latency. EVAL_ARGS: e.g. --failures 0.
eval-chatbot: install
	$(PY) -m bench.chatbot_eval $(EVAL_ARGS)

clean:
	rm -rf $(VENV) var/test*.sqlite3*
