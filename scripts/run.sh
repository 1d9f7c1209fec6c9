#!/usr/bin/env bash
# Builds hookd and runs it in the foreground on config/hookd.toml: loopback
# listeners, RocksDB under ./var/hookd. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --target hookd
mkdir -p var
exec build/hookd --config config/hookd.toml "$@"
