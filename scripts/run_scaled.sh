#!/usr/bin/env bash
# The app as it runs at scale, here on one machine: PostgreSQL, Redis for the task queue and the
# cache, WEB_WORKERS gunicorn processes (threaded), TASK_WORKERS RQ workers and the scheduler.
# On several machines each part runs alone with the same environment (README, "Running at
# scale"). Stop everything with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
BIND="${BIND:-127.0.0.1}"
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/donhang}"
export TASKS_BACKEND=redis
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export CACHE_URL="${CACHE_URL:-${REDIS_URL%/*}/1}"
WEB_WORKERS="${WEB_WORKERS:-4}"
WEB_THREADS="${WEB_THREADS:-8}"
TASK_WORKERS="${TASK_WORKERS:-3}"
# Per web process: this many requests work at once; the other threads answer overflow with 503.
export MAX_CONCURRENT_REQUESTS="${MAX_CONCURRENT_REQUESTS:-4}"
export MAX_QUEUE_WAIT_SECONDS="${MAX_QUEUE_WAIT_SECONDS:-1}"

case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "run-scaled runs on PostgreSQL: set DATABASE_URL=postgresql://…" >&2; exit 2 ;;
esac
$PY scripts/ensure_database.py
$PY -c "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL'], socket_connect_timeout=3).ping()" \
  || { echo "Redis does not answer at $REDIS_URL" >&2; exit 2; }
$PY manage.py migrate --noinput
[ -n "${NO_DEMO:-}" ] || $PY manage.py load_demo

PIDS=()
stop_all() { kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop_all EXIT INT TERM

for i in $(seq 1 "$TASK_WORKERS"); do
  # --with-scheduler: tasks enqueued to run later (retries with backoff) move to the queue.
  $PY manage.py rqworker default --with-scheduler --name "worker-$(hostname)-$$-$i" &
  PIDS+=($!)
done
$PY manage.py scheduler --interval "${SCHEDULER_INTERVAL:-10}" &
PIDS+=($!)
if [ -z "${NO_EMULATORS:-}" ]; then
  $PY -m emulators.serve --ghn-port "${GHN_EMULATOR_PORT:-8701}" --vtp-port "${VTP_EMULATOR_PORT:-8702}" \
    --callback-base "http://127.0.0.1:${PORT}" --secret demo-secret ${EMULATOR_ARGS:-} &
  PIDS+=($!)
fi

cat <<MSG

  donhang (scaled) is running:  http://${BIND}:${PORT}/
  web: ${WEB_WORKERS} processes × ${WEB_THREADS} threads (${MAX_CONCURRENT_REQUESTS} working at once each)
  task workers: ${TASK_WORKERS} (RQ on ${REDIS_URL}), scheduler: 1, cache: ${CACHE_URL}
  database: ${DATABASE_URL%%\?*}
  Stop with Ctrl-C.

MSG
# Same access-log rule as scripts/serve.sh: no query strings (secrets ride there), no referrer.
ACCESS_LOG_FORMAT='%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
.venv/bin/gunicorn config.wsgi:application -c scripts/gunicorn_conf.py --bind "${BIND}:${PORT}" \
  --workers "$WEB_WORKERS" --threads "$WEB_THREADS" --worker-class gthread \
  --worker-connections "${WEB_CONNECTIONS:-64}" --backlog "${WEB_BACKLOG:-512}" \
  --access-logfile "${ACCESS_LOG:--}" --access-logformat "$ACCESS_LOG_FORMAT" \
  --timeout 30 --graceful-timeout 10 &
PIDS+=($!)
wait -n "${PIDS[@]}"
