#pragma once
// EventTypeTable: the event-type catalog (core/event_types.hpp) as the Store
// keeps it: in memory under a mutex, and on disk in the "event_types" column
// family (source '\0' type -> stats, see encode_event_type_stats()).
//
// Durability rule. The GroupWriter hands each ingest request of a group to
// stage() while it builds the group's batch (only records with
// IngestRecord::catalog set: newly accepted events, not replays). A pair new
// to the catalog is put into that same batch with count 1, so it is on disk
// exactly when the event that introduced it is: an acknowledged event's pair
// survives any crash. Counts and last-seen times are merged into memory by
// commit() once the group's write succeeded, and written by flush(): a write
// of every changed pair, which the writer makes at most once per flush
// interval while something changed, and once more when it stops. So after a
// crash the stored counts lag by at most the last interval's events; after a
// clean stop they are exact.
//
// Bound: at most max_pairs pairs. An event whose pair is new while the
// catalog is full is not catalogued; dropped() counts such events since start.
//
// Threads: stage(), commit(), take_changed(), restore() and
// expire_on_writer()'s job run on the writer thread only. The writer is the
// only thread that changes the catalog, so it reads it without the mutex,
// and what stage() decides for a group (which pairs are new, which fit)
// still holds when commit() merges that group. The mutex is held by the
// writer while it changes the catalog (a group's merge, a flush's marks, an
// expiry's erase) and by list(), size() and dropped(), which may be called
// from any thread; never across I/O.
//
// Internal to storage/ (includes RocksDB). The Database outlives the table,
// and the table outlives the GroupWriter that uses it.

#include "core/errors.hpp"
#include "core/event_types.hpp"
#include "storage/database.hpp"
#include "storage/event_store.hpp"

#include <rocksdb/write_batch.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookd::storage {

class GroupWriter;

// Keys and values of the event_types family. Pure functions.
std::string event_type_key(std::string_view source, std::string_view type);
// False for a key without the '\0' between source and type.
bool parse_event_type_key(std::string_view key, std::string_view* source, std::string_view* type);
// kCodecVersion, then count, first and last seen ms as fixed64 big-endian.
std::string encode_event_type_stats(const EventTypeStats& stats);
result<EventTypeStats> decode_event_type_stats(std::string_view bytes);

// Every pair stored in the event_types family, in key order: the disk state,
// which the in-memory catalog may be ahead of.
result<std::vector<EventTypeEntry>> read_event_types(Database& db);

class EventTypeTable {
 public:
  // One write group's catalogued events, between stage() and commit().
  struct Staged {
    EventTypeCatalog delta{SIZE_MAX};
    std::size_t new_pairs = 0;  // pairs stage() put into the batch
  };

  // Loads the stored pairs (at most max_pairs of them, in key order; more
  // stay stored but unlisted). `why` says what failed.
  static result<std::unique_ptr<EventTypeTable>> load(Database& db, std::size_t max_pairs,
                                                      std::string* why);

  // Adds `records`' catalogued events to `staged`, putting each pair that is
  // new (to the catalog and to `staged`) and fits into `batch`. On error
  // `staged` is unchanged; the caller rolls the batch back.
  error_code stage(const std::vector<IngestRecord>& records, rocksdb::WriteBatch& batch,
                   Staged& staged);
  // After the group's write: merges `staged` when `written`, then clears it.
  void commit(Staged& staged, bool written);

  // Whether a flush has something to write.
  bool changed() const noexcept { return catalog_.changed() > 0; }
  // Puts every changed pair into `batch` and returns them; if the write
  // fails, restore() marks them changed again.
  std::vector<EventTypeEntry> take_changed(rocksdb::WriteBatch& batch);
  void restore(const std::vector<EventTypeEntry>& entries);

  // Deletes the pairs last seen before `cutoff_ms`, in memory and on disk
  // (pairs stored beyond the cap included). Scans the stored pairs on the
  // calling thread, then re-checks each against the catalog and deletes in
  // one write on the writer thread. Blocks; never call it from the writer.
  result<std::uint64_t> expire(GroupWriter& writer, std::int64_t cutoff_ms);

  // The catalog of every source or of `source`, for the admin API.
  EventTypeListing listing(std::optional<std::string_view> source) const;
  std::size_t size() const;
  std::uint64_t dropped() const;

 private:
  EventTypeTable(Database& db, std::size_t max_pairs);

  Database& db_;
  mutable std::mutex mu_;
  EventTypeCatalog catalog_;  // changed under mu_, on the writer thread only
};

}  // namespace hookd::storage
