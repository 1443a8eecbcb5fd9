#!/usr/bin/env bash
# Real-browser tests of the web UI (headless Chromium driven by e2e/ with
# playwright-core and axe-core), run twice: against a fresh server on SQLite,
# and against a fresh server whose onboarding wizard switches the database to
# a fresh PostgreSQL database. Idempotent; leaves nothing running.
#
# Each run also starts a single sign-on pair for e2e/tests/70-sso.test.mjs:
# the OpenID Provider e2e/oidc/op.mjs (npm oidc-provider) and a SECOND
# `heartlock serve` with OIDC on (the main server keeps OIDC off, because the
# other tests register users through /register, which SSO closes). That
# server has its own data dir, and on the postgres run its own fresh
# PostgreSQL database (created and dropped like the first one).
#
#   bash scripts/e2e.sh                 # both runs
#   bash scripts/e2e.sh sqlite          # one run only (sqlite | postgres)
#   E2E_FAST=1 bash scripts/e2e.sh      # no screenshots (every check still runs)
#
# Results: the spec report on stdout, TAP in test-artifacts/<db>/results.tap,
# the server logs in test-artifacts/<db>/server.log (and sso-server.log,
# op.log for the single sign-on pair), screenshots (light and
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
sso_work="" sso_pid="" op_pid="" sso_pg_db="" sso_base="" op_base=""
ts_work="" ts_pid="" sv_pid="" ts_pg_db="" ts_base="" ts_log=""
smtp_pid="" mail_dir=""
push_pid="" push_dir="" push_port=""
stop_pid() { # pid: stops that process (ours) if it is still running
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  stop_pid "$server_pid"; server_pid=""
  stop_pid "$sso_pid"; sso_pid=""
  stop_pid "$op_pid"; op_pid=""
  stop_pid "$ts_pid"; ts_pid=""
  stop_pid "$sv_pid"; sv_pid=""
  stop_pid "$smtp_pid"; smtp_pid=""
  stop_pid "$push_pid"; push_pid=""
  [ -n "$push_dir" ] && rm -rf "$push_dir"
  push_dir=""
  local db
  for db in "$pg_db" "$sso_pg_db" "$ts_pg_db"; do
    [ -n "$db" ] && psql -q "$pg_admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  pg_db="" sso_pg_db="" ts_pg_db=""
  [ -n "$work" ] && rm -rf "$work"
  [ -n "$sso_work" ] && rm -rf "$sso_work"
  [ -n "$ts_work" ] && rm -rf "$ts_work"
  [ -n "$mail_dir" ] && rm -rf "$mail_dir"
  work="" sso_work="" sso_base="" op_base="" ts_work="" ts_base="" ts_log="" mail_dir=""
  return 0
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_ready() { # url pid log name: polls url until it answers 2xx, the process dies, or 30 s
  local i
  for i in $(seq 1 150); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    if ! kill -0 "$2" 2>/dev/null; then
      echo "$4 exited early:" >&2; cat "$3" >&2; return 1
    fi
    sleep 0.2
  done
  curl -fsS "$1" >/dev/null 2>&1 || { echo "$4 did not become ready" >&2; tail -50 "$3" >&2; return 1; }
}

# The single sign-on pair: op.mjs and a second heartlock with OIDC on
# (onboarding off: nobody needs the wizard there, and the sign-in page must
# show at once). Sets sso_base and op_base.
start_sso() { # db art
  local db=$1 art=$2 sso_port op_port sso_db_url=""
  local secret=heartlock-e2e-client-secret-0123456789
  sso_work=$(mktemp -d)
  sso_port=$(free_port)
  op_port=$(free_port)
  sso_base="http://127.0.0.1:$sso_port"
  op_base="http://127.0.0.1:$op_port"
  if [ "$db" = postgres ]; then
    sso_pg_db="hl_e2e_sso_$(date +%s)_$RANDOM"
    psql -q "$pg_admin_url" -c "CREATE DATABASE $sso_pg_db" >/dev/null || return 1
    sso_db_url="${pg_admin_url%/*}/$sso_pg_db"
  fi
  (
    cd "$root/e2e"
    exec env -i PATH="$PATH" HOME="$sso_work" LANG=C.UTF-8 \
      OP_PORT="$op_port" OP_REDIRECT_URI="$sso_base/oauth/callback" OP_POST_LOGOUT="$sso_base/login" \
      OP_CLIENT_SECRET="$secret" node oidc/op.mjs
  ) >"$art/op.log" 2>&1 &
  op_pid=$!
  (
    cd "$sso_work"
    exec env -i PATH="$PATH" HOME="$sso_work" LANG=C.UTF-8 \
      DEBUG=true HEARTLOCK_BIND="127.0.0.1:$sso_port" HEARTLOCK_BASE_URL="$sso_base" \
      HEARTLOCK_DISABLE_ONBOARDING=true ADMIN_CONTACT_EMAIL=ops@example.com \
      ${sso_db_url:+DATABASE_URL="$sso_db_url"} \
      OIDC_ENABLE=true OIDC_CLIENT_ID=heartlock OIDC_CLIENT_SECRET="$secret" \
      OIDC_ISSUER="$op_base" OIDC_SCOPES="openid email profile groups" \
      RUST_LOG="${RUST_LOG:-info}" "$bin" serve
  ) >"$art/sso-server.log" 2>&1 &
  sso_pid=$!
  wait_ready "$op_base/.well-known/openid-configuration" "$op_pid" "$art/op.log" "the OpenID Provider (op.mjs)" || return 1
  wait_ready "$sso_base/readyz" "$sso_pid" "$art/sso-server.log" "the SSO heartlock serve" || return 1
}

# The Turnstile server for 80-turnstile.test.mjs: a third heartlock with
# Cloudflare's always-pass test keys and sign-in, registration and password
# change all requiring the check, verified by the local siteverify stand-in
# scripts/peers/turnstile_siteverify.py (its requests logged to ts_log).
# Sets ts_base and ts_log.
start_turnstile() { # db art
  local db=$1 art=$2 ts_port ts_db_url="" sv_port
  ts_work=$(mktemp -d)
  ts_port=$(free_port)
  ts_base="http://127.0.0.1:$ts_port"
  ts_log="$art/siteverify.jsonl"
  if [ "$db" = postgres ]; then
    ts_pg_db="hl_e2e_ts_$(date +%s)_$RANDOM"
    psql -q "$pg_admin_url" -c "CREATE DATABASE $ts_pg_db" >/dev/null || return 1
    ts_db_url="${pg_admin_url%/*}/$ts_pg_db"
  fi
  python3 "$root/scripts/peers/turnstile_siteverify.py" --port 0 --log "$ts_log" >"$ts_work/sv.out" 2>"$art/siteverify.log" &
  sv_pid=$!
  for _ in $(seq 1 50); do grep -q '^ready' "$ts_work/sv.out" 2>/dev/null && break; sleep 0.1; done
  sv_port=$(sed -n 's/^ready //p' "$ts_work/sv.out")
  [ -n "$sv_port" ] || { echo "the siteverify stand-in did not start" >&2; cat "$art/siteverify.log" >&2; return 1; }
  (
    cd "$ts_work"
    exec env -i PATH="$PATH" HOME="$ts_work" LANG=C.UTF-8 \
      DEBUG=true HEARTLOCK_BIND="127.0.0.1:$ts_port" HEARTLOCK_DISABLE_ONBOARDING=true \
      ${ts_db_url:+DATABASE_URL="$ts_db_url"} \
      TURNSTILE_ENABLED=true TURNSTILE_SITE_KEY=1x00000000000000000000AA \
      TURNSTILE_SECRET_KEY=1x0000000000000000000000000000000AA TURNSTILE_REQUIRE_ON_LOGIN=true \
      TURNSTILE_VERIFY_URL="http://127.0.0.1:$sv_port/turnstile/v0/siteverify" \
      RUST_LOG="${RUST_LOG:-info}" "$bin" serve
  ) >"$art/ts-server.log" 2>&1 &
  ts_pid=$!
  wait_ready "$ts_base/readyz" "$ts_pid" "$art/ts-server.log" "the Turnstile heartlock serve" || return 1
}

run() { # sqlite | postgres
  local db=$1 art="$root/test-artifacts/$1" pg_url="" status=0
  rm -rf "$art" && mkdir -p "$art/screenshots"
  work=$(mktemp -d)
  if [ "$db" = postgres ]; then
    pg_db="hl_e2e_$(date +%s)_$RANDOM"
    psql -q "$pg_admin_url" -c "CREATE DATABASE $pg_db" >/dev/null || return 1
    pg_url="${pg_admin_url%/*}/$pg_db"
  fi
  local port base smtp_port
  port=$(free_port)
  base="http://127.0.0.1:$port"
  # The main server's mail goes to a capture relay (plain SMTP on
  # 127.0.0.1); 75-invitations reads the messages from $mail_dir.
  mail_dir=$(mktemp -d)
  smtp_port=$(free_port)
  python3 "$root/scripts/peers/smtp_capture.py" --port "$smtp_port" --out "$mail_dir" >"$art/smtp.log" 2>&1 &
  smtp_pid=$!
  for _ in $(seq 1 50); do grep -q '^ready' "$art/smtp.log" 2>/dev/null && break; sleep 0.2; done
  grep -q '^ready' "$art/smtp.log" || { echo "the SMTP capture relay did not start:" >&2; cat "$art/smtp.log" >&2; return 1; }

  # A local push service that decrypts like a browser (77-push).
  push_dir=$(mktemp -d)
  push_port=$(free_port)
  python3 "$root/scripts/peers/push_receiver.py" --port "$push_port" --dir "$push_dir" >"$art/push.log" 2>&1 &
  push_pid=$!
  for _ in $(seq 1 50); do grep -q '^ready' "$art/push.log" 2>/dev/null && break; sleep 0.2; done
  grep -q '^ready' "$art/push.log" || { echo "the push receiver did not start:" >&2; cat "$art/push.log" >&2; return 1; }

  # A clean environment: nothing inherited from the caller's HEARTLOCK_*,
  # DATABASE_URL or keys; no encryption key and no admin, so the onboarding
  # wizard is open.
  (
    cd "$work"
    exec env -i PATH="$PATH" HOME="$work" LANG=C.UTF-8 \
      DEBUG=true HEARTLOCK_BIND="127.0.0.1:$port" ADMIN_CONTACT_EMAIL=ops@example.com \
      EMAIL_HOST=127.0.0.1 EMAIL_PORT="$smtp_port" EMAIL_USE_TLS=false \
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
  start_sso "$db" "$art" || return 1
  start_turnstile "$db" "$art" || return 1

  echo "=== e2e on $db: $base, SSO $sso_base with provider $op_base (artifacts: test-artifacts/$db) ==="
  (
    cd e2e
    E2E_BASE_URL="$base" E2E_HEARTLOCK_BIN="$bin" E2E_DB="$db" E2E_PG_URL="$pg_url" E2E_ARTIFACTS="$art" E2E_DATA_DIR="$work/heartlock_data" \
      E2E_SSO_BASE_URL="$sso_base" E2E_OP_URL="$op_base" \
      E2E_TS_BASE_URL="$ts_base" E2E_TS_LOG="$ts_log" E2E_MAIL_DIR="$mail_dir" \
      E2E_PUSH_URL="http://127.0.0.1:$push_port" E2E_PUSH_DIR="$push_dir" \
      timeout --kill-after=10 "${E2E_TIMEOUT:-600}" node --test --test-concurrency=1 \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$art/results.tap" \
      tests/
  ) || status=$?
  if [ "$status" -ne 0 ]; then
    echo "--- server log (tail, full log in test-artifacts/$db/server.log) ---" >&2
    tail -n 30 "$art/server.log" >&2
    echo "--- SSO server log (tail; op.log has the provider's) ---" >&2
    tail -n 15 "$art/sso-server.log" >&2
  fi
  cleanup
  return "$status"
}

failed=()
for db in "${runs[@]}"; do
  run "$db" || failed+=("$db")
  cleanup # also after a run that stopped early: nothing of it outlives it
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "e2e FAILED on: ${failed[*]}" >&2
  exit 1
fi
echo "e2e passed on: ${runs[*]}"
