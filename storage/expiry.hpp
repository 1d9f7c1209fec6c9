#pragma once
// Expiry: deletes events whose ULID time is older than now - retention, with
// all their deliveries, those deliveries' attempts and by_state index keys,
// unless one of the deliveries is still pending (or does not decode).
//
// Idempotency keys are not touched: a key past its window is already
// invisible (Store::find_idempotency checks expires_at) and the idem
// compaction filter removes it from disk. Scanning the whole idem family here
// would hold the writer for seconds with millions of keys.
//
// Threads: the scan runs on the caller's thread, reading at a snapshot taken
// per chunk. Only the deletes go through the GroupWriter, as posted jobs of
// about kExpiryChunkKeys keys each (the last event of a chunk may overshoot),
// so ingest waits at most for one short chunk. Between the scan and a chunk's write, a delivery may change: the
// only way back from delivered or dead to pending is an operator retry (a
// retried delivery may even die again with new attempts), and a replay adds
// a new pending delivery to an old event. So the job, on the writer thread
// where no write can race it, re-lists every delivery of an event and deletes
// the event only if the list is exactly the one the scan saw: the same ids,
// none added, each record byte-for-byte the same; otherwise the event is left
// for a later run. An unchanged record also means unchanged index keys
// (derived from it) and attempts (each is written in the same batch as a
// change to its delivery's record, at least its attempts count; store.hpp
// asks this of callers). A replay queued after the job re-writes the event
// with its new delivery, so it cannot be left dangling either.
//
// Internal to storage/. The caller blocks until every chunk is written; calls
// must not overlap (Store::expire serializes them) and must not come from the
// writer thread (a `done` callback or job), which would deadlock.

#include "storage/database.hpp"
#include "storage/group_writer.hpp"
#include "storage/store.hpp"

#include <cstdint>

namespace hookd::storage {

// Keys (events, deliveries, attempts, index entries) per delete chunk: bounds
// how long one chunk holds the writer.
inline constexpr std::size_t kExpiryChunkKeys = 1024;

// Uses options.retention and options.after_expiry_scan_for_test.
result<ExpiryStats> expire_records(Database& db, GroupWriter& writer,
                                   std::int64_t now_ms,
                                   const StoreOptions& options);

}  // namespace hookd::storage
