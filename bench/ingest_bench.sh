#!/usr/bin/env bash
# Ingest benchmark: events/s, ack latency (p50/p99) and CPU per event of hookd
# at 1 and 64 connections, sync = "group" and "none", next to the ceilings
# measured in the same run: nginx answering 204 to the same requests (with
# its CPU per request) and a bare group-commit writer on the same disk
# (group_commit_probe: 1 and 64 clients, 1.5 KB records).
# The subscription is paused before the load: each event's delivery is
# written with it, but no attempt runs beside the ingest (delivery_bench
# measures delivery). HOOKD_EXTRA_SERVER: more [server] lines (threads = N).
# Usage: bench/ingest_bench.sh [seconds-per-run]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
scripts/deps.sh nginx-light wrk
scripts/build.sh --target hookd fsync_probe group_commit_probe >/dev/null
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
ADMIN_PORT=18482
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
${HOOKD_EXTRA_SERVER:-}
[admin]
listen = "127.0.0.1:$ADMIN_PORT"
token = "bench-admin-token"
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
    if curl -sf "http://127.0.0.1:$HOOKD_PORT/healthz" >/dev/null 2>&1; then
      curl -sf -X POST -H "Authorization: Bearer bench-admin-token" \
        "http://127.0.0.1:$ADMIN_PORT/v1/subscriptions/sink/pause" >/dev/null
      return 0
    fi
    sleep 0.1
  done
  echo "hookd did not start:"; cat "$work/hookd.log"; exit 1
}

stop_hookd() { kill -TERM "$hookd_pid"; wait "$hookd_pid" || true; hookd_pid=""; }

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }  # utime+stime

run_wrk() {  # $1 = url, $2 = connections, $3 = run id, $4 = server pid
  local threads=2 t0 t1 r n
  [ "$2" -eq 1 ] && threads=1
  t0=$(cpu_ticks "$4")
  r=$(wrk -t"$threads" -c"$2" -d"${secs}s" -s bench/ingest.lua "$1" -- "$3" | grep '^RESULT')
  t1=$(cpu_ticks "$4")
  n=$(sed 's/.*n=\([0-9]*\).*/\1/' <<<"$r")
  echo "$r cpu_us=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$n" \
    'BEGIN{printf "%.1f", t*1e6/hz/n}')"
}

fsync=$(build/bench/fsync_probe "$work" 2000)
rows=()
declare -A probe
for conns in 1 64; do
  r=$(build/bench/group_commit_probe "$work" "$conns" "$secs" 1536)
  probe[$conns]=$(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$r")
  rows+=("commit-probe $conns $r errors=0 non2xx=0 cpu_us=-")
done
for conns in 1 64; do
  nginx_worker=$(pgrep -P "$nginx_pid" | head -1)
  r=$(run_wrk "http://127.0.0.1:$NGINX_PORT/event" "$conns" "nginx$conns" "${nginx_worker:-$nginx_pid}")
  rows+=("nginx-204 $conns $r")
done
for mode in group none; do
  start_hookd "$mode"
  for conns in 1 64; do
    r=$(run_wrk "http://127.0.0.1:$HOOKD_PORT/event/bench" "$conns" "$mode$conns" "$hookd_pid")
    rows+=("hookd-$mode $conns $r")
  done
  stop_hookd
done

echo
echo "disk: $fsync   (${secs}s per run, body ~1.5 KB, nginx workers ${NGINX_WORKERS:-1})"
echo "ceiling = the lower of nginx-204 and the commit probe at the same concurrency"
printf '%-13s %5s %10s %9s %9s %7s %9s %10s %9s\n' target conns events/s p50_us p99_us errors cpu_us/ev vs_ceiling cpu_x_ngx
declare -A base cpu
for row in "${rows[@]}"; do
  set -- $row
  [ "$1" = nginx-204 ] || continue
  base[$2]=$(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$row")
  cpu[$2]=$(sed 's/.*cpu_us=\([0-9.]*\).*/\1/' <<<"$row")
done
for row in "${rows[@]}"; do
  set -- $row
  target=$1 conns=$2
  rps=$(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$row")
  p50=$(sed 's/.*p50_us=\([0-9]*\).*/\1/' <<<"$row")
  p99=$(sed 's/.*p99_us=\([0-9]*\).*/\1/' <<<"$row")
  errs=$(sed 's/.*errors=\([0-9]*\) non2xx=\([0-9]*\).*/\1+\2/' <<<"$row")
  c=$(sed 's/.*cpu_us=\([0-9.-]*\).*/\1/' <<<"$row")
  ceiling=$(awk -v a="${base[$conns]}" -v b="${probe[$conns]}" 'BEGIN{print (a<b)?a:b}')
  ratio=$(awk -v a="$rps" -v b="$ceiling" 'BEGIN{printf "%.2f", a/b}')
  cx=$(awk -v a="$c" -v b="${cpu[$conns]}" 'BEGIN{if (a=="-") print "-"; else printf "%.1f", a/b}')
  printf '%-13s %5s %10s %9s %9s %7s %9s %10s %9s\n' "$target" "$conns" "$rps" "$p50" "$p99" "$errs" "$c" "$ratio" "$cx"
done
