#pragma once
// Reads of the by_state index (state byte + subscription '\0' delivery id ->
// empty; see keys.hpp) and its one-time rebuild for a database written before
// the index existed. The GroupWriter and expiry keep it in step with the
// deliveries; nothing here writes while the Store is open.
//
// Internal to storage/ (includes RocksDB). list_deliveries() and
// count_deliveries() are thread-safe reads, each under one snapshot, so the
// index and the records they return agree. ensure_state_index() runs in
// Store::open before the writer starts, when nothing else writes.

#include "core/event.hpp"
#include "storage/database.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd::storage {

// Store::list_deliveries(). Ids compare bytewise (so "E.10" < "E.2"), the
// order in which `after` resumes. Cost: with a subscription or a state, one
// iterator per (state, subscription) run merged by id, plus a point read per
// listed delivery; a state alone first skips through the index once per
// subscription in that state to find the runs. With neither, a scan of the
// deliveries column family from `after`.
result<std::vector<Delivery>> list_deliveries(
    Database& db, std::string_view subscription,
    std::optional<DeliveryState> state, std::string_view after,
    std::size_t limit);

// Store::count_deliveries(): a full scan of the index, O(deliveries) key
// reads without values. Meant for start-up, not for every request.
result<std::map<std::pair<std::string, DeliveryState>, std::uint64_t>>
count_deliveries(Database& db, const rocksdb::Snapshot* snapshot = nullptr);

// Builds the by_state index from the deliveries unless the default family
// holds kStateIndexMarker, then writes the marker (synced). A crash midway
// leaves no marker, so the next open rebuilds again; every key it writes is
// correct, so a partial index is only ever completed.
error_code ensure_state_index(Database& db);

}  // namespace hookd::storage
