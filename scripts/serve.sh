#!/usr/bin/env bash
# Start one background-task worker and the web server; stop both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}"

$PY manage.py db_worker --interval 1 &
WORKER=$!
$PY manage.py scheduler &
SCHEDULER=$!
# The carriers' emulators power the demo's shipping (GHN on 8701, Viettel Post on 8702); set
# NO_EMULATORS=1 when the shop's carrier accounts point at the real carriers.
EMULATORS=""
if [ -z "${NO_EMULATORS:-}" ]; then
  $PY -m emulators.serve --ghn-port "${GHN_EMULATOR_PORT:-8701}" --vtp-port "${VTP_EMULATOR_PORT:-8702}" \
    --callback-base "http://127.0.0.1:${PORT}" --secret demo-secret &
  EMULATORS=$!
fi
trap 'kill $WORKER $SCHEDULER $EMULATORS 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  donhang is running:  http://127.0.0.1:${PORT}/
  demo login:          owner / donhang-demo   (also manager, sales, warehouse, accountant)
  API docs:            http://127.0.0.1:${PORT}/api/v1/docs
  Stop with Ctrl-C.

MSG
# The access log has the path without its query string and no referrer: a carrier's webhook
# secret (GHN is given a URL with ?secret=...) and a buyer's phone (the tracking page) ride there.
ACCESS_LOG_FORMAT='%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:${PORT}" \
  --workers "$WEB_CONCURRENCY" --access-logfile - --access-logformat "$ACCESS_LOG_FORMAT" \
  --graceful-timeout 5
