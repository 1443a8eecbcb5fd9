#!/usr/bin/env bash
# API fuzzing: runs schemathesis (PyPI) against /api/v1/openapi.json of a live
# Heartlock server with an authenticated header. Fails on any 5xx, any
# response that does not match the documented schema, and the other
# schemathesis checks. Idempotent; leaves nothing running.
#
#   bash scripts/schemathesis.sh            # default: 50 examples per operation
#   SCHEMATHESIS_MAX_EXAMPLES=100 bash scripts/schemathesis.sh
#   bash scripts/schemathesis.sh --include-path-regex '/secrets'   # extra args go to `schemathesis run`
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# --- schemathesis ----------------------------------------------------------
if ! schemathesis --version >/dev/null 2>&1; then
  python3 -m pip install -q 'schemathesis>=4,<5'
fi
if command -v schemathesis >/dev/null 2>&1; then
  st=(schemathesis)
else
  # pip may have put the entry point outside PATH (e.g. ~/.local/bin).
  st=(python3 -m schemathesis.cli)
fi

# --- server ------------------------------------------------------------------
cargo build -q -p heartlock
bin="$root/target/debug/heartlock"
[ -n "${CARGO_TARGET_DIR:-}" ] && bin="$CARGO_TARGET_DIR/debug/heartlock"

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
key=$("$bin" gen-key)

# A clean environment for the server: nothing inherited from the caller's
# HEARTLOCK_*/DATABASE_URL, a fresh SQLite database in the temp dir.
(
  cd "$work"
  exec env -u DATABASE_URL -u HEARTLOCK_DATA_DIR -u HEARTLOCK_BASE_URL -u ALLOWED_HOSTS \
    DEBUG=true HEARTLOCK_BIND="127.0.0.1:$port" HEARTLOCK_ENCRYPTION_KEY="$key" \
    ENABLE_REGISTRATION=true RUST_LOG="${RUST_LOG:-warn}" \
    "$bin" serve
) >"$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "$base/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "heartlock serve exited early:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
curl -fsS "$base/readyz" >/dev/null || { echo "the server did not become ready" >&2; cat "$work/server.log" >&2; exit 1; }

# --- data: a user, a project and a few secrets ----------------------------------
api() { # METHOD PATH [JSON]
  local args=(-fsS -X "$1" -H 'Content-Type: application/json' "$base/api/v1$2")
  [ -n "${TOKEN:-}" ] && args+=(-H "Authorization: Bearer $TOKEN")
  [ $# -ge 3 ] && args+=(--data "$3")
  curl "${args[@]}"
}
TOKEN=""
TOKEN=$(api POST /auth/register '{"email":"fuzz@example.com","password":"Correct-Horse-Battery-9","display_name":"Fuzz"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
api POST /projects '{"name":"Demo","slug":"demo"}' >/dev/null
api POST /projects/demo/environments/development/secrets:batch \
  '{"set":{"DATABASE_URL":"postgres://demo","API_KEY":"k-123","EMPTY":""},"comment":"seed"}' >/dev/null
api PUT /projects/demo/environments/production/secrets/API_KEY '{"value":"k-prod"}' >/dev/null
api POST /projects/demo/environments/development/secrets:batch '{"delete":["EMPTY"]}' >/dev/null

# --- fuzz ----------------------------------------------------------------------------
# Configuration (written to the temp dir, so the run leaves no files in the repo):
# - path parameters draw half of their values from the seeded data above, so
#   the run reaches real projects, environments and secrets, not only 404s
#   (the two DELETEs of whole projects/environments get names that do not
#   exist instead, so they cannot wipe the seed data halfway through);
# - positive_data_acceptance also accepts 422 on the operations whose
#   validation goes beyond what a JSON schema can say: password strength
#   (register, admin user creation), a slug derived from the project name,
#   a batch that must be non-empty with disjoint set/delete keys, an import
#   document that must parse, a member email that must belong to an account,
#   member environments that must exist (and are refused for owners and
#   admins, on adding and on changing a member; the same for IdP group
#   grants), token environments that
#   must exist and CIDRs that must parse; invitations (the same environment
#   rules as members), push subscriptions (an https endpoint on a public
#   host name, a P-256 point and a 16-byte secret), watches (at least one
#   of email and push) and share links (a sealed blob and a 32-byte access
#   value in base64url; creation is capped per person and reveals and
#   lookups of unknown links are throttled per address, so 429 too);
# - sign-in, registration and password change (the run's wrong passwords all
#   come from one address) answer 429 once that address is throttled.
cat >"$work/schemathesis.toml" <<'TOML'
[cache]
enabled = false

[dictionaries.projects]
values = ["demo"]
[dictionaries.envs]
values = ["development", "production"]
[dictionaries.keys]
values = ["API_KEY", "DATABASE_URL"]
[dictionaries.missing]
values = ["no-such-thing"]

[parameters]
"path.project" = { dictionary = "projects", probability = 0.7 }
"path.env" = { dictionary = "envs", probability = 0.7 }
"path.key" = { dictionary = "keys", probability = 0.7 }

[[operations]]
include-method = "DELETE"
include-path = ["/projects/{project}", "/projects/{project}/environments/{env}"]
parameters = { "path.project" = { dictionary = "missing", probability = 0.5 } }

[[operations]]
include-by = "method == 'POST'"
include-path = [
  "/auth/login",
  "/auth/password",
  "/auth/register",
  "/admin/users",
  "/projects",
  "/projects/{project}/environments/{env}/secrets:batch",
  "/projects/{project}/environments/{env}/secrets:import",
  "/projects/{project}/members",
  "/projects/{project}/group-grants",
  "/projects/{project}/tokens",
  "/projects/{project}/invitations",
  "/push/subscriptions",
  "/shares",
  "/shares/{id}/reveal",
]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-by = "method == 'PATCH'"
include-path = ["/projects/{project}/members/{user_id}", "/projects/{project}/group-grants/{group}"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-by = "method == 'GET'"
include-path = ["/shares/{id}/public"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-by = "method == 'PUT'"
include-path = ["/projects/{project}/environments/{env}/watch"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
TOML

# Excluded: POST /auth/logout ends the session whose token the run uses, so
# every later request would be a 401 (sign-out is covered by the Rust tests).
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-50}
cmd=("${st[@]}" --config-file "$work/schemathesis.toml" run "$base/api/v1/openapi.json"
  -H "Authorization: Bearer $TOKEN"
  --checks all
  --max-examples "$max_examples"
  --seed "${SCHEMATHESIS_SEED:-1}"
  --exclude-path /auth/logout
  --generation-database none
  --request-timeout 30
  --no-color
  "$@")
echo "+ ${cmd[*]/$TOKEN/\$TOKEN}"
status=0
(cd "$work" && timeout --kill-after=10 "${SCHEMATHESIS_TIMEOUT:-480}" "${cmd[@]}") || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (tail) ---" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
