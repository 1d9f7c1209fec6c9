#!/usr/bin/env bash
# Ingest benchmark: events/s and ack latency (p50/p99) of hookd at 1 and 64
# connections, sync = "group" and "none", next to nginx answering 204 to the
# same requests, plus this disk's fsync p50, all in one run.
# Usage: bench/ingest_bench.sh [seconds-per-run]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
scripts/deps.sh nginx-light wrk
scripts/build.sh --target hookd fsync_probe >/dev/null
work=$(mktemp -d /tmp/hookd-bench-XXXXXX)
nginx_pid=""
hookd_pid=""
cleanup() {
  [ -n "$hookd_pid" ] && { kill -9 "$hookd_pid"; wait "$hookd_pid"; } 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

NGINX_PORT=18480
HOOKD_PORT=18481
cat > "$work/nginx.conf" <<NGX
worker_processes ${NGINX_WORKERS:-1};
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx-body;
  client_body_buffer_size 64k;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    keepalive_requests 1000000;
    location / { return 204; }
  }
}
NGX
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!

start_hookd() {  # $1 = sync mode
  rm -rf "$work/db"
  cat > "$work/hookd.toml" <<TOML
[server]
listen = ["127.0.0.1:$HOOKD_PORT"]
[storage]
path = "$work/db"
sync = "$1"
[[source]]
name = "bench"
format = "generic"
id_pointer = "/id"
[[subscription]]
name = "sink"
url = "http://127.0.0.1:9/sink"
events = ["bench.event"]
TOML
  build/hookd --config "$work/hookd.toml" --log-level warn 2>"$work/hookd.log" &
  hookd_pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$HOOKD_PORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "hookd did not start:"; cat "$work/hookd.log"; exit 1
}

stop_hookd() { kill -TERM "$hookd_pid"; wait "$hookd_pid" || true; hookd_pid=""; }

run_wrk() {  # $1 = url, $2 = connections, $3 = run id
  local threads=2
  [ "$2" -eq 1 ] && threads=1
  wrk -t"$threads" -c"$2" -d"${secs}s" -s bench/ingest.lua "$1" -- "$3" | grep '^RESULT'
}

fsync=$(build/bench/fsync_probe "$work" 2000)
rows=()
for conns in 1 64; do
  r=$(run_wrk "http://127.0.0.1:$NGINX_PORT/event" "$conns" "nginx$conns")
  rows+=("nginx-204 $conns $r")
done
for mode in group none; do
  start_hookd "$mode"
  for conns in 1 64; do
    r=$(run_wrk "http://127.0.0.1:$HOOKD_PORT/event/bench" "$conns" "$mode$conns")
    rows+=("hookd-$mode $conns $r")
  done
  stop_hookd
done

echo
echo "disk: $fsync   (${secs}s per run, body ~1.5 KB, nginx workers ${NGINX_WORKERS:-1})"
printf '%-12s %5s %10s %9s %9s %7s %8s\n' target conns events/s p50_us p99_us errors vs_nginx
declare -A base
for row in "${rows[@]}"; do
  set -- $row
  target=$1 conns=$2
  rps=$(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$row")
  p50=$(sed 's/.*p50_us=\([0-9]*\).*/\1/' <<<"$row")
  p99=$(sed 's/.*p99_us=\([0-9]*\).*/\1/' <<<"$row")
  errs=$(sed 's/.*errors=\([0-9]*\) non2xx=\([0-9]*\).*/\1+\2/' <<<"$row")
  [ "$target" = nginx-204 ] && base[$conns]=$rps
  ratio=$(awk -v a="$rps" -v b="${base[$conns]}" 'BEGIN{printf "%.2f", a/b}')
  printf '%-12s %5s %10s %9s %9s %7s %8s\n' "$target" "$conns" "$rps" "$p50" "$p99" "$errs" "$ratio"
done
