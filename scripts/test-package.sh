#!/usr/bin/env bash
# Tests the Debian package: builds it (scripts/package.sh BUILD_DIR), runs
# lintian (fails on an error or a warning; prints every tag), then takes it
# through install, reinstall over an edited conffile, remove and purge:
#   - in a clean root (dpkg --root, the maintainer scripts run chrootless
#     with $DPKG_ROOT set; under fakeroot when not root): always;
#   - on this machine (apt-get install ./hookd_*.deb, as the README says):
#     only as root and only when nothing of hookd is installed or left here;
#     otherwise it is skipped with the reason. It never touches an existing
#     hookd.
# After each install: the package's state, hookd and hookctl run, the unit
# names /usr/bin/hookd, /etc/hookd/hookd.toml is a conffile, the admin token
# is 64 hex digits with mode 0600, `hookd --check-config --config
# /etc/hookd/hookd.toml` exits 0 with the token's credential directory and
# 78 naming the token without it, and scripts/check-unit.sh passes on the
# installed unit (systemd-analyze verify and security). After purge no file
# of the package, no token, no stored state and no enable symlink is left.
# Every step has a time limit; a trap removes what the test installed.
# Usage: scripts/test-package.sh [BUILD_DIR]   (default build-pkg)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-pkg}"

scripts/deps.sh lintian fakeroot
deb="$(realpath "$(scripts/package.sh "$build")")"
echo "test-package: $deb"

work="$(mktemp -d)"
host_installed=0
host_paths=()           # absent before the host test: removed again by cleanup
credstore_created=0
cleanup() {
  if [ "$host_installed" -eq 1 ]; then
    timeout 300 env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q \
      -o DPkg::Lock::Timeout=120 hookd >/dev/null 2>&1 || true
    for p in "${host_paths[@]}"; do rm -rf "$p"; done
    [ "$credstore_created" -eq 0 ] || rmdir /etc/credstore 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  if [ -s "$work/pkg.log" ]; then
    echo "test-package: the last package operations:" >&2
    tail -n 30 "$work/pkg.log" >&2
  fi
  echo "test-package: FAIL: $*" >&2
  exit 1
}

echo "test-package: lintian"
timeout 300 lintian --fail-on error,warning -I -E --pedantic --show-overrides "$deb" \
  || fail "lintian reported an error or a warning"

# Every file and every directory the package ships, as absolute paths.
mapfile -t pkg_files < <(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}')
mapfile -t pkg_dirs < <(dpkg-deb -c "$deb" | awk '$1 ~ /^d/ {sub(/^\./, "", $6); sub(/\/$/, "", $6); print $6}')
# What the maintainer scripts and the service add beside them.
extra_paths=(/etc/hookd /etc/credstore/hookd-admin-token /var/lib/hookd /var/lib/private/hookd
             /etc/systemd/system/multi-user.target.wants/hookd.service)

# $1: root ("" for this machine), $2: admin dir of the dpkg database, $3: the status expected.
expect_status() {
  local status
  status="$(dpkg-query --admindir="$2" -W -f='${db:Status-Status}' hookd 2>/dev/null)" || status=""
  [ "$status" = not-installed ] && status=""
  [ "$status" = "$3" ] || fail "package status '${status:-none}', expected '${3:-none}'"
}

# $1: root ("" for this machine), $2: admin dir.
check_installed() {
  local r=$1 admindir=$2 out status
  expect_status "$r" "$admindir" installed
  timeout 10 "$r/usr/bin/hookd" --version >/dev/null || fail "hookd --version"
  timeout 10 "$r/usr/bin/hookctl" --version >/dev/null || fail "hookctl --version"
  grep -qx 'ExecStart=/usr/bin/hookd --config /etc/hookd/hookd.toml' \
    "$r/lib/systemd/system/hookd.service" || fail "the unit's ExecStart is not /usr/bin/hookd"
  dpkg-query --admindir="$admindir" -W -f='${Conffiles}\n' hookd \
    | grep -qE '^ /etc/hookd/hookd\.toml [0-9a-f]{32}$' || fail "/etc/hookd/hookd.toml is no conffile"
  local token="$r/etc/credstore/hookd-admin-token"
  [ "$(stat -c %a "$token")" = 600 ] || fail "token mode $(stat -c %a "$token"), expected 600"
  grep -qxE '[0-9a-f]{64}' "$token" || fail "the token is not 64 hex digits"
  if [ "$(id -u)" -eq 0 ]; then
    [ "$(stat -c %U "$token")" = root ] || fail "the token is not root's"
  fi
  if [ "$credstore_created" -eq 1 ] || [ -n "$r" ]; then
    [ "$(stat -c %a "$r/etc/credstore")" = 700 ] || fail "/etc/credstore is not mode 0700"
  fi
  # As the service reads it: the unit's LoadCredential= copies the token.
  out="$(CREDENTIALS_DIRECTORY="$r/etc/credstore" timeout 30 \
    "$r/usr/bin/hookd" --check-config --config "$r/etc/hookd/hookd.toml" 2>&1)" \
    || fail "hookd --check-config: $out"
  # Without the credential (systemd skips a missing one) hookd stops with 78.
  mkdir -p "$work/empty"
  status=0
  out="$(CREDENTIALS_DIRECTORY="$work/empty" timeout 30 \
    "$r/usr/bin/hookd" --check-config --config "$r/etc/hookd/hookd.toml" 2>&1)" || status=$?
  if [ "$status" -ne 78 ] || ! grep -q 'admin.token: cannot read file' <<<"$out"; then
    fail "without the token: exit $status, $out"
  fi
  timeout 120 scripts/check-unit.sh "$r/lib/systemd/system/hookd.service" "$r/usr/bin/hookd" \
    || fail "scripts/check-unit.sh on the installed unit"
  if [ -z "$r" ]; then
    status=0
    out="$(timeout 60 systemd-analyze verify --man=no /lib/systemd/system/hookd.service 2>&1)" \
      || status=$?
    if [ "$status" -ne 0 ] || [ -n "$out" ]; then
      fail "systemd-analyze verify /lib/systemd/system/hookd.service: $out"
    fi
  fi
}

# pkg install|remove|purge, with dpkg in the clean root or apt-get here.
# Their output goes to pkg.log, shown on failure.
pkg() {
  local what=$1 arg=hookd
  [ "$what" = install ] && arg="$deb"
  echo "test-package: $mode: $what" >> "$work/pkg.log"
  pkg_run "$what" "$arg" >> "$work/pkg.log" 2>&1
}
pkg_run() {
  local what=$1 arg=$2
  if [ "$mode" = root ]; then
    "${dpkg_root[@]}" --"$what" "$arg"
  elif [ "$what" = install ]; then
    "${apt[@]}" install --reinstall --no-install-recommends "$arg"
  else
    "${apt[@]}" "$what" "$arg"
  fi
}

# $1: root ("" for this machine), $2: admin dir.
lifecycle() {
  local r=$1 admindir=$2
  pkg install || fail "install"
  check_installed "$r" "$admindir"
  echo "test-package: $mode: installed: files, conffile, token, check-config and unit ok"

  # Reinstalling (an upgrade's path through postinst) keeps an edited
  # conffile and the token.
  local conf="$r/etc/hookd/hookd.toml" token
  echo "# edited by test-package" >> "$conf"
  token="$(cat "$r/etc/credstore/hookd-admin-token")"
  pkg install || fail "reinstall"
  grep -qx '# edited by test-package' "$conf" || fail "reinstall replaced the edited conffile"
  [ "$(cat "$r/etc/credstore/hookd-admin-token")" = "$token" ] || fail "reinstall changed the token"
  check_installed "$r" "$admindir"
  echo "test-package: $mode: reinstalled: the edited conffile and the token kept"

  # Remove keeps the configuration: the conffile and the token.
  pkg remove || fail "remove"
  expect_status "$r" "$admindir" config-files
  for f in "${pkg_files[@]}"; do
    [ "$f" = /etc/hookd/hookd.toml ] && continue
    [ ! -e "$r$f" ] || fail "$f left after remove"
  done
  if [ ! -f "$conf" ] || [ ! -f "$r/etc/credstore/hookd-admin-token" ]; then
    fail "remove deleted the config or the token"
  fi
  echo "test-package: $mode: removed: the conffile and the token kept"

  # State as the service (DynamicUser=, StateDirectory=) and
  # `systemctl enable hookd` leave it; purge deletes it.
  if [ -n "$r" ] || [ -d /var/lib/private ]; then
    mkdir -p "$r/var/lib/private/hookd"
    ln -s private/hookd "$r/var/lib/hookd"
  else
    mkdir -p "$r/var/lib/hookd"
  fi
  touch "$r/var/lib/hookd/CURRENT"
  mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
  ln -s /lib/systemd/system/hookd.service "$r/etc/systemd/system/multi-user.target.wants/hookd.service"

  pkg purge || fail "purge"
  expect_status "$r" "$admindir" ""
  for f in "${pkg_files[@]}" "${extra_paths[@]}"; do
    if [ -e "$r$f" ] || [ -L "$r$f" ]; then fail "$f left after purge"; fi
  done
  echo "test-package: $mode: purged: nothing left"
}

# In a clean root: an empty dpkg database, dependencies not installed there
# (the binaries run with this machine's libraries).
echo "test-package: clean root"
croot="$work/root"
mkdir -p "$croot/var/lib/dpkg/updates" "$croot/var/lib/dpkg/info"
touch "$croot/var/lib/dpkg/status"
dpkg_root=(dpkg --root="$croot" --log=/dev/null --force-script-chrootless --force-depends)
if [ "$(id -u)" -ne 0 ]; then
  touch "$work/fakeroot.state"
  dpkg_root=(fakeroot -s "$work/fakeroot.state" -i "$work/fakeroot.state"
             "${dpkg_root[@]}" --force-not-root)
fi
dpkg_root=(timeout 120 env PATH="/usr/sbin:/sbin:$PATH" "${dpkg_root[@]}")
mode=root
lifecycle "$croot" "$croot/var/lib/dpkg"
left="$(find "$croot" -mindepth 1 -not -type d -not -path "$croot/var/lib/dpkg/*")"
[ -z "$left" ] || fail "left in the clean root after purge: $left"
echo "test-package: clean root ok"

host_skip=""
host_status="$(dpkg-query -W -f='${db:Status-Status}' hookd 2>/dev/null || true)"
if [ "$(id -u)" -ne 0 ]; then
  host_skip="not root"
elif [ -n "$host_status" ] && [ "$host_status" != not-installed ]; then
  host_skip="the hookd package is here ($host_status)"
else
  for p in "${pkg_files[@]}" "${extra_paths[@]}" /usr/lib/systemd/system/hookd.service; do
    if [ -e "$p" ] || [ -L "$p" ]; then host_skip="$p exists"; break; fi
  done
fi
if [ -n "$host_skip" ]; then
  echo "test-package: install on this machine skipped: $host_skip"
  echo "test-package: ok"
  exit 0
fi

echo "test-package: install on this machine"
host_paths=("${pkg_files[@]}" "${extra_paths[@]}")
for d in "${pkg_dirs[@]}"; do
  if [ -n "$d" ] && [ ! -e "$d" ]; then host_paths+=("$d"); fi
done
[ -d /etc/credstore ] || credstore_created=1
apt=(timeout 300 env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120)
host_installed=1
mode=host
lifecycle "" /var/lib/dpkg
host_installed=0
if [ "$credstore_created" -eq 1 ] && [ -e /etc/credstore ]; then
  fail "/etc/credstore left after purge"
fi
echo "test-package: install on this machine ok"
echo "test-package: ok"
