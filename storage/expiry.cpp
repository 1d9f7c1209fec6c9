#include "storage/expiry.hpp"

#include "core/ulid.hpp"
#include "storage/codec.hpp"
#include "storage/keys.hpp"

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hookd::storage {
namespace {

// Deletes per write: bounds the batch's memory and how long one write takes.
constexpr int kChunk = 4096;

std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// Whole-column-family scans would evict the point lookups' hot blocks.
rocksdb::ReadOptions scan_options() {
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  return options;
}

// Collects deletes and writes them in chunks; counts only what was written.
class Deleter {
 public:
  explicit Deleter(GroupWriter& writer) : writer_(writer) {}

  error_code erase(rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                   std::uint64_t ExpiryStats::*counter) {
    if (auto s = batch_.Delete(cf, key); !s.ok()) return to_error_code(s);
    ++(staged_.*counter);
    if (batch_.Count() >= kChunk) return commit();
    return {};
  }

  error_code commit() {
    if (batch_.Count() == 0) return {};
    error_code ec = writer_.commit(batch_);
    batch_.Clear();
    if (ec) return ec;
    done_.events_deleted += staged_.events_deleted;
    done_.deliveries_deleted += staged_.deliveries_deleted;
    done_.keys_deleted += staged_.keys_deleted;
    staged_ = {};
    return {};
  }

  const ExpiryStats& stats() const { return done_; }

 private:
  GroupWriter& writer_;
  rocksdb::WriteBatch batch_;
  ExpiryStats staged_;
  ExpiryStats done_;
};

error_code expire_idem(Database& db, Deleter& deleter, std::int64_t now_ms) {
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(scan_options(), db.idem()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::int64_t expires_at = 0;
    if (!idem_expires_at(view(it->value()), &expires_at) || expires_at > now_ms)
      continue;
    if (auto ec = deleter.erase(db.idem(), view(it->key()),
                                &ExpiryStats::keys_deleted))
      return ec;
  }
  return to_error_code(it->status());
}

// What expiry needs to know of one event's deliveries.
struct EventDeliveries {
  bool keep = false;  // one is pending, or does not decode (never delete
                      // what we cannot read)
  std::vector<std::string> keys;
};

result<EventDeliveries> deliveries_of(Database& db, std::string_view event_id) {
  std::string prefix = deliveries_prefix(event_id);
  std::string upper = prefix_upper_bound(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options = scan_options();
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(options, db.deliveries()));
  EventDeliveries out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto d = decode_delivery(view(it->value()));
    if (!d || d->state == DeliveryState::pending) {
      out.keep = true;
      break;
    }
    out.keys.emplace_back(view(it->key()));
  }
  if (auto ec = to_error_code(it->status())) return ec;
  return out;
}

error_code expire_events(Database& db, Deleter& deleter, std::int64_t cutoff) {
  // Ids are ULIDs, so every event older than the cutoff sorts before the
  // smallest id of the cutoff millisecond.
  std::string upper = ulid_floor(cutoff);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options = scan_options();
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(options, db.events()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view id = view(it->key());
    auto time = ulid_time_ms(id);
    if (!time || *time >= cutoff) continue;
    auto deliveries = deliveries_of(db, id);
    if (!deliveries) return deliveries.error();
    if (deliveries->keep) continue;
    for (const std::string& key : deliveries->keys) {
      if (auto ec = deleter.erase(db.deliveries(), key,
                                  &ExpiryStats::deliveries_deleted))
        return ec;
    }
    if (auto ec = deleter.erase(db.events(), id, &ExpiryStats::events_deleted))
      return ec;
  }
  return to_error_code(it->status());
}

}  // namespace

result<ExpiryStats> expire_records(Database& db, GroupWriter& writer,
                                   std::int64_t now_ms, Duration retention) {
  Deleter deleter(writer);
  if (auto ec = expire_idem(db, deleter, now_ms)) return ec;
  if (auto ec = expire_events(db, deleter, now_ms - retention.count()))
    return ec;
  if (auto ec = deleter.commit()) return ec;
  return deleter.stats();
}

}  // namespace hookd::storage
