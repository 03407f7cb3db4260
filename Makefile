# donhang — the commands a newcomer needs. `make run` and `make test` set everything up themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
PORT ?= 8000
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: install run test test-sqlite test-postgres lint format bench messages browser-deps clean

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

## Debian's chromium for the browser tests (never a downloaded browser).
browser-deps:
	@command -v chromium >/dev/null || { \
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

clean:
	rm -rf $(VENV) var/test*.sqlite3*
