#!/usr/bin/env bash
# Writes the secrets compose.yaml reads, into DIR (default ./secrets, which git ignores), readable
# by their owner only; refuses to overwrite any. Needs only openssl.
#   postgres_password, heartlock_owner_db_password, heartlock_app_db_password: compose secrets
#     (the postgres image and deploy/postgres/init-roles.sh read them);
#   heartlock.env: Heartlock's env_file (it reads no *_FILE settings), with the same two role
#     passwords inside DATABASE_URL / DATABASE_OWNER_URL.
# Keep a copy of HEARTLOCK_ENCRYPTION_KEY apart from the database backups: without it the data
# is lost.
set -euo pipefail
dir="${1:-secrets}"
umask 077
mkdir -p "$dir"
for f in postgres_password heartlock_owner_db_password heartlock_app_db_password heartlock.env; do
  if [ -e "$dir/$f" ]; then
    echo "gen-compose-secrets: $dir/$f exists; not overwriting anything" >&2
    exit 1
  fi
done

# Hex: safe inside a URL without escaping.
openssl rand -hex 32 >"$dir/postgres_password"
openssl rand -hex 32 >"$dir/heartlock_owner_db_password"
openssl rand -hex 32 >"$dir/heartlock_app_db_password"
owner_pw="$(cat "$dir/heartlock_owner_db_password")"
app_pw="$(cat "$dir/heartlock_app_db_password")"
cat >"$dir/heartlock.env" <<ENV
DEBUG=false
SECRET_KEY=$(openssl rand -base64 48 | tr -d '\n')
JWT_SECRET_KEY=$(openssl rand -base64 48 | tr -d '\n')
# A Fernet key (what heartlock gen-key prints): 32 random bytes, URL-safe base64.
HEARTLOCK_ENCRYPTION_KEY=$(openssl rand -base64 32 | tr '+/' '-_')
DATABASE_URL=postgres://heartlock_app:${app_pw}@postgres:5432/heartlock
DATABASE_OWNER_URL=postgres://heartlock_owner:${owner_pw}@postgres:5432/heartlock
ENV
echo "gen-compose-secrets: wrote $dir/"
