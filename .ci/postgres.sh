#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1 for the receiver tests and prints its URL
# (the only line on stdout; progress goes to stderr). Installs Debian's postgresql when missing
# (root only). Idempotent: a cluster already running in the data folder is reused.
#   export LEDGER_TEST_PG_URL="$(bash .ci/postgres.sh)"
set -euo pipefail
PORT="${LEDGER_PG_PORT:-55432}"
DATA="${LEDGER_PG_DIR:-/tmp/ledger-pg-$PORT}"
DBNAME="${LEDGER_PG_DB:-ledger_test}"
log() { echo "postgres.sh: $*" >&2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing postgresql (Debian packages)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  else
    log "PostgreSQL is not installed and we are not root: apt-get install postgresql"
    exit 1
  fi
fi
BIN="$(bindir)"

# The server refuses to run as root: run it as the postgres system user then.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  as_pg() { runuser -u postgres -- "$@"; }
  PGUSER=postgres
else
  as_pg() { "$@"; }
  PGUSER="$(id -un)"
fi

if [ ! -f "$DATA/PG_VERSION" ]; then
  log "creating cluster in $DATA"
  mkdir -p "$DATA"
  [ "$(id -u)" = 0 ] && chown postgres: "$DATA"
  chmod 700 "$DATA"
  as_pg "$BIN/initdb" -D "$DATA" -U "$PGUSER" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  log "starting on 127.0.0.1:$PORT"
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PORT -k $DATA -c fsync=off -c synchronous_commit=off -c max_connections=200" \
    start >&2
fi
exists="$(as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$PGUSER" -d postgres -Atc \
  "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'")"
[ "$exists" = 1 ] || as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$PGUSER" "$DBNAME"
echo "postgresql://$PGUSER@127.0.0.1:$PORT/$DBNAME"
