#!/usr/bin/env bash
# Builds hookd with its tests and runs the whole suite (unit, then end-to-end).
# The suite also needs promtool (Debian's prometheus package), to check the
# /metrics output, and systemd-analyze (systemd), to check the unit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh prometheus
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 600 "$@"
