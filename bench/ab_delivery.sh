#!/usr/bin/env bash
# Same-run A/B of delivery throughput between two hookd binaries (or two
# settings of one): alternates A, B, A, B, ... against one nginx (HTTPS
# keep-alive, 204, 1 worker), as delivery_bench.sh does it: each run a fresh
# database, a paused subscription's backlog of BACKLOG events (default
# 20,000) ingested, then resumed and drained. Prints each run's
# deliveries/s (from nginx's log), hookd's CPU per delivery (utime+stime
# while draining), the medians and B/A; every run is checked exactly once.
# EXTRA_A / EXTRA_B: more [server] lines for A's and B's runs.
# Usage: bench/ab_delivery.sh BINARY_A BINARY_B [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/tls_sink.sh
a=$1 b=$2 rounds=${3:-5}
backlog=${BACKLOG:-20000}
scripts/deps.sh nginx-light wrk >/dev/null
work=$(mktemp -d /tmp/hookd-abd-XXXXXX)
nginx_pid="" pid=""
cleanup() {
  [ -n "$pid" ] && { kill -9 "$pid"; wait "$pid"; } 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
SINK=18590 PORT=18591 ADMIN=18593

write_tls_sink "$work" "$SINK"
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
sleep 0.5
hz=$(getconf CLK_TCK)
lines() { [ -f "$work/deliveries.log" ] && wc -l < "$work/deliveries.log" || echo 0; }

run_one() {  # $1 = binary, $2 = run id, $3 = extra [server] lines; prints "rate cpu_us ok"
  rm -rf "$work/db"
  cat > "$work/hookd.toml" <<TOML
[server]
listen = ["127.0.0.1:$PORT"]
${3:-}
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
retry = { attempts = 100, base = "500ms", cap = "2s" }
tls = { ca = "$work/ca.pem" }
TOML
  "$1" --config "$work/hookd.toml" --log-level warn 2>"$work/hookd.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  local auth="Authorization: Bearer bench-admin-token"
  curl -sf -X POST -H "$auth" "http://127.0.0.1:$ADMIN/v1/subscriptions/sink/pause" >/dev/null
  routed() {
    curl -sf -H "$auth" "http://127.0.0.1:$ADMIN/metrics" |
      awk '/^hookd_events_received_total\{source="bench",result="routed"\}/ {print $2}'
  }
  wrk -t2 -c64 -d120s -s bench/ingest.lua "http://127.0.0.1:$PORT/event/bench" -- \
    "$2" $((backlog / 2)) >/dev/null &
  local wrk_pid=$!
  for _ in $(seq 1200); do [ "$(routed || echo 0)" -ge "$backlog" ] 2>/dev/null && break; sleep 0.1; done
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" || true
  local total t0 t1
  total=$(routed)
  : > "$work/deliveries.log"
  t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  curl -sf -X POST -H "$auth" "http://127.0.0.1:$ADMIN/v1/subscriptions/sink/resume" >/dev/null
  for _ in $(seq 1200); do [ "$(lines)" -ge "$total" ] && break; sleep 0.05; done
  t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  awk -v total="$total" -v t="$((t1 - t0))" -v hz="$hz" '
    { if (NR==1) f=$1; l=$1; d[$2]=1 }
    END { ok = (NR == total && length(d) == total) ? "yes" : "NO";
          printf "%.0f %.1f %s\n", NR/(l-f), t*1e6/hz/NR, ok }' "$work/deliveries.log"
}

declare -a ra rb
for i in $(seq "$rounds"); do
  ra+=("$(run_one "$a" "a$i$RANDOM" "${EXTRA_A:-}")")
  rb+=("$(run_one "$b" "b$i$RANDOM" "${EXTRA_B:-}")")
  echo "round $i: A ${ra[-1]}   B ${rb[-1]}   (deliveries/s cpu_us/delivery exactly-once)"
done
median() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
ma=$(printf '%s\n' "${ra[@]}" | awk '{print $1}' | median)
mb=$(printf '%s\n' "${rb[@]}" | awk '{print $1}' | median)
ca=$(printf '%s\n' "${ra[@]}" | awk '{print $2}' | median)
cb=$(printf '%s\n' "${rb[@]}" | awk '{print $2}' | median)
echo
echo "A: $a ${EXTRA_A:-}"
echo "B: $b ${EXTRA_B:-}"
printf 'median deliveries/s  A %s  B %s  B/A %.2f\n' "$ma" "$mb" "$(awk -v a="$ma" -v b="$mb" 'BEGIN{print b/a}')"
printf 'median cpu us/delivery  A %s  B %s\n' "$ca" "$cb"
