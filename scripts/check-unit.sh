#!/usr/bin/env bash
# Checks the configured systemd unit: `systemd-analyze verify` passes and
# `systemd-analyze security --offline=true` rates its exposure 2.0 or lower.
# Needs no running systemd.
#
# Usage: scripts/check-unit.sh [UNIT] [HOOKD_BINARY]
#   UNIT          the configured unit (default: build/systemd/hookd.service)
#   HOOKD_BINARY  an existing hookd for ExecStart while verifying, since
#                 verify requires the executable to exist and the unit names
#                 the install path (default: build/hookd)
# Exit codes: 0 pass, 1 fail, 77 systemd-analyze not installed (skipped).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
unit="${1:-$root/build/systemd/hookd.service}"
binary="${2:-$root/build/hookd}"
max_exposure="2.0"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "check-unit: systemd-analyze not found (Debian: apt-get install systemd); skipped" >&2
  exit 77
fi
[ -f "$unit" ] || { echo "check-unit: no unit at $unit (configure with cmake first)" >&2; exit 1; }
[ -x "$binary" ] || { echo "check-unit: no executable hookd at $binary" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The same unit, with ExecStart's binary replaced and everything else kept.
sed -E "s|^ExecStart=[^ ]+|ExecStart=$binary|" "$unit" > "$work/hookd.service"

status=0
if ! out="$(systemd-analyze verify --man=no "$work/hookd.service" 2>&1)" || [ -n "$out" ]; then
  echo "check-unit: systemd-analyze verify failed:" >&2
  echo "$out" >&2
  status=1
else
  echo "check-unit: verify ok"
fi

report="$(systemd-analyze security --offline=true "$work/hookd.service" 2>&1)" || true
exposure="$(sed -nE 's/.*Overall exposure level for hookd\.service: ([0-9.]+).*/\1/p' <<<"$report")"
if [ -z "$exposure" ]; then
  echo "check-unit: no exposure level in systemd-analyze security output:" >&2
  echo "$report" >&2
  exit 1
fi
if awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }'; then
  echo "check-unit: security exposure $exposure (at most $max_exposure) ok"
else
  echo "check-unit: security exposure $exposure is above $max_exposure; failing settings:" >&2
  grep '✗' <<<"$report" >&2 || true
  status=1
fi
exit "$status"
