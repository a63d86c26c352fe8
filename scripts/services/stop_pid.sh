#!/usr/bin/env bash
# stop_pid.sh PID [SIGNAL]: sends SIGNAL (default TERM) to one PID, waits up to 60 s for it to
# exit, then kills it.
pid=${1:-}; sig=${2:-TERM}
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then echo "pid ${pid:-?} not running"; exit 0; fi
kill -"$sig" "$pid"
for i in $(seq 1 120); do
  kill -0 "$pid" 2>/dev/null || { echo "pid $pid stopped after ~$((i / 2))s"; exit 0; }
  sleep 0.5
done
echo "pid $pid still alive, sending KILL"
kill -KILL "$pid"
