#!/usr/bin/env bash
# Start one background-task worker and the web server; stop both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}"

$PY manage.py db_worker --interval 1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  donhang is running:  http://127.0.0.1:${PORT}/
  demo login:          owner / donhang-demo   (also manager, sales, warehouse, accountant)
  API docs:            http://127.0.0.1:${PORT}/api/v1/docs
  Stop with Ctrl-C.

MSG
.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:${PORT}" \
  --workers "$WEB_CONCURRENCY" --access-logfile - --graceful-timeout 5
