#!/usr/bin/env bash
# Pending-retries benchmark: N events (default 1,000,000) whose deliveries all
# failed once and wait on the timer wheel for a retry an hour away. Reports
# hookd's RSS holding them, then kill -9, restart, and the time to load them
# back from RocksDB into the wheel (in the background), the time from launch
# to the first event answered, and the RSS after the restart.
# Usage: bench/pending_bench.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-1000000}
scripts/deps.sh nginx-light wrk
scripts/build.sh --target hookd >/dev/null
work=$(mktemp -d /tmp/hookd-pbench-XXXXXX)
nginx_pid="" hookd_pid=""
cleanup() {
  [ -n "$hookd_pid" ] && { kill -9 "$hookd_pid"; wait "$hookd_pid"; } 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
SINK=18495 HOOKD=18496

# The receiver answers 404: a failed attempt that is retried with backoff, and
# (being the subscription's fault, not the server's) no reason to probe it;
# nginx keeps the connection alive after a 404 (not after a 400).
cat > "$work/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx-body;
  server { listen 127.0.0.1:$SINK; keepalive_requests 100000000; location / { return 404; } }
}
NGX
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!

cat > "$work/hookd.toml" <<TOML
[server]
listen = ["127.0.0.1:$HOOKD"]
[storage]
path = "$work/db"
[[source]]
name = "bench"
format = "generic"
id_pointer = "/id"
[[subscription]]
name = "sink"
url = "http://127.0.0.1:$SINK/sink"
events = ["bench.event"]
max_in_flight = 256
retry = { attempts = 10, base = "1h", cap = "2h" }
TOML

start_hookd() {
  build/hookd --config "$work/hookd.toml" --log-level info 2>>"$work/hookd.log" &
  hookd_pid=$!
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$HOOKD/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "hookd did not start"; tail "$work/hookd.log"; exit 1
}
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2/1024 }' "/proc/$hookd_pid/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$hookd_pid/stat"; }
wait_idle() {  # until hookd settles below 5 % of a core for 2 s (the
  # retries, spread over the hour by full jitter, keep it from ever being idle)
  local last now
  last=$(cpu_ticks)
  for _ in $(seq 300); do
    sleep 2; now=$(cpu_ticks)
    [ $((now - last)) -le 10 ] && return 0
    last=$now
  done
}

start_hookd
sent=0
while [ "$sent" -lt "$target" ]; do
  r=$(wrk -t2 -c64 -d10s -s bench/ingest.lua "http://127.0.0.1:$HOOKD/event/bench" -- "p$sent" | grep '^RESULT')
  sent=$((sent + $(sed 's/.*n=\([0-9]*\).*/\1/' <<<"$r")))
done
wait_idle
rss_before=$(rss_mb)
kill -9 "$hookd_pid"; wait "$hookd_pid" 2>/dev/null || true
: > "$work/hookd.log"
t0=$(date +%s%N)
start_hookd
# Listeners open before the backlog is loaded: the first event is answered
# while the loader still streams pending deliveries into the wheel.
first=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary '{"id":"after-restart","type":"bench.event"}' "http://127.0.0.1:$HOOKD/event/bench")
t1=$(date +%s%N)
for _ in $(seq 1200); do grep -q 'delivery.loaded' "$work/hookd.log" && break; sleep 0.1; done
loaded=$(grep 'delivery.loaded' "$work/hookd.log" | tail -1 || true)
wait_idle
rss_after=$(rss_mb)
db_mb=$(du -sm "$work/db" | cut -f1)
echo
echo "pending retries: $sent events, each delivery failed once and waits ~1 h on the wheel"
echo "RSS holding them (after ingest):  ${rss_before} MB"
echo "restart: first event answered      ${first} after $(( (t1 - t0) / 1000000 )) ms from launch"
echo "restart: backlog loaded            ${loaded#*delivery.loaded }"
echo "RSS after reload:                  ${rss_after} MB"
echo "database on disk:                  ${db_mb} MB"
