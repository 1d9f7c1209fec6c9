#!/usr/bin/env bash
# Checks the include layering the CMake libraries stand for (README, Layout):
# core/ includes no Asio, Beast or RocksDB; only storage/ includes RocksDB;
# hookctl includes nothing of storage/ or the daemon's ingest, delivery and
# admin; storage/ includes nothing of daemon/; of storage/, the daemon's
# services include only the seam (event_store.hpp). Exit 1 with the offending
# lines.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
check() {  # $1 = description, $2 = grep pattern, rest = paths
  local what=$1 pattern=$2
  shift 2
  local hits
  hits=$(grep -rnE "$pattern" "$@" 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "layering: $what"
    echo "$hits"
    fail=1
  fi
}
check "core/ must not include Asio, Beast or RocksDB" \
  '#include <(boost/asio|boost/beast|rocksdb/)' core
check "only storage/ includes RocksDB" '#include <rocksdb/' daemon
check "core/ must not include storage/ or daemon/" '#include "(storage|daemon)/' core
check "storage/ must not include daemon/" '#include "daemon/' storage
# The daemon depends on the storage seam; only app.cpp names the RocksDB Store.
check "daemon/ uses storage/event_store.hpp; only app.cpp includes store.hpp" \
  '#include "storage/(store|database|group_writer|codec|keys|delivery_index|expiry)\.hpp"' \
  daemon/ingest daemon/delivery daemon/admin daemon/store_async.hpp daemon/main.cpp
check "hookctl links core and net only" \
  '#include "(storage/|daemon/(ingest|delivery|admin)/|daemon/app)' daemon/hookctl
check "daemon/http/ (net) must not include storage/ or the daemon's services" \
  '#include "(storage/|daemon/(ingest|delivery|admin)/|daemon/app)' daemon/http
exit $fail
