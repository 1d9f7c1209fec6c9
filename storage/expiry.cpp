#include "storage/expiry.hpp"

#include "core/ulid.hpp"
#include "storage/codec.hpp"
#include "storage/keys.hpp"

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hookd::storage {
namespace {

// One delivery as the scan saw it, with every key that goes with it.
struct SeenDelivery {
  std::string id;
  std::string value;  // the record's bytes, compared again before deleting
  std::string index_key;
  std::vector<std::string> attempt_keys;
};

// An expired event none of whose deliveries is pending.
struct Candidate {
  std::string event_id;
  std::vector<SeenDelivery> deliveries;

  std::size_t keys() const {
    std::size_t n = 1;
    for (const SeenDelivery& d : deliveries) n += 2 + d.attempt_keys.size();
    return n;
  }
};

// Whole-family scans would evict the point lookups' hot blocks.
rocksdb::ReadOptions scan_options(const ReadSnapshot& snapshot) {
  rocksdb::ReadOptions options = snapshot.options();
  options.fill_cache = false;
  return options;
}

// The keys under `prefix` in `cf`.
result<std::vector<std::string>> keys_under(Database& db,
                                            rocksdb::ReadOptions options,
                                            rocksdb::ColumnFamilyHandle* cf,
                                            const std::string& prefix) {
  std::string upper = prefix_upper_bound(prefix);
  rocksdb::Slice upper_slice(upper);
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db.db().NewIterator(options, cf));
  std::vector<std::string> out;
  for (it->Seek(prefix); it->Valid(); it->Next())
    out.emplace_back(view(it->key()));
  if (auto ec = to_error_code(it->status())) return ec;
  return out;
}

// The event's deliveries with their keys; nullopt when the event must stay:
// a delivery is pending, or does not decode (never delete what we cannot
// read).
result<std::optional<std::vector<SeenDelivery>>> seen_deliveries(
    Database& db, rocksdb::ReadOptions options, std::string_view event_id) {
  std::string prefix = deliveries_prefix(event_id);
  std::string upper = prefix_upper_bound(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions bounded = options;
  bounded.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(bounded, db.deliveries()));
  std::vector<SeenDelivery> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto d = decode_delivery(view(it->value()));
    if (!d || d->state == DeliveryState::pending)
      return std::optional<std::vector<SeenDelivery>>();
    auto attempts =
        keys_under(db, options, db.attempts(), attempts_prefix(d->id));
    if (!attempts) return attempts.error();
    out.push_back({std::string(view(it->key())), std::string(view(it->value())),
                   state_index_key(*d), std::move(*attempts)});
  }
  if (auto ec = to_error_code(it->status())) return ec;
  return std::optional<std::vector<SeenDelivery>>(std::move(out));
}

// Scans events older than `cutoff` after `*resume` (exclusive; empty: from
// the start) at a fresh snapshot, until the candidates hold a chunk's worth
// of keys. Leaves the last event looked at in *resume and sets *finished once
// the scan has passed the last expired event.
result<std::vector<Candidate>> scan_chunk(Database& db, std::int64_t cutoff,
                                          std::string* resume, bool* finished) {
  ReadSnapshot snapshot(db.db());
  rocksdb::ReadOptions options = scan_options(snapshot);
  // Ids are ULIDs, so every event older than the cutoff sorts before the
  // smallest id of the cutoff millisecond.
  std::string upper = ulid_floor(cutoff);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions events_options = options;
  events_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(events_options, db.events()));
  it->Seek(*resume);
  if (!resume->empty() && it->Valid() && view(it->key()) == *resume) it->Next();
  std::vector<Candidate> out;
  std::size_t keys = 0;
  for (; it->Valid(); it->Next()) {
    std::string_view id = view(it->key());
    auto time = ulid_time_ms(id);
    if (!time || *time >= cutoff) continue;
    auto deliveries = seen_deliveries(db, options, id);
    if (!deliveries) return deliveries.error();
    if (!*deliveries) continue;
    out.push_back({std::string(id), std::move(**deliveries)});
    keys += out.back().keys();
    if (keys >= kExpiryChunkKeys) {
      *resume = id;
      return out;
    }
  }
  if (auto ec = to_error_code(it->status())) return ec;
  *finished = true;
  return out;
}

// Whether the deliveries of `c` are still exactly those the scan saw: the
// same ids, each byte-for-byte the same, and no other. Re-reading only the
// ids seen would miss a delivery added since (a replay adds one to an old
// event), and deleting the event would leave that delivery dangling.
result<bool> unchanged(Database& db, const Candidate& c) {
  std::string prefix = deliveries_prefix(c.event_id);
  std::string upper = prefix_upper_bound(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(options, db.deliveries()));
  std::size_t i = 0;  // the scan listed them in this (key) order
  for (it->Seek(prefix); it->Valid(); it->Next(), ++i) {
    if (i == c.deliveries.size()) return false;  // one was added
    const SeenDelivery& d = c.deliveries[i];
    if (view(it->key()) != d.id || view(it->value()) != d.value) return false;
  }
  if (auto ec = to_error_code(it->status()))
    return {boost::system::in_place_error, ec};
  return i == c.deliveries.size();
}

// Runs on the writer thread: re-checks and deletes one chunk in one write.
result<ExpiryStats> delete_chunk(Database& db, GroupWriter& writer,
                                 const std::vector<Candidate>& chunk) {
  rocksdb::WriteBatch batch;
  ExpiryStats stats;
  auto erase = [&batch](rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
    return to_error_code(batch.Delete(cf, key));
  };
  for (const Candidate& c : chunk) {
    auto same = unchanged(db, c);
    if (!same) return same.error();
    if (!*same) continue;  // changed since the scan: a later run decides
    for (const SeenDelivery& d : c.deliveries) {
      if (auto ec = erase(db.deliveries(), d.id)) return ec;
      if (auto ec = erase(db.by_state(), d.index_key)) return ec;
      for (const std::string& key : d.attempt_keys)
        if (auto ec = erase(db.attempts(), key)) return ec;
    }
    if (auto ec = erase(db.events(), c.event_id)) return ec;
    ++stats.events_deleted;
    stats.deliveries_deleted += c.deliveries.size();
  }
  if (batch.Count() == 0) return stats;
  if (auto ec = writer.commit(batch)) return ec;
  return stats;
}

result<ExpiryStats> delete_on_writer(Database& db, GroupWriter& writer,
                                     std::vector<Candidate> chunk) {
  // Shared with the job: the promise must live until set_value returns,
  // which may be after this caller has woken up and left.
  auto promise = std::make_shared<std::promise<result<ExpiryStats>>>();
  auto future = promise->get_future();
  auto shared =
      std::make_shared<const std::vector<Candidate>>(std::move(chunk));
  Database* dbp = &db;
  GroupWriter* writerp = &writer;
  error_code ec = writer.post([dbp, writerp, promise, shared] {
    promise->set_value(delete_chunk(*dbp, *writerp, *shared));
  });
  if (ec) return ec;
  return future.get();
}

}  // namespace

result<ExpiryStats> expire_records(Database& db, GroupWriter& writer,
                                   std::int64_t now_ms,
                                   const StoreOptions& options) {
  const std::int64_t cutoff = now_ms - options.retention.count();
  ExpiryStats total;
  std::string resume;
  bool finished = false;
  while (!finished) {
    auto chunk = scan_chunk(db, cutoff, &resume, &finished);
    if (!chunk) return chunk.error();
    if (chunk->empty()) continue;
    if (options.after_expiry_scan_for_test)
      options.after_expiry_scan_for_test();
    auto stats = delete_on_writer(db, writer, std::move(*chunk));
    if (!stats) return stats.error();
    total.events_deleted += stats->events_deleted;
    total.deliveries_deleted += stats->deliveries_deleted;
  }
  return total;
}

}  // namespace hookd::storage
