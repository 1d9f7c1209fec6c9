#include "storage/delivery_index.hpp"

#include "storage/codec.hpp"
#include "storage/keys.hpp"

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <memory>

namespace hookd::storage {
namespace {

constexpr DeliveryState kStates[] = {
    DeliveryState::pending, DeliveryState::delivered, DeliveryState::dead,
    DeliveryState::cancelled};

// Index keys per rebuild write: bounds the batch's memory.
constexpr int kRebuildChunk = 4096;

std::uint8_t byte_of(DeliveryState s) { return static_cast<std::uint8_t>(s); }

// The ids under one index prefix, ascending, starting after `after`. Held by
// pointer: the iterator points into `upper`, which must not move.
struct Run {
  std::string prefix;
  std::string upper;
  rocksdb::Slice upper_slice;
  std::unique_ptr<rocksdb::Iterator> it;

  std::string_view id() const { return view(it->key()).substr(prefix.size()); }
};

std::unique_ptr<Run> open_run(Database& db, rocksdb::ReadOptions options,
                              std::string prefix, std::string_view after) {
  auto run = std::make_unique<Run>();
  run->prefix = std::move(prefix);
  run->upper = prefix_upper_bound(run->prefix);
  run->upper_slice = rocksdb::Slice(run->upper);
  if (!run->upper.empty()) options.iterate_upper_bound = &run->upper_slice;
  run->it.reset(db.db().NewIterator(options, db.by_state()));
  run->it->Seek(run->prefix + std::string(after));
  if (!after.empty() && run->it->Valid() && run->id() == after) run->it->Next();
  return run;
}

// The subscriptions with an index entry in `state`: one seek each, jumping
// past a subscription's entries (subscription '\0' ...) to subscription '\1'.
result<std::vector<std::string>> subscriptions_in(Database& db,
                                                  rocksdb::ReadOptions options,
                                                  DeliveryState state) {
  std::string prefix = state_index_prefix(byte_of(state));
  std::string upper = prefix_upper_bound(prefix);
  rocksdb::Slice upper_slice(upper);
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(options, db.by_state()));
  std::vector<std::string> out;
  it->Seek(prefix);
  while (it->Valid()) {
    StateIndexEntry entry;
    if (!parse_state_index_key(view(it->key()), &entry))
      return error_code(storage_errc::invalid_record);
    out.emplace_back(entry.subscription);
    it->Seek(prefix + out.back() + '\x01');
  }
  if (auto ec = to_error_code(it->status())) return ec;
  return out;
}

// No filter: the deliveries themselves, in key order.
result<std::vector<Delivery>> scan_all(Database& db, std::string_view after,
                                       std::size_t limit) {
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(rocksdb::ReadOptions(), db.deliveries()));
  it->Seek(after);
  if (!after.empty() && it->Valid() && view(it->key()) == after) it->Next();
  std::vector<Delivery> out;
  for (; it->Valid() && out.size() < limit; it->Next()) {
    auto d = decode_delivery(view(it->value()));
    if (!d) return d.error();
    out.push_back(std::move(*d));
  }
  if (auto ec = to_error_code(it->status())) return ec;
  return out;
}

// Merges the runs by id and reads each listed delivery at the same snapshot.
result<std::vector<Delivery>> merge(Database& db,
                                    const rocksdb::ReadOptions& options,
                                    std::vector<std::unique_ptr<Run>>& runs,
                                    std::string_view subscription,
                                    std::optional<DeliveryState> state,
                                    std::size_t limit) {
  std::vector<Delivery> out;
  while (out.size() < limit) {
    Run* next = nullptr;
    for (auto& run : runs)
      if (run->it->Valid() && (!next || run->id() < next->id()))
        next = run.get();
    if (!next) break;
    std::string id(next->id());
    next->it->Next();
    auto value = db.get(options, db.deliveries(), id);
    if (!value) return value.error();
    // The writer changes records and index in one batch, so a dangling or
    // stale entry means damage; the record is the truth: skip the entry.
    if (!*value) continue;
    auto d = decode_delivery(**value);
    if (!d) return d.error();
    if (state && d->state != *state) continue;
    if (!subscription.empty() && d->subscription != subscription) continue;
    out.push_back(std::move(*d));
  }
  for (auto& run : runs)
    if (auto ec = to_error_code(run->it->status())) return ec;
  return out;
}

}  // namespace

result<std::vector<Delivery>> list_deliveries(
    Database& db, std::string_view subscription,
    std::optional<DeliveryState> state, std::string_view after,
    std::size_t limit) {
  if (limit == 0) return std::vector<Delivery>();
  if (!state && subscription.empty()) return scan_all(db, after, limit);
  ReadSnapshot snapshot(db.db());
  const rocksdb::ReadOptions options = snapshot.options();
  std::vector<std::unique_ptr<Run>> runs;
  if (state && !subscription.empty()) {
    runs.push_back(open_run(
        db, options, state_index_prefix(byte_of(*state), subscription), after));
  } else if (state) {
    auto subscriptions = subscriptions_in(db, options, *state);
    if (!subscriptions) return subscriptions.error();
    for (const std::string& s : *subscriptions)
      runs.push_back(
          open_run(db, options, state_index_prefix(byte_of(*state), s), after));
  } else {
    for (DeliveryState s : kStates)
      runs.push_back(open_run(
          db, options, state_index_prefix(byte_of(s), subscription), after));
  }
  return merge(db, options, runs, subscription, state, limit);
}

result<std::map<std::pair<std::string, DeliveryState>, std::uint64_t>>
count_deliveries(Database& db, const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions options;
  options.fill_cache = false;  // a one-off full scan; keep the hot blocks
  options.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(options, db.by_state()));
  std::map<std::pair<std::string, DeliveryState>, std::uint64_t> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    StateIndexEntry entry;
    if (!parse_state_index_key(view(it->key()), &entry) ||
        entry.state > byte_of(DeliveryState::cancelled))
      return error_code(storage_errc::invalid_record);
    ++out[{std::string(entry.subscription),
           static_cast<DeliveryState>(entry.state)}];
  }
  if (auto ec = to_error_code(it->status())) return ec;
  return out;
}

error_code ensure_state_index(Database& db) {
  auto marker = db.get(rocksdb::ReadOptions(), db.default_cf(),
                       std::string(kStateIndexMarker));
  if (!marker) return marker.error();
  if (*marker) return {};
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(options, db.deliveries()));
  rocksdb::WriteBatch batch;
  rocksdb::WriteOptions unsynced;  // the final, synced write covers these
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto d = decode_delivery(view(it->value()));
    // An unreadable record cannot be listed either; reads report it.
    if (!d) continue;
    if (auto ec = to_error_code(
            batch.Put(db.by_state(), state_index_key(*d), rocksdb::Slice())))
      return ec;
    if (batch.Count() < kRebuildChunk) continue;
    if (auto ec = to_error_code(db.db().Write(unsynced, &batch))) return ec;
    batch.Clear();
  }
  if (auto ec = to_error_code(it->status())) return ec;
  if (auto ec = to_error_code(batch.Put(
          db.default_cf(), std::string(kStateIndexMarker), rocksdb::Slice())))
    return ec;
  rocksdb::WriteOptions synced;
  synced.sync = true;
  return to_error_code(db.db().Write(synced, &batch));
}

}  // namespace hookd::storage
