#!/usr/bin/env bash
# Builds the Debian package hookd_VERSION_ARCH.deb with CPack's DEB generator
# (packaging/deb/package.cmake) and prints its path on stdout.
# Usage: scripts/package.sh [BUILD_DIR]
#   BUILD_DIR  default build-pkg, configured here as a Release build without
#              tests or benchmarks. A tree already configured (e.g. build/,
#              RelWithDebInfo) is packaged as it is configured: the package's
#              contents and rules are the same, only the optimization differs
#              (scripts/test.sh packages build/ so that CI compiles hookd once).
# The .deb is written into BUILD_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build-pkg}"

# dpkg-shlibdeps (dpkg-dev) computes Depends; CPack finds the ELF files with file.
scripts/deps.sh dpkg-dev file >&2
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release \
    -DHOOKD_BUILD_TESTS=OFF -DHOOKD_BUILD_BENCH=OFF >&2
fi
cmake --build "$dir" -j"$(nproc)" --target hookd hookctl >&2

out="$(cd "$dir" && cpack -G DEB 2>&1)" || { echo "$out" >&2; exit 1; }
deb="$(sed -nE 's/^CPack: - package: (.*\.deb) generated\.$/\1/p' <<<"$out")"
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
  echo "$out" >&2
  echo "package: cpack named no .deb" >&2
  exit 1
fi
echo "$deb"
