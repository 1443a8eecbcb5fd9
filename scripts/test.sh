#!/usr/bin/env bash
# The whole test suite: installs test dependencies if missing, then runs every
# test on SQLite and on the PostgreSQL server at 127.0.0.1:5432
# (override with HEARTLOCK_TEST_PG_URL; each test creates and drops its own database).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
# API fuzzing against a live server (OpenAPI schema conformance, no 5xx).
bash scripts/schemathesis.sh
# The web UI in headless Chromium, on SQLite and with onboarding switching to PostgreSQL.
bash scripts/e2e.sh
cargo test --workspace --all-targets "$@"
