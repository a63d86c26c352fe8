#!/usr/bin/env bash
# Takes the RabbitMQ node that rabbitmq_start.sh started away and brings it back: stops the
# RabbitMQ application (every client connection drops), then starts it again on the same data,
# so durable queues and persistent messages survive. The node's Erlang VM keeps running.
set -euo pipefail
STATE=${SERVICES_DIR:-$PWD/.services}/rabbitmq
SBIN=/usr/lib/rabbitmq/bin
[ -f "$STATE/env" ] || { echo "no RabbitMQ node started by rabbitmq_start.sh under $STATE" >&2; exit 1; }
. "$STATE/env"
"$SBIN/rabbitmqctl" stop_app > /dev/null
"$SBIN/rabbitmqctl" start_app > /dev/null
"$SBIN/rabbitmqctl" await_startup > /dev/null
