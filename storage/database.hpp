#pragma once
// Database: the open RocksDB instance and its column family handles
// (default, events, idem, deliveries, pending, attempts, by_state,
// subscriptions, event_types; see keys.hpp for layouts).
// Internal to storage/: this header includes RocksDB and must never be
// included from outside storage/.
//
// Owns the DB and the handles; the destructor destroys the handles, then
// closes and deletes the DB, so nothing that uses them (the GroupWriter) may
// outlive it. Every method is thread-safe, as RocksDB itself is.

#include "core/errors.hpp"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/status.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookd::storage {

// RocksDB counts every read and write in a thread-local perf context unless
// the thread's perf level is kDisable, and hookd reads none of those
// counters: the writer and every thread that reads through Database::get
// turn them off (once per thread; cheap after the first call).
void count_nothing() noexcept;

// The one mapping from RocksDB statuses to storage_errc.
error_code to_error_code(const rocksdb::Status& status) noexcept;

inline std::string_view view(const rocksdb::Slice& s) noexcept {
  return {s.data(), s.size()};
}

// A snapshot held for the lifetime of this object; options() reads at it.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(rocksdb::DB& db)
      : db_(db), snapshot_(db.GetSnapshot()) {}
  ~ReadSnapshot() { db_.ReleaseSnapshot(snapshot_); }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

  rocksdb::ReadOptions options() const {
    rocksdb::ReadOptions o;
    o.snapshot = snapshot_;
    return o;
  }

 private:
  rocksdb::DB& db_;
  const rocksdb::Snapshot* snapshot_;
};

class WalFileSystem;

class Database {
 public:
  // Opens or creates the database at `path`. On failure `why`, when given,
  // receives RocksDB's message (no such directory, LOCK held, ...).
  static result<std::unique_ptr<Database>> open(const std::string& path,
                                                std::string* why);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  rocksdb::DB& db() const noexcept { return *db_; }
  rocksdb::ColumnFamilyHandle* events() const noexcept { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* idem() const noexcept { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* deliveries() const noexcept {
    return handles_[3];
  }
  rocksdb::ColumnFamilyHandle* pending() const noexcept { return handles_[4]; }
  rocksdb::ColumnFamilyHandle* attempts() const noexcept { return handles_[5]; }
  rocksdb::ColumnFamilyHandle* by_state() const noexcept { return handles_[6]; }
  rocksdb::ColumnFamilyHandle* subscriptions() const noexcept {
    return handles_[7];
  }
  rocksdb::ColumnFamilyHandle* api_subscriptions() const noexcept {
    return handles_[8];
  }
  rocksdb::ColumnFamilyHandle* event_types() const noexcept {
    return handles_[9];
  }
  rocksdb::ColumnFamilyHandle* default_cf() const noexcept {
    return handles_[0];
  }

  // Get that turns "no such key" into an empty optional. Counts nothing
  // in RocksDB's perf context on the calling thread (count_nothing()).
  result<std::optional<std::string>> get(const rocksdb::ReadOptions& options,
                                         rocksdb::ColumnFamilyHandle* cf,
                                         std::string_view key) const;

  // Syncs the WAL and flushes every memtable to SST files.
  error_code flush();
  // Flushes and compacts every column family (compaction filters run).
  error_code compact();
  // Live SST bytes of every column family plus the WAL files' size (with
  // the preallocated tail of the one being written).
  std::uint64_t disk_bytes() const;
  // The file system the database writes through (wal_file_system.hpp).
  WalFileSystem& wal_file_system() const noexcept { return *wal_fs_; }

 private:
  Database(std::string path, std::shared_ptr<WalFileSystem> wal_fs,
           std::unique_ptr<rocksdb::Env> env, rocksdb::DB* db,
           std::vector<rocksdb::ColumnFamilyHandle*> handles);

  std::string path_;
  std::shared_ptr<WalFileSystem> wal_fs_;
  std::unique_ptr<rocksdb::Env> env_;  // outlives db_, which uses it
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*>
      handles_;  // in kColumnFamilies order
};

}  // namespace hookd::storage
