#!/usr/bin/env bash
# Real-browser tests of the web UI (headless Chromium driven by e2e/ with
# playwright-core and axe-core), run twice: against a fresh server on SQLite,
# and against a fresh server whose onboarding wizard switches the database to
# a fresh PostgreSQL database. Idempotent; leaves nothing running.
#
#   bash scripts/e2e.sh                 # both runs
#   bash scripts/e2e.sh sqlite          # one run only (sqlite | postgres)
#   E2E_FAST=1 bash scripts/e2e.sh      # no screenshots (every check still runs)
#
# Results: the spec report on stdout, TAP in test-artifacts/<db>/results.tap,
# the server log in test-artifacts/<db>/server.log, screenshots (light and
# dark, 1440 and 390 px) in test-artifacts/<db>/screenshots/*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=("${@:-sqlite postgres}")
read -r -a runs <<<"${runs[*]}"
pg_admin_url=${HEARTLOCK_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}

# --- installs (quick when everything is there) --------------------------------
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v node >/dev/null || need_apt+=(nodejs npm)
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v curl >/dev/null || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# npm ci when node_modules is missing or older than the lockfile.
if [ ! -f e2e/node_modules/.package-lock.json ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
if [[ " ${runs[*]} " == *" postgres "* ]] && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

cargo build -q -p heartlock
bin="$root/target/debug/heartlock"
[ -n "${CARGO_TARGET_DIR:-}" ] && bin="$CARGO_TARGET_DIR/debug/heartlock"

# --- one run -------------------------------------------------------------------
work="" server_pid="" pg_db=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
  if [ -n "$pg_db" ]; then
    psql -q "$pg_admin_url" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
    pg_db=""
  fi
  [ -n "$work" ] && rm -rf "$work"
  work=""
}
trap cleanup EXIT

run() { # sqlite | postgres
  local db=$1 art="$root/test-artifacts/$1" pg_url="" status=0
  rm -rf "$art" && mkdir -p "$art/screenshots"
  work=$(mktemp -d)
  if [ "$db" = postgres ]; then
    pg_db="hl_e2e_$(date +%s)_$RANDOM"
    psql -q "$pg_admin_url" -c "CREATE DATABASE $pg_db" >/dev/null || return 1
    pg_url="${pg_admin_url%/*}/$pg_db"
  fi
  local port base
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  base="http://127.0.0.1:$port"

  # A clean environment: nothing inherited from the caller's HEARTLOCK_*,
  # DATABASE_URL or keys; no encryption key and no admin, so the onboarding
  # wizard is open.
  (
    cd "$work"
    exec env -i PATH="$PATH" HOME="$work" LANG=C.UTF-8 \
      DEBUG=true HEARTLOCK_BIND="127.0.0.1:$port" ADMIN_CONTACT_EMAIL=ops@example.com \
      RUST_LOG="${RUST_LOG:-info}" "$bin" serve
  ) >"$art/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "heartlock serve exited early:" >&2; cat "$art/server.log" >&2; return 1
    fi
    sleep 0.2
  done
  curl -fsS "$base/readyz" >/dev/null || { echo "the server did not become ready" >&2; tail -50 "$art/server.log" >&2; return 1; }

  echo "=== e2e on $db: $base (artifacts: test-artifacts/$db) ==="
  (
    cd e2e
    E2E_BASE_URL="$base" E2E_HEARTLOCK_BIN="$bin" E2E_DB="$db" E2E_PG_URL="$pg_url" E2E_ARTIFACTS="$art" E2E_DATA_DIR="$work/heartlock_data" \
      timeout --kill-after=10 "${E2E_TIMEOUT:-400}" node --test --test-concurrency=1 \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$art/results.tap" \
      tests/
  ) || status=$?
  if [ "$status" -ne 0 ]; then
    echo "--- server log (tail, full log in test-artifacts/$db/server.log) ---" >&2
    tail -n 30 "$art/server.log" >&2
  fi
  cleanup
  return "$status"
}

failed=()
for db in "${runs[@]}"; do
  run "$db" || failed+=("$db")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "e2e FAILED on: ${failed[*]}" >&2
  exit 1
fi
echo "e2e passed on: ${runs[*]}"
