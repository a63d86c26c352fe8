#!/usr/bin/env bash
# Stops what pg_start.sh, mariadb_start.sh and rabbitmq_start.sh started, by their recorded
# PIDs only.
. "$(dirname "$0")/common.sh"
D=$(dirname "$0")
[ -f "$PG_DIR/postgres.pid" ] && "$D/stop_pid.sh" "$(cat "$PG_DIR/postgres.pid")" INT # fast
[ -f "$MY_DIR/mariadbd.pid" ] && "$D/stop_pid.sh" "$(cat "$MY_DIR/mariadbd.pid")" TERM
bash "$D/rabbitmq_stop.sh"
true
