#!/usr/bin/env bash
# Installs what the test suite needs, idempotently: quick when all is there.
# Debian packages via apt, Python packages via pip, and a running PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3 python3-pip)
command -v psql >/dev/null || need_apt+=(postgresql-client)
# The email tests make a throw-away CA with the openssl command.
command -v openssl >/dev/null || need_apt+=(openssl)
# deploy/heartlock.service is checked with systemd-analyze (verify, security).
command -v systemd-analyze >/dev/null || need_apt+=(systemd)
# The container test builds and runs the image (podman with runc) on a mmdebstrap-made base.
command -v podman >/dev/null || need_apt+=(podman)
[ -x /usr/sbin/runc ] || need_apt+=(runc)
command -v mmdebstrap >/dev/null || need_apt+=(mmdebstrap)
# The reverse-proxy tests run deploy/nginx/heartlock.conf (and the Caddyfile) for real.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
# deploy/caddy/Caddyfile is checked with `caddy adapt`.
command -v caddy >/dev/null || need_apt+=(caddy)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! python3 -c 'import cryptography, aiosmtpd, http_ece, yaml, prometheus_client' 2>/dev/null || ! command -v schemathesis >/dev/null; then
  python3 -m pip install -q -r scripts/requirements-test.txt
fi

# PostgreSQL on 127.0.0.1:5432 (trust auth) is part of the machine; start it if it is down.
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }

# Node and the npm packages of e2e/: the browser tests, and the OpenID Provider
# (e2e/oidc/op.mjs) that the single sign-on tests of `cargo test` start.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -f e2e/node_modules/.package-lock.json ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
