#!/usr/bin/env bash
# Same-run A/B of durable ingest between two hookd binaries: alternates
# A, B, A, B, ... (so drift on this shared machine hits both alike), each run
# a fresh database, the same wrk load (64 connections, distinct ~1.5 KB
# generic events, sync = "group"), and prints each run, the medians and B/A.
# Also the CPU per event (utime+stime of the hookd process / events).
# The subscription is paused before the load: each event's delivery is
# written with it (the fan-out's storage cost counts), but no attempt runs
# beside the ingest (delivery is delivery_bench's; attempts to a dead sink
# would add a retry write per event and measure the sink, not ingest).
# EXTRA_A / EXTRA_B: more [server] lines for A's and B's runs (e.g.
# EXTRA_A='threads = 1' EXTRA_B='threads = 2' with the same binary twice).
# STORAGE_A / STORAGE_B: the same for [storage], e.g. the event-type catalog
# off vs on (issue 12):
#   STORAGE_A='event_types = false' STORAGE_B='event_types = true' \
#     bench/ab_ingest.sh build/hookd build/hookd
# TYPES=N: the events cycle through N event types (bench.t0 .. bench.tN-1)
# instead of the one "bench.event"; the subscription matches them all.
# Usage: bench/ab_ingest.sh BINARY_A BINARY_B [seconds-per-run] [rounds] [conns]
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1 b=$2 secs=${3:-8} rounds=${4:-3} conns=${5:-64}
scripts/deps.sh wrk >/dev/null
work=$(mktemp -d /tmp/hookd-ab-XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && { kill -9 "$pid"; wait "$pid"; } 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
PORT=18491
ADMIN_PORT=18492

run_one() {  # $1 = binary, $2 = run id, $3 = extra [server] lines, $4 = extra [storage] lines
             # prints "rps cpu_us_per_event p50_us"
  local extra_server=${3:-} extra_storage=${4:-} pattern='"bench.event"'
  [ "${TYPES:-0}" -gt 0 ] && pattern='"bench.*"'
  rm -rf "$work/db"
  cat > "$work/hookd.toml" <<TOML
[server]
listen = ["127.0.0.1:$PORT"]
$extra_server
[admin]
listen = "127.0.0.1:$ADMIN_PORT"
token = "bench-admin-token"
[storage]
path = "$work/db"
sync = "group"
$extra_storage
[[source]]
name = "bench"
format = "generic"
id_pointer = "/id"
[[subscription]]
name = "sink"
url = "http://127.0.0.1:9/sink"
events = [$pattern]
TOML
  "$1" --config "$work/hookd.toml" --log-level warn 2>"$work/hookd.log" &
  pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -sf -X POST -H "Authorization: Bearer bench-admin-token" \
    "http://127.0.0.1:$ADMIN_PORT/v1/subscriptions/sink/pause" >/dev/null
  local t0 t1 threads=2
  [ "$conns" -eq 1 ] && threads=1
  t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  local r
  r=$(wrk -t"$threads" -c"$conns" -d"${secs}s" -s bench/ingest.lua \
        "http://127.0.0.1:$PORT/event/bench" -- "$2" 0 "${TYPES:-0}" | grep '^RESULT')
  t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  local n rps p50 hz
  n=$(sed 's/.*n=\([0-9]*\).*/\1/' <<<"$r")
  rps=$(sed 's/.*rps=\([0-9]*\).*/\1/' <<<"$r")
  p50=$(sed 's/.*p50_us=\([0-9]*\).*/\1/' <<<"$r")
  hz=$(getconf CLK_TCK)
  awk -v rps="$rps" -v n="$n" -v t="$((t1 - t0))" -v hz="$hz" -v p50="$p50" \
    'BEGIN{printf "%d %.1f %d\n", rps, t*1e6/hz/n, p50}'
}

declare -a ra rb
for i in $(seq "$rounds"); do
  ra+=("$(run_one "$a" "a$i" "${EXTRA_A:-}" "${STORAGE_A:-}")")
  rb+=("$(run_one "$b" "b$i" "${EXTRA_B:-}" "${STORAGE_B:-}")")
  echo "round $i: A ${ra[-1]}   B ${rb[-1]}   (events/s cpu_us/event p50_us)"
done
median() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
ma=$(printf '%s\n' "${ra[@]}" | awk '{print $1}' | median)
mb=$(printf '%s\n' "${rb[@]}" | awk '{print $1}' | median)
ca=$(printf '%s\n' "${ra[@]}" | awk '{print $2}' | median)
cb=$(printf '%s\n' "${rb[@]}" | awk '{print $2}' | median)
echo
echo "A: $a ${EXTRA_A:-} ${STORAGE_A:-}"
echo "B: $b ${EXTRA_B:-} ${STORAGE_B:-}"
[ -n "${TYPES:-}" ] && echo "event types: $TYPES"
printf 'median events/s  A %s  B %s  B/A %.2f\n' "$ma" "$mb" "$(awk -v a="$ma" -v b="$mb" 'BEGIN{print b/a}')"
printf 'median cpu us/event  A %s  B %s\n' "$ca" "$cb"
