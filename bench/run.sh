#!/usr/bin/env bash
# Load test: pacforum under gunicorn on PostgreSQL with the demo and seed_bulk
# data, driven by Locust for DURATION with a reader-shaped mix (bench/pages.json).
#
#   make install && .venv/bin/pip install -c constraints.txt -e '.[bench]'      # once: Locust
#   bench/run.sh                                            # defaults below
#   DURATION=5m USERS=80 COMMENTARIES=100000 bench/run.sh
#
# Prints a Markdown table for docs/benchmarks.md and fails if any request
# failed or the subscription rows differ from the successful submissions.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVER_URL="${SERVER_URL:-postgres://postgres@127.0.0.1:5432}"
BENCH_DB="${BENCH_DB:-pacforum_bench}"
COMMENTARIES="${COMMENTARIES:-100000}"
DURATION="${DURATION:-3m}"
USERS="${USERS:-50}"
SPAWN_RATE="${SPAWN_RATE:-10}"
WORKERS="${WORKERS:-5}"
PORT="${PORT:-8765}"
RESEED="${RESEED:-0}"
REDIS_URL="${REDIS_URL:-}"
python=.venv/bin/python
out=bench/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"

command -v .venv/bin/locust >/dev/null || { echo "Locust missing: .venv/bin/pip install -c constraints.txt -e '.[bench]'"; exit 1; }

export DATABASE_URL="$SERVER_URL/$BENCH_DB"
export PGOPTIONS="-c client_min_messages=warning"
if ! psql "$SERVER_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$BENCH_DB'" | grep -q 1 || [ "$RESEED" = 1 ]; then
  echo "== building $BENCH_DB (demo + seed_bulk $COMMENTARIES)"
  psql "$SERVER_URL/postgres" -qc "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
  DEBUG=true $python manage.py migrate --noinput >/dev/null
  DEBUG=true $python manage.py load_demo
  DEBUG=true $python manage.py seed_bulk --commentaries "$COMMENTARIES"
  psql "$DATABASE_URL" -qc "VACUUM ANALYZE"
fi

echo "== page plan"
DEBUG=true $python bench/sample_urls.py "$out/plan.json"

echo "== gunicorn ($WORKERS workers) on 127.0.0.1:$PORT"
export DEBUG=false SECRET_KEY="$($python -c 'import secrets; print(secrets.token_urlsafe(60))')"
export ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false \
  CSRF_COOKIE_SECURE=false SECURE_HSTS_SECONDS=0 CONN_MAX_AGE=60 \
  EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend \
  SUBSCRIPTIONS_RATE_LIMIT_IP=1000000 \
  STATIC_ROOT="$out/static" REDIS_URL
$python manage.py collectstatic --noinput >/dev/null
.venv/bin/gunicorn pacforum.wsgi --workers "$WORKERS" --bind "127.0.0.1:$PORT" \
  >"$out/gunicorn.log" 2>&1 &
gunicorn_pid=$!
trap 'kill "$gunicorn_pid" 2>/dev/null || true; wait "$gunicorn_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null

before=$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM subscriptions_subscriptionrequest")
run_id=$($python -c 'import uuid; print(uuid.uuid4().hex[:8])')

echo "== locust: $USERS users for $DURATION (run $run_id)"
BENCH_PLAN="$out/plan.json" BENCH_RUN_ID="$run_id" BENCH_RESULTS="$out/submissions.json" \
  .venv/bin/locust -f bench/locustfile.py --headless --host "http://127.0.0.1:$PORT" \
  --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "$DURATION" --stop-timeout 30 \
  --csv "$out/locust" --only-summary --loglevel WARNING >"$out/locust.log" 2>&1 || true
grep '^bench:' "$out/locust.log" || true

pieces=$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM commentaries_commentary")
rows=$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM subscriptions_subscriptionrequest WHERE email LIKE 'load-$run_id-%'")
after=$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM subscriptions_subscriptionrequest")
$python bench/report.py "$out" "$rows" "$before" "$after" "$DURATION" "$USERS" "$WORKERS" "$pieces"
