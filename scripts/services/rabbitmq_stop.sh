#!/usr/bin/env bash
# Stops the RabbitMQ node that rabbitmq_start.sh started, by its recorded PIDs only: TERM (a
# graceful shutdown), then KILL if it is still alive after 60 s.
set -uo pipefail
STATE=${SERVICES_DIR:-$PWD/.services}/rabbitmq

stop_pid() {
    local pid=$1
    kill -0 "$pid" 2> /dev/null || return 0
    kill -TERM "$pid"
    for _ in $(seq 1 120); do
        kill -0 "$pid" 2> /dev/null || return 0
        sleep 0.5
    done
    echo "PID $pid still alive after 60 s, sending KILL"
    kill -KILL "$pid"
}

for file in rabbitmq.pid rabbitmq-epmd.pid; do
    if [ -s "$STATE/$file" ]; then
        stop_pid "$(cat "$STATE/$file")"
        rm -f "$STATE/$file"
    fi
done
