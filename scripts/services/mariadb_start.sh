#!/usr/bin/env bash
# Starts a throwaway MariaDB on 127.0.0.1:$MY_PORT (default 3306) as a background process,
# installing it with apt when missing. User baton, password baton, allowed to create
# databases; data under $MY_DIR; the server's PID is recorded in $MY_DIR/mariadbd.pid for
# services_stop.sh.
set -euo pipefail
. "$(dirname "$0")/common.sh"
command -v mariadbd >/dev/null || apt_install mariadb-server mariadb-client
install -d -m 755 "$SERVICES_DIR"
rm -rf "$MY_DIR"
install -d -o mysql -g mysql "$MY_DIR" "$MY_DIR/data" "$MY_DIR/run"
mariadb-install-db --no-defaults --user=mysql --datadir="$MY_DIR/data" \
  --auth-root-authentication-method=normal --skip-test-db >"$MY_DIR/install.log" 2>&1
nohup mariadbd --no-defaults --user=mysql --datadir="$MY_DIR/data" \
  --socket="$MY_DIR/run/mysqld.sock" --pid-file="$MY_DIR/run/mysqld.pid" \
  --bind-address=127.0.0.1 --port="$MY_PORT" --skip-name-resolve \
  --max-connections="${MY_MAX_CONNECTIONS:-400}" \
  --log-error="$MY_DIR/error.log" >"$MY_DIR/stdout.log" 2>&1 &
echo $! >"$MY_DIR/mariadbd.pid"
ready=
for _ in $(seq 1 120); do
  if mariadb-admin --no-defaults --socket="$MY_DIR/run/mysqld.sock" -uroot ping >/dev/null 2>&1
  then ready=1; break; fi
  kill -0 "$(cat "$MY_DIR/mariadbd.pid")" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$ready" ]; then
  # Say why here: the run's logs are all a CI failure leaves behind.
  echo "MariaDB did not start; the end of its logs, and the space left:" >&2
  tail -n 40 "$MY_DIR/error.log" "$MY_DIR/stdout.log" >&2 || true
  df -h "$MY_DIR" >&2 || true
  exit 1
fi
mariadb --no-defaults --socket="$MY_DIR/run/mysqld.sock" -uroot -N -e \
  "CREATE USER IF NOT EXISTS 'baton'@'127.0.0.1' IDENTIFIED BY 'baton';
   GRANT ALL ON *.* TO 'baton'@'127.0.0.1';
   CREATE DATABASE IF NOT EXISTS baton;
   SELECT VERSION();"
