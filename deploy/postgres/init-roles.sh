#!/usr/bin/env bash
# Creates Heartlock's database and its two roles. The postgres image runs it once, on the first
# start with an empty data directory (mounted in /docker-entrypoint-initdb.d by compose.yaml):
#   heartlock_owner  owns the database; Heartlock runs its migrations as this role
#                    (DATABASE_OWNER_URL), and the migrations grant the app role what it may do;
#   heartlock_app    LOGIN and nothing else (no superuser, CREATEDB, CREATEROLE, BYPASSRLS):
#                    the server's everyday role (DATABASE_URL).
# Passwords are read from files (compose secrets), never from the command line. Names and paths
# can be changed through the variables below (the test suite uses throw-away names).
set -euo pipefail

db="${HEARTLOCK_DB:-heartlock}"
owner="${HEARTLOCK_OWNER_ROLE:-heartlock_owner}"
app="${HEARTLOCK_APP_ROLE:-heartlock_app}"
owner_pw_file="${HEARTLOCK_OWNER_PASSWORD_FILE:-/run/secrets/heartlock_owner_db_password}"
app_pw_file="${HEARTLOCK_APP_PASSWORD_FILE:-/run/secrets/heartlock_app_db_password}"

for f in "$owner_pw_file" "$app_pw_file"; do
  if [ ! -s "$f" ]; then
    echo "init-roles: missing or empty password file $f" >&2
    exit 1
  fi
done

# psql reads each password file itself (the backquoted `cat`), so no password is ever an
# argument of a process; `\set` drops the file's trailing newline.
psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password \
  --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v db="$db" -v owner="$owner" -v app="$app" \
  -v owner_pw_file="$owner_pw_file" -v app_pw_file="$app_pw_file" <<'SQL'
\set owner_pw `cat :'owner_pw_file'`
\set app_pw `cat :'app_pw_file'`
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'owner_pw';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'app_pw';
\unset owner_pw
\unset app_pw
CREATE DATABASE :"db" OWNER :"owner";
-- Only the two roles may connect; the app role gets nothing more here.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";
\connect :"db"
-- Since PostgreSQL 15 the public schema belongs to the database owner and PUBLIC may only use
-- it; said explicitly so the app role can never create objects whatever the server's defaults.
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
echo "init-roles: database $db, roles $owner (owner) and $app (app) created"
