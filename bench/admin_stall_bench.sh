#!/usr/bin/env bash
# Admin-stall benchmark: does admin work over a large store delay ingest?
# Stores EVENTS events (default 150,000, ~1.5 KB each) for a paused
# subscription, then, while one client posts 200 events/s on one keep-alive
# connection (paced_post), starts a replay of the whole range (a background
# job) and keeps a filtered GET /v1/events running that matches nothing (the
# scan's worst case: every chunk read, nothing to return). Prints the
# replay's duration and the ingest ack latency p50/p99/max during it.
# The subscription stays paused: the replay's deliveries are made durable,
# not sent, so only the admin work competes with ingest.
# Usage: bench/admin_stall_bench.sh [EVENTS]   HOOKD_BIN=path for another binary
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-150000}
scripts/deps.sh wrk
scripts/build.sh --target hookd paced_post >/dev/null
work=$(mktemp -d /tmp/hookd-sbench-XXXXXX)
hookd_pid="" probe_pid=""
cleanup() {
  [ -n "$probe_pid" ] && kill "$probe_pid" 2>/dev/null || true
  [ -n "$hookd_pid" ] && { kill -9 "$hookd_pid"; wait "$hookd_pid"; } 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
HOOKD=18501 ADMIN=18502 SINK=18503
auth=(-H "Authorization: Bearer bench-admin-token")

cat > "$work/hookd.toml" <<TOML
[server]
listen = ["127.0.0.1:$HOOKD"]
[admin]
listen = "127.0.0.1:$ADMIN"
token = "bench-admin-token"
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
TOML
"${HOOKD_BIN:-build/hookd}" --config "$work/hookd.toml" --log-level warn 2>"$work/hookd.log" &
hookd_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$HOOKD/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf -X POST "${auth[@]}" "http://127.0.0.1:$ADMIN/v1/subscriptions/sink/pause" >/dev/null
since=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
fill=$(wrk -t2 -c64 -d300s -s bench/ingest.lua "http://127.0.0.1:$HOOKD/event/bench" -- fill $((events / 2)) | grep '^RESULT')
stored=$(sed 's/.*n=\([0-9]*\).*/\1/' <<<"$fill")

build/bench/paced_post "$HOOKD" /event/bench 200 25 "$SINK" > "$work/probe.txt" &
probe_pid=$!
sleep 2
t0=$(date +%s.%N)
job=$(curl -sf -X POST "${auth[@]}" -H 'Content-Type: application/json' \
  -d "{\"since\":\"$since\"}" "http://127.0.0.1:$ADMIN/v1/subscriptions/sink/replay")
id=$(sed -n 's/.*"id":"\([0-9]*\)".*/\1/p' <<<"$job")
listings=0
while :; do
  curl -sf "${auth[@]}" "http://127.0.0.1:$ADMIN/v1/events?type=no.such.type&limit=100" >/dev/null || true
  listings=$((listings + 1))
  status=$(curl -sf "${auth[@]}" "http://127.0.0.1:$ADMIN/v1/jobs/$id" || true)
  grep -q '"status":"running"' <<<"$status" || break
done
t1=$(date +%s.%N)
wait "$probe_pid"; probe_pid=""
created=$(sed -n 's/.*"created":\([0-9]*\).*/\1/p' <<<"$status")
probe=$(grep '^RESULT' "$work/probe.txt")

echo
echo "stored events: $stored; replay job $id: $created deliveries created in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s; filtered listings meanwhile: $listings"
echo "ingest at 200 events/s during it: $(sed 's/.*ack_p50_us=\([0-9]*\) ack_p99_us=\([0-9]*\) ack_max_us=\([0-9]*\).*/ack p50 \1 us, p99 \2 us, max \3 us (goal: max <= 100000 us)/' <<<"$probe")"
