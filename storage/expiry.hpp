#pragma once
// Expiry: removes what hookd no longer needs to remember.
//   - idem keys whose expiry is <= now (the compaction filter drops them too,
//     but only when a compaction happens to visit them);
//   - events whose ULID time is older than now - retention, with all their
//     deliveries, unless one of those deliveries is still pending.
//
// Internal to storage/. Runs on the GroupWriter thread only (Store::expire
// posts it there): it reads, then deletes, and no other write may slip in
// between, e.g. a fresh key reusing an expired idem key. Deletes are written
// in batches of bounded size through GroupWriter::commit.

#include "core/config.hpp"
#include "storage/database.hpp"
#include "storage/group_writer.hpp"
#include "storage/store.hpp"

#include <cstdint>

namespace hookd::storage {

result<ExpiryStats> expire_records(Database& db, GroupWriter& writer,
                                   std::int64_t now_ms, Duration retention);

}  // namespace hookd::storage
