#!/usr/bin/env bash
# Builds hookd with its tests and runs the whole suite (unit, then end-to-end),
# then the Debian package's test: scripts/test-package.sh packages build/,
# runs lintian on it and installs, removes and purges it (in a clean root;
# on this machine too when run as root on a machine without hookd).
# The suite also needs promtool (Debian's prometheus package), to check the
# /metrics output, and systemd-analyze (systemd), to check the unit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh prometheus
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 600 "$@"
scripts/test-package.sh build
