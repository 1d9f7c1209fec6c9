#!/usr/bin/env bash
# Delivery benchmark: hookd delivers to nginx over HTTPS keep-alive (204).
# Reports deliveries/s of a paused subscription's backlog (BACKLOG events,
# default 40,000, ingested while it is paused) drained after resume, next to
# wrk driving the same nginx endpoint directly; the connections hookd opened
# and whether every delivery arrived exactly once (from nginx's log); and
# ingest-to-delivered latency p50/p99 at a paced 1,000 events/s.
# Usage: bench/delivery_bench.sh [seconds-per-run]   (default 10)
# HOOKD_BIN=path runs another hookd binary (for a same-day A/B);
# HOOKD_EXTRA_SERVER adds [server] lines (e.g. 'threads = 1'); PERF_OUT=file
# records a perf profile (-g) of hookd while the backlog drains. Delivery
# settings are the defaults (max_in_flight 16 per subscription, 16
# connections per origin); SUB_MAX_IN_FLIGHT=N overrides the first.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/tls_sink.sh
secs=${1:-10}
scripts/deps.sh nginx-light wrk
scripts/build.sh --target hookd paced_post >/dev/null
work=$(mktemp -d /tmp/hookd-dbench-XXXXXX)
nginx_pid="" hookd_pid=""
cleanup() {
  [ -n "$hookd_pid" ] && { kill -9 "$hookd_pid"; wait "$hookd_pid"; } 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
SINK=18490 HOOKD=18491 ADMIN=18493
backlog=${BACKLOG:-40000}

write_tls_sink "$work" "$SINK"
start_nginx() { /usr/sbin/nginx -c "$work/nginx.conf" -p "$work" & nginx_pid=$!; sleep 0.5; }
stop_nginx() { kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""; }
start_nginx

cat > "$work/hookd.toml" <<TOML
[server]
listen = ["127.0.0.1:$HOOKD"]
${HOOKD_EXTRA_SERVER:-}
[storage]
path = "$work/db"
[admin]
listen = "127.0.0.1:$ADMIN"
token = "bench-admin-token"
[[source]]
name = "bench"
format = "generic"
id_pointer = "/id"
[[subscription]]
name = "sink"
url = "https://127.0.0.1:$SINK/sink"
events = ["bench.event"]
max_in_flight = ${SUB_MAX_IN_FLIGHT:-16}
retry = { attempts = 100, base = "500ms", cap = "2s" }
tls = { ca = "$work/ca.pem" }
TOML

lines() { [ -f "$work/deliveries.log" ] && wc -l < "$work/deliveries.log" || echo 0; }
wait_lines() {  # until the log has $1 lines or 120 s pass
  for _ in $(seq 1200); do [ "$(lines)" -ge "$1" ] && return 0; sleep 0.1; done
  echo "only $(lines) of $1 deliveries arrived" >&2
}

# 1. wrk straight at nginx over HTTPS keep-alive (16 connections, as hookd's pool).
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }  # utime+stime
hz=$(getconf CLK_TCK)
ngx_ticks() {  # the master and its worker(s)
  local t=0 p
  for p in "$nginx_pid" $(pgrep -P "$nginx_pid"); do t=$((t + $(cpu_ticks "$p"))); done
  echo "$t"
}
per_item_us() { awk -v t="$1" -v hz="$hz" -v n="$2" 'BEGIN{printf "%.1f", t * 1e6 / hz / n}'; }
ngx_t0=$(ngx_ticks)
base=$(wrk -t2 -c16 -d"${secs}s" -s bench/ingest.lua "https://127.0.0.1:$SINK/direct" -- direct | grep '^RESULT')
ngx_t1=$(ngx_ticks)
base_rps=$(sed 's/.* rps=\([0-9]*\).*/\1/' <<<"$base")
base_n=$(sed 's/.* n=\([0-9]*\).*/\1/' <<<"$base")

# 2. Throughput: the subscription is paused and $backlog events are ingested
# (their deliveries wait durably); then it is resumed and the backlog drains.
admin() { curl -sf -X POST -H "Authorization: Bearer bench-admin-token" "http://127.0.0.1:$ADMIN$1" >/dev/null; }
"${HOOKD_BIN:-build/hookd}" --config "$work/hookd.toml" --log-level warn 2>"$work/hookd.log" &
hookd_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$HOOKD/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
admin /v1/subscriptions/sink/pause
routed() {
  curl -sf -H "Authorization: Bearer bench-admin-token" "http://127.0.0.1:$ADMIN/metrics" |
    awk '/^hookd_events_received_total\{source="bench",result="routed"\}/ {print $2}'
}
# wrk sleeps out its whole -d even when every thread has sent its share:
# it is stopped (SIGINT) once the daemon has stored the backlog.
wrk -t2 -c64 -d120s -s bench/ingest.lua "http://127.0.0.1:$HOOKD/event/bench" -- tput $((backlog / 2)) \
  >"$work/ingest.out" &
wrk_pid=$!
for _ in $(seq 1200); do [ "$(routed || echo 0)" -ge "$backlog" ] 2>/dev/null && break; sleep 0.1; done
kill -INT "$wrk_pid" 2>/dev/null || true
wait "$wrk_pid" || true
# wrk's count leaves out the requests in flight when its threads stopped:
# the daemon's own count of stored events is the backlog.
total=$(routed)
: > "$work/deliveries.log"  # nginx appends; the direct run's lines go
perf_pid=""
if [ -n "${PERF_OUT:-}" ]; then
  perf record -F 999 -g -p "$hookd_pid" -o "$PERF_OUT" 2>/dev/null &
  perf_pid=$!
  sleep 0.5
fi
hookd_t0=$(cpu_ticks "$hookd_pid") ngx_t2=$(ngx_ticks)
admin /v1/subscriptions/sink/resume
wait_lines "$total"
hookd_t1=$(cpu_ticks "$hookd_pid") ngx_t3=$(ngx_ticks)
[ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
read -r first last n conns ids < <(awk '{ if (NR==1) f=$1; l=$1; c[$3]=1; d[$2]=1 } END { printf "%s %s %d %d %d\n", f, l, NR, length(c), length(d) }' "$work/deliveries.log")
del_rps=$(awk -v a="$first" -v b="$last" -v n="$n" 'BEGIN{printf "%.0f", n/(b-a)}')

# 3. Latency at a paced 1,000 events/s, to the probe's own receiver (plain
# HTTP, microsecond timestamps; nginx logs only whole milliseconds).
kill -TERM "$hookd_pid"; wait "$hookd_pid" || true; hookd_pid=""
LAT_SINK=18492
sed -e "s|path = \"$work/db\"|path = \"$work/db2\"|" \
    -e "s|url = \"https://127.0.0.1:$SINK/sink\"|url = \"http://127.0.0.1:$LAT_SINK/sink\"|" \
    -e '/^tls = /d' "$work/hookd.toml" > "$work/hookd-lat.toml"
"${HOOKD_BIN:-build/hookd}" --config "$work/hookd-lat.toml" --log-level warn 2>"$work/hookd-lat.log" &
hookd_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$HOOKD/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
lat=$(build/bench/paced_post "$HOOKD" /event/bench 1000 "$secs" "$LAT_SINK" | grep '^RESULT' | sed 's/^RESULT //')

echo
echo "deliveries to nginx over HTTPS keep-alive (${secs}s runs, body ~1.5 KB, nginx workers ${NGINX_WORKERS:-1})"
printf '%-34s %s\n' "wrk -> nginx (16 conns) req/s" "$base_rps"
printf '%-34s %s\n' "backlog drained (events)" "$n of $total ingested while paused"
printf '%-34s %s\n' "distinct webhook-ids delivered" "$ids (exactly once: $([ "$ids" -eq "$total" ] && [ "$n" -eq "$total" ] && echo yes || echo NO))"
printf '%-34s %s  (%.2fx wrk)\n' "hookd deliveries/s" "$del_rps" "$(awk -v a="$del_rps" -v b="$base_rps" 'BEGIN{print a/b}')"
printf '%-34s %s  (pool size 16)\n' "connections hookd opened" "$conns"
printf '%-34s hookd %s, nginx %s (nginx under wrk: %s)\n' "CPU us per delivery (utime+stime)" \
  "$(per_item_us $((hookd_t1 - hookd_t0)) "$n")" "$(per_item_us $((ngx_t3 - ngx_t2)) "$n")" \
  "$(per_item_us $((ngx_t1 - ngx_t0)) "$base_n")"
printf '%-34s %s\n' "at 1000 events/s (1 conn)" "$lat"
