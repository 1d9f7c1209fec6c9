#!/usr/bin/env bash
# Builds hookd with its tests and runs the whole suite (unit, then end-to-end),
# then the Debian package's test: scripts/test-package.sh packages build/,
# runs lintian on it and installs, removes and purges it (in a clean root;
# on this machine too when run as root on a machine without hookd).
# The suite also needs promtool (Debian's prometheus package), to check the
# /metrics output, and systemd-analyze (systemd), to check the unit; and,
# for the console's browser test, Debian's chromium, Node (18 or later) and
# the pinned puppeteer-core of tests/browser/package-lock.json (npm ci; no
# browser is downloaded).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh prometheus chromium
command -v node >/dev/null && command -v npm >/dev/null || scripts/deps.sh nodejs npm
PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund --ignore-scripts
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 600 "$@"
scripts/test-package.sh build
