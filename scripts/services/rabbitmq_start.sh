#!/usr/bin/env bash
# Starts a throwaway RabbitMQ node on 127.0.0.1 as a background process (no systemd), for the
# tests of the AMQP transport. Installs rabbitmq-server with apt when it is missing.
#
# State lives under ${SERVICES_DIR:-.services}/rabbitmq: the node's PID is in rabbitmq.pid and
# the Erlang port mapper's in rabbitmq-epmd.pid. Stop it with rabbitmq_stop.sh, which stops
# those PIDs only. The AMQP URL to use is printed on the last line.
#
# Environment: RABBITMQ_NODE_PORT (5672), RABBITMQ_DIST_PORT (25672), SERVICES_DIR.
set -euo pipefail
SERVICES_DIR=${SERVICES_DIR:-$PWD/.services}
STATE=$SERVICES_DIR/rabbitmq
PORT=${RABBITMQ_NODE_PORT:-5672}
DIST_PORT=${RABBITMQ_DIST_PORT:-25672}
SBIN=/usr/lib/rabbitmq/bin

if [ -s "$STATE/rabbitmq.pid" ] && kill -0 "$(cat "$STATE/rabbitmq.pid")" 2> /dev/null; then
    echo "RabbitMQ already running (PID $(cat "$STATE/rabbitmq.pid"))"
    echo "amqp://guest:guest@127.0.0.1:$PORT/%2f"
    exit 0
fi

if [ ! -x "$SBIN/rabbitmq-server" ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server
fi

rm -rf "$STATE"
mkdir -p "$STATE"/{home,mnesia,log}
# The server and rabbitmqctl must agree on HOME (the Erlang cookie) and on the node name.
cat > "$STATE/env" <<ENV
export HOME=$STATE/home
export RABBITMQ_NODENAME=rabbit-$PORT@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$PORT
export RABBITMQ_DIST_PORT=$DIST_PORT
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_MNESIA_BASE=$STATE/mnesia
export RABBITMQ_LOG_BASE=$STATE/log
export RABBITMQ_PID_FILE=$STATE/rabbitmq.pid
export RABBITMQ_ENABLED_PLUGINS_FILE=$STATE/enabled_plugins
export RABBITMQ_CONFIG_FILE=$STATE/rabbitmq.conf
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
ENV
echo '[].' > "$STATE/enabled_plugins"
printf 'listeners.tcp.default = 127.0.0.1:%s\n' "$PORT" > "$STATE/rabbitmq.conf"

(
    . "$STATE/env"
    nohup "$SBIN/rabbitmq-server" > "$STATE/server.out" 2>&1 &
    timeout 120 "$SBIN/rabbitmqctl" wait --timeout 90 "$STATE/rabbitmq.pid" > /dev/null
)
pgrep -x epmd > "$STATE/rabbitmq-epmd.pid" || true
echo "RabbitMQ listening on 127.0.0.1:$PORT (PID $(cat "$STATE/rabbitmq.pid"))"
echo "amqp://guest:guest@127.0.0.1:$PORT/%2f"
