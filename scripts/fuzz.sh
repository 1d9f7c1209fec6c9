#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-14 (ASan + UBSan)
# into build-fuzz/ and runs each for SECONDS (default 60), one after another.
# New coverage goes to build-fuzz/corpus/NAME/ (not committed); the seeds in
# tests/fuzz/corpus/NAME/ are read, and a crashing input is saved there as
# crash-*, timeout-* or oom-*, where scripts/test.sh replays it from then on.
# Exits non-zero when any target failed. Prints executions per target.
# Usage: scripts/fuzz.sh [SECONDS] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
all=(minio opteryx cloudevents_structured cloudevents_binary generic config dates admin_query ingest)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

scripts/deps.sh clang-14 libfuzzer-14-dev libclang-rt-14-dev
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DHOOKD_FUZZ=ON \
  -DHOOKD_BUILD_TESTS=OFF -DHOOKD_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j2 --target "${targets[@]/#/fuzz_}"

# Longest input worth trying: bodies a few KiB, a config file, one header.
max_len() {
  case "$1" in
    minio|opteryx|cloudevents_structured|cloudevents_binary|generic) echo 8192 ;;
    config) echo 16384 ;;
    dates) echo 64 ;;
    admin_query) echo 512 ;;
    ingest) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

failed=()
summary=()
for t in "${targets[@]}"; do
  seeds="tests/fuzz/corpus/$t"
  work="build-fuzz/corpus/$t"
  log="build-fuzz/fuzz-$t.log"
  mkdir -p "$work" "$seeds"
  echo "fuzz: $t for ${secs}s (log $log)" >&2
  status=0
  build-fuzz/tests/fuzz/fuzz_"$t" "$work" "$seeds" -max_total_time="$secs" \
    -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$seeds/" </dev/null >"$log" 2>&1 || status=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    grep -m1 -E 'ERROR|invariant failed|Test unit written' "$log" >&2 || true
  fi
  summary+=("$(printf '%-24s %12s execs %8s/s  %s' "$t" "${execs:-?}" "${rate:-?}" \
    "$([ "$status" -eq 0 ] && echo ok || echo "FAILED (exit $status)")")")
done
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}; inputs saved under tests/fuzz/corpus/" >&2
  exit 1
fi
