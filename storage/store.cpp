#include "storage/store.hpp"

#include "storage/codec.hpp"
#include "storage/database.hpp"
#include "storage/delivery_index.hpp"
#include "storage/event_type_table.hpp"
#include "storage/expiry.hpp"
#include "storage/group_writer.hpp"
#include "storage/keys.hpp"
#include "storage/transition.hpp"

#include <rocksdb/iterator.h>

#include <algorithm>
#include <mutex>
#include <utility>

namespace hookd::storage {

// The writer is declared after the database and the event-type table so
// that it is stopped (its queue drained, the catalog flushed) before they go.
struct Store::Impl {
  StoreOptions options;
  std::unique_ptr<Database> db;
  std::unique_ptr<EventTypeTable> event_types;  // null with event_types off
  std::unique_ptr<GroupWriter> writer;
  std::mutex expire_mu;  // one expire() at a time (expiry.hpp)

  ~Impl() {
    writer.reset();
    if (db) db->flush();  // best effort: every write is already in the WAL
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

result<std::unique_ptr<Store>> Store::open(const StoreOptions& options,
                                           std::string* why) {
  auto db = Database::open(options.path, why);
  if (!db) return db.error();
  if (auto ec = ensure_state_index(**db)) {
    if (why) *why = "rebuilding the by_state index: " + ec.message();
    return ec;
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->db = std::move(*db);
  if (options.event_types) {
    auto table = EventTypeTable::load(*impl->db, options.max_event_types, why);
    if (!table) return table.error();
    impl->event_types = std::move(*table);
  }
  impl->writer =
      std::make_unique<GroupWriter>(*impl->db, options, impl->event_types.get());
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

result<std::optional<std::string>> Store::find_idempotency(
    std::string_view source, std::string_view key, std::int64_t now_ms) {
  Database& db = *impl_->db;
  auto value = db.get(rocksdb::ReadOptions(), db.idem(), idem_key(source, key));
  if (!value) return value.error();
  if (!*value) return std::optional<std::string>();
  auto idem = decode_idem_value(**value);
  if (!idem) return idem.error();
  if (idem->expires_at_ms <= now_ms) return std::optional<std::string>();
  return std::optional<std::string>(std::move(idem->event_id));
}

error_code Store::submit(std::vector<IngestRecord> records, Done done) {
  return impl_->writer->submit(std::move(records), std::move(done));
}

error_code Store::update_deliveries(std::vector<Delivery> deliveries,
                                    Done done) {
  std::vector<DeliveryUpdate> updates;
  updates.reserve(deliveries.size());
  for (Delivery& d : deliveries)
    updates.push_back(DeliveryUpdate{std::move(d), std::nullopt});
  return update_deliveries(std::move(updates), std::move(done));
}

error_code Store::update_deliveries(std::vector<DeliveryUpdate> updates,
                                    Done done) {
  return impl_->writer->update(std::move(updates), std::move(done));
}

namespace {

Transition outcome(Transition::Kind kind, std::string id, std::int64_t now_ms,
                   std::optional<Attempt> attempt) {
  Transition t;
  t.kind = kind;
  t.delivery_id = std::move(id);
  t.now_ms = now_ms;
  t.attempt = std::move(attempt);
  return t;
}

}  // namespace

error_code Store::mark_delivered(std::string id, std::int64_t now_ms,
                                 std::optional<Attempt> attempt, Done done) {
  std::vector<Transition> ts;
  ts.push_back(outcome(Transition::Kind::delivered, std::move(id), now_ms, std::move(attempt)));
  return impl_->writer->transition(std::move(ts), std::move(done));
}

error_code Store::schedule_retry(std::string id, std::int64_t now_ms,
                                 std::int64_t next_attempt_ms, std::string last_error,
                                 std::optional<Attempt> attempt, Done done) {
  std::vector<Transition> ts;
  ts.push_back(outcome(Transition::Kind::retry, std::move(id), now_ms, std::move(attempt)));
  ts.back().next_attempt_ms = next_attempt_ms;
  ts.back().last_error = std::move(last_error);
  return impl_->writer->transition(std::move(ts), std::move(done));
}

error_code Store::mark_dead(std::string id, std::int64_t now_ms, std::string last_error,
                            std::optional<Attempt> attempt, Done done) {
  std::vector<Transition> ts;
  ts.push_back(outcome(Transition::Kind::dead, std::move(id), now_ms, std::move(attempt)));
  ts.back().last_error = std::move(last_error);
  return impl_->writer->transition(std::move(ts), std::move(done));
}

error_code Store::requeue(std::vector<std::string> ids, std::int64_t now_ms, Done done) {
  std::vector<Transition> ts;
  ts.reserve(ids.size());
  for (std::string& id : ids)
    ts.push_back(outcome(Transition::Kind::requeue, std::move(id), now_ms, std::nullopt));
  return impl_->writer->transition(std::move(ts), std::move(done));
}

error_code Store::cancel(std::vector<std::string> ids, std::int64_t now_ms, std::string reason,
                         Done done) {
  std::vector<Transition> ts;
  ts.reserve(ids.size());
  for (std::string& id : ids) {
    ts.push_back(outcome(Transition::Kind::cancel, std::move(id), now_ms, std::nullopt));
    ts.back().last_error = reason;
  }
  return impl_->writer->transition(std::move(ts), std::move(done));
}

error_code Store::put_api_subscription(std::string name, std::string document, Done done) {
  return impl_->writer->put_api_subscription(std::move(name), std::move(document),
                                             std::move(done));
}

error_code Store::erase_api_subscription(std::string name, Done done) {
  return impl_->writer->put_api_subscription(std::move(name), std::nullopt, std::move(done));
}

result<std::vector<std::pair<std::string, std::string>>> Store::load_api_subscriptions() {
  Database& db = *impl_->db;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(rocksdb::ReadOptions(), db.api_subscriptions()));
  std::vector<std::pair<std::string, std::string>> out;
  for (it->SeekToFirst(); it->Valid(); it->Next())
    out.emplace_back(std::string(view(it->key())), std::string(view(it->value())));
  if (auto ec = to_error_code(it->status())) return ec;
  return out;
}

result<std::vector<Attempt>> Store::attempts_of(std::string_view delivery_id) {
  Database& db = *impl_->db;
  std::string prefix = attempts_prefix(delivery_id);
  std::string upper = prefix_upper_bound(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(options, db.attempts()));
  std::vector<Attempt> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto a = decode_attempt(view(it->value()));
    if (!a) return a.error();
    out.push_back(std::move(*a));
  }
  if (auto ec = to_error_code(it->status())) return ec;
  return out;
}

error_code Store::put_subscription_state(std::string name,
                                         SubscriptionState state, Done done) {
  return impl_->writer->put_subscription_state(
      std::move(name), std::move(state), std::move(done));
}

result<std::vector<std::pair<std::string, SubscriptionState>>>
Store::load_subscription_states() {
  Database& db = *impl_->db;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(rocksdb::ReadOptions(), db.subscriptions()));
  std::vector<std::pair<std::string, SubscriptionState>> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto state = decode_subscription_state(view(it->value()));
    if (!state) return state.error();
    out.emplace_back(std::string(view(it->key())), std::move(*state));
  }
  if (auto ec = to_error_code(it->status())) return ec;
  return out;
}

result<std::vector<Delivery>> Store::list_deliveries(
    std::string_view subscription, std::optional<DeliveryState> state,
    std::string_view after, std::size_t limit) {
  return storage::list_deliveries(*impl_->db, subscription, state, after,
                                  limit);
}

result<DeliveryCounts> Store::count_deliveries() {
  return storage::count_deliveries(*impl_->db);
}

result<std::optional<Event>> Store::get_event(std::string_view id) {
  Database& db = *impl_->db;
  auto value = db.get(rocksdb::ReadOptions(), db.events(), id);
  if (!value) return value.error();
  if (!*value) return std::optional<Event>();
  auto event = decode_event(**value);
  if (!event) return event.error();
  return std::optional<Event>(std::move(*event));
}

result<std::optional<Delivery>> Store::get_delivery(std::string_view id) {
  Database& db = *impl_->db;
  auto value = db.get(rocksdb::ReadOptions(), db.deliveries(), id);
  if (!value) return value.error();
  if (!*value) return std::optional<Delivery>();
  auto delivery = decode_delivery(**value);
  if (!delivery) return delivery.error();
  return std::optional<Delivery>(std::move(*delivery));
}

result<std::vector<Delivery>> Store::deliveries_of(std::string_view event_id) {
  Database& db = *impl_->db;
  std::string prefix = deliveries_prefix(event_id);
  std::string upper = prefix_upper_bound(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(options, db.deliveries()));
  std::vector<Delivery> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto d = decode_delivery(view(it->value()));
    if (!d) return d.error();
    out.push_back(std::move(*d));
  }
  if (auto ec = to_error_code(it->status())) return ec;
  // Ordinals are decimal, so "id.10" sorts before "id.2" bytewise; shorter
  // first restores numeric order.
  std::sort(out.begin(), out.end(), [](const Delivery& a, const Delivery& b) {
    if (a.id.size() != b.id.size()) return a.id.size() < b.id.size();
    return a.id < b.id;
  });
  return out;
}

result<std::vector<Event>> Store::list_events(std::string_view after,
                                              std::size_t limit) {
  Database& db = *impl_->db;
  std::vector<Event> out;
  if (limit == 0) return out;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(rocksdb::ReadOptions(), db.events()));
  if (after.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(after);
    if (it->Valid() && view(it->key()) == after) it->Next();
  }
  for (; it->Valid() && out.size() < limit; it->Next()) {
    auto e = decode_event(view(it->value()));
    if (!e) return e.error();
    out.push_back(std::move(*e));
  }
  if (auto ec = to_error_code(it->status())) return ec;
  return out;
}

namespace {

// Every pending delivery at `options` (one snapshot for the index and the
// records, so they agree even while the writer moves deliveries in and out
// of the index), in due-time order, while fn returns true.
error_code scan_pending(Database& db, const rocksdb::ReadOptions& options,
                        const std::function<bool(const Delivery&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db.db().NewIterator(options, db.pending()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view id = pending_key_delivery_id(view(it->key()));
    if (id.empty()) return storage_errc::invalid_record;
    auto value = db.get(options, db.deliveries(), id);
    if (!value) return value.error();
    // The writer keeps index and records in one batch, so a dangling or
    // stale entry means damage; the record is the truth: skip the entry.
    if (!*value) continue;
    auto d = decode_delivery(**value);
    if (!d) return d.error();
    if (d->state != DeliveryState::pending) continue;
    if (!fn(*d)) break;
  }
  return to_error_code(it->status());
}

}  // namespace

error_code Store::for_each_pending(const std::function<void(const Delivery&)>& fn) {
  Database& db = *impl_->db;
  ReadSnapshot snapshot(db.db());
  return scan_pending(db, snapshot.options(), [&](const Delivery& d) {
    fn(d);
    return true;
  });
}

namespace {

// Store::startup_view(): one snapshot, released with the view.
class SnapshotView final : public EventStore::StartupView {
 public:
  explicit SnapshotView(Database& db) : db_(db), snapshot_(db.db()) {}

  result<DeliveryCounts> count_deliveries() override {
    return storage::count_deliveries(db_, snapshot_.options().snapshot);
  }

  // The index alone: a point read of each record (in id order, so at a
  // random place of the deliveries family) would cost far more than the
  // scan. Only a value written before pending values held the subscription
  // falls back to the record, as scan_pending() does.
  error_code for_each_pending(const std::function<bool(const PendingEntry&)>& fn) override {
    rocksdb::ReadOptions options = snapshot_.options();
    options.fill_cache = false;  // a one-off scan; keep the hot blocks
    std::unique_ptr<rocksdb::Iterator> it(db_.db().NewIterator(options, db_.pending()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = view(it->key());
      PendingEntry entry;
      entry.id = pending_key_delivery_id(key);
      if (entry.id.empty() || !parse_pending_value(view(it->value()), &entry.subscription))
        return storage_errc::invalid_record;
      entry.next_attempt_ms = pending_key_due_ms(key);
      std::optional<Delivery> record;  // what an older entry lacks
      if (entry.subscription.empty()) {
        auto value = db_.get(options, db_.deliveries(), entry.id);
        if (!value) return value.error();
        if (!*value) continue;  // damage, as in scan_pending()
        auto d = decode_delivery(**value);
        if (!d) return d.error();
        if (d->state != DeliveryState::pending) continue;
        record = std::move(*d);
        entry.subscription = record->subscription;
        entry.next_attempt_ms = record->next_attempt_ms;
      }
      if (!fn(entry)) break;
    }
    return to_error_code(it->status());
  }

 private:
  Database& db_;
  ReadSnapshot snapshot_;
};

}  // namespace

std::unique_ptr<EventStore::StartupView> Store::startup_view() {
  return std::make_unique<SnapshotView>(*impl_->db);
}

result<std::vector<Delivery>> Store::load_pending() {
  std::vector<Delivery> out;
  if (auto ec = for_each_pending([&](const Delivery& d) { out.push_back(d); })) return ec;
  return out;
}

result<ExpiryStats> Store::expire(std::int64_t now_ms) {
  std::lock_guard lock(impl_->expire_mu);
  auto stats = expire_records(*impl_->db, *impl_->writer, now_ms, impl_->options);
  if (!stats || !impl_->event_types) return stats;
  auto types = impl_->event_types->expire(*impl_->writer, now_ms - impl_->options.retention.count());
  if (!types) return types.error();
  stats->event_types_deleted = *types;
  return stats;
}

std::optional<EventTypeListing> Store::event_types(std::optional<std::string_view> source) const {
  if (!impl_->event_types) return std::nullopt;
  return impl_->event_types->listing(source);
}

result<std::vector<EventTypeEntry>> Store::stored_event_types() {
  return read_event_types(*impl_->db);
}

error_code Store::flush() { return impl_->db->flush(); }

error_code Store::compact() { return impl_->db->compact(); }

StoreStats Store::stats() const {
  StoreStats s;
  s.writes = impl_->writer->writes();
  s.records_written = impl_->writer->records_written();
  s.queue_depth = impl_->writer->queue_depth();
  s.disk_bytes = impl_->db->disk_bytes();
  if (impl_->event_types) {
    s.event_types = impl_->event_types->size();
    s.event_types_dropped = impl_->event_types->dropped();
  }
  return s;
}

}  // namespace hookd::storage
