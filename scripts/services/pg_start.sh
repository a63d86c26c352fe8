#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on 127.0.0.1:$PG_PORT (default 5432) as a background process,
# installing it with apt when missing. User postgres, trust authentication, data under
# $PG_DIR; the server's PID is recorded in $PG_DIR/postgres.pid for services_stop.sh.
# With PG_KEEP_DATA=1 it starts again on the data a previous start left, if any.
set -euo pipefail
. "$(dirname "$0")/common.sh"
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || ! command -v psql >/dev/null; then
  apt_install postgresql postgresql-contrib
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
install -d -m 755 "$SERVICES_DIR"
if [ "${PG_KEEP_DATA:-}" != 1 ] || [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
  rm -rf "$PG_DIR"
  install -d -o postgres -g postgres "$PG_DIR" "$PG_DIR/sock"
  runuser -u postgres -- "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 \
    --no-locale >"$PG_DIR/initdb.log"
fi
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR/sock -c fsync=${PG_FSYNC:-on} \
      -c max_connections=${PG_MAX_CONNECTIONS:-400}" start >/dev/null
head -1 "$PG_DIR/data/postmaster.pid" >"$PG_DIR/postgres.pid"
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc 'select version()'
