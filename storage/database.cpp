#include "storage/database.hpp"

#include "storage/keys.hpp"
#include "storage/wal_file_system.hpp"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/cache.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <chrono>
#include <filesystem>
#include <system_error>

namespace hookd::storage {
namespace {

// Database::events() and friends index handles_ in this order.
// Opening an older database creates the missing families empty.
constexpr const char* kColumnFamilies[] = {
    "default", "events",   "idem",     "deliveries",
    "pending", "attempts", "by_state", "subscriptions", "api_subscriptions",
    "event_types"};

// Drops idem keys whose expiry has passed, so that expired keys leave the
// disk even when expire() is never called. The clock is read once per
// compaction: a key that expires during one is dropped by the next.
class IdemExpiryFilter final : public rocksdb::CompactionFilter {
 public:
  explicit IdemExpiryFilter(std::int64_t now_ms) : now_ms_(now_ms) {}

  bool Filter(int /*level*/, const rocksdb::Slice& /*key*/,
              const rocksdb::Slice& value, std::string* /*new_value*/,
              bool* /*value_changed*/) const override {
    std::int64_t expires_at = 0;
    // A value too short to carry an expiry is kept: dropping data we cannot
    // read would hide corruption instead of reporting it.
    return idem_expires_at({value.data(), value.size()}, &expires_at) &&
           expires_at <= now_ms_;
  }

  const char* Name() const override { return "hookd.IdemExpiryFilter"; }

 private:
  std::int64_t now_ms_;
};

class IdemExpiryFilterFactory final : public rocksdb::CompactionFilterFactory {
 public:
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& /*context*/) override {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    return std::make_unique<IdemExpiryFilter>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  }
  const char* Name() const override { return "hookd.IdemExpiryFilterFactory"; }
};

// Memory bounds for the whole database, whatever the number of column
// families: RocksDB's defaults (64 MiB memtables and an 8 MiB block cache per
// column family) would let seven families take most of a gigabyte.
constexpr std::size_t kMemtableBudget = 32 << 20;
constexpr std::size_t kMemtableSize = 8 << 20;
constexpr std::size_t kBlockCache = 16 << 20;

rocksdb::ColumnFamilyOptions cf_options(std::string_view name,
                                        const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = kMemtableSize;
  o.max_write_buffer_number = 2;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (name == "idem" || name == "deliveries" || name == "events") {
    // Point lookups dominate, and for idem most of them miss (a new key):
    // a Bloom filter answers those without reading data blocks.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // The writer is the only thread that writes (allow_concurrent_memtable_
  // write is off), so each memtable insert can start from where the last
  // one with the same prefix went: events, deliveries and attempts are keyed
  // by ULID, pending by due time, and by_state by state first, so most of
  // their inserts land next to the previous one, and a hinted insert skips
  // the search from the skip list's top. idem keys are random: no hint.
  if (name == "events" || name == "deliveries" || name == "attempts" || name == "pending")
    o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(0));
  if (name == "by_state")
    o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(1));
  if (name == "idem") {
    o.compaction_filter_factory = std::make_shared<IdemExpiryFilterFactory>();
    // Most lookups are of a new key: a Bloom filter over each memtable's
    // keys (2 % of its size) answers them without searching the skip list.
    o.memtable_prefix_bloom_size_ratio = 0.02;
    o.memtable_whole_key_filtering = true;
  }
  return o;
}

}  // namespace

void count_nothing() noexcept {
  thread_local const bool off = [] {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    return true;
  }();
  (void)off;
}

error_code to_error_code(const rocksdb::Status& s) noexcept {
  if (s.ok()) return {};
  if (s.IsNotFound()) return storage_errc::not_found;
  if (s.IsCorruption()) return storage_errc::corruption;
  if (s.IsShutdownInProgress()) return storage_errc::closed;
  // Write stalls and lock timeouts pass: the caller should retry later.
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) return storage_errc::busy;
  return storage_errc::io_error;
}

result<std::unique_ptr<Database>> Database::open(const std::string& path,
                                                 std::string* why) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  options.manual_wal_flush = false;
  options.allow_concurrent_memtable_write = false;  // one writer thread (group_writer.hpp)
  options.db_write_buffer_size = kMemtableBudget;  // all memtables together
  auto cache = rocksdb::NewLRUCache(kBlockCache);
  auto wal_fs = std::make_shared<WalFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(wal_fs);
  options.env = env.get();

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kColumnFamilies)
    descriptors.emplace_back(name, cf_options(name, cache));

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(options, path, descriptors, &handles, &db);
  if (!s.ok()) {
    if (why) *why = s.ToString();
    return to_error_code(s);
  }
  return std::unique_ptr<Database>(
      new Database(path, std::move(wal_fs), std::move(env), db, std::move(handles)));
}

Database::Database(std::string path, std::shared_ptr<WalFileSystem> wal_fs,
                   std::unique_ptr<rocksdb::Env> env, rocksdb::DB* db,
                   std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : path_(std::move(path)),
      wal_fs_(std::move(wal_fs)),
      env_(std::move(env)),
      db_(db),
      handles_(std::move(handles)) {}

Database::~Database() {
  // Handles first: RocksDB requires them gone before the DB is deleted.
  for (rocksdb::ColumnFamilyHandle* h : handles_)
    db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  db_->Close();
}

result<std::optional<std::string>> Database::get(
    const rocksdb::ReadOptions& options, rocksdb::ColumnFamilyHandle* cf,
    std::string_view key) const {
  count_nothing();
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(options, cf, key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return to_error_code(s);
  return std::optional<std::string>(view(value));
}

error_code Database::flush() {
  rocksdb::Status s = db_->FlushWAL(/*sync=*/true);
  if (!s.ok()) return to_error_code(s);
  rocksdb::FlushOptions options;
  options.wait = true;
  return to_error_code(db_->Flush(options, handles_));
}

error_code Database::compact() {
  if (auto ec = flush()) return ec;
  // The default also rewrites bottommost files of a column family with a
  // compaction filter, so the idem filter sees every key.
  rocksdb::CompactRangeOptions options;
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    rocksdb::Status s = db_->CompactRange(options, h, nullptr, nullptr);
    if (!s.ok()) return to_error_code(s);
  }
  return {};
}

std::uint64_t Database::disk_bytes() const {
  std::uint64_t total = 0;
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    std::uint64_t bytes = 0;
    if (db_->GetIntProperty(h, "rocksdb.live-sst-files-size", &bytes))
      total += bytes;
  }
  // WAL files live in the DB directory (wal_dir is not set).
  std::error_code ec;
  std::filesystem::directory_iterator it(path_, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".log") continue;
    std::error_code size_ec;
    auto size = it->file_size(size_ec);
    if (!size_ec) total += size;
  }
  return total;
}

}  // namespace hookd::storage
