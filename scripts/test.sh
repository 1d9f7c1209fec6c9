#!/usr/bin/env bash
# Builds hookd with its tests and runs the whole suite (unit, then end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 600 "$@"
