#!/usr/bin/env bash
# Installs the Debian 12 packages hookd needs to build and test, if missing.
# Usage: scripts/deps.sh [extra-package ...]
set -euo pipefail
pkgs=(g++ cmake make pkg-config openssl
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
      librocksdb-dev libtomlplusplus-dev libjemalloc-dev libsystemd-dev libssl-dev
      libgtest-dev libbenchmark-dev systemd "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
