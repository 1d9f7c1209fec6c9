#include "storage/group_writer.hpp"

#include "storage/codec.hpp"
#include "storage/event_type_table.hpp"
#include "storage/keys.hpp"

#include <rocksdb/write_batch.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <utility>

namespace hookd::storage {

namespace {

// Moves every record of `from` into `to` (a record of `from` replaces one of
// the same id), reusing the nodes: no allocation, no copy.
template <class Map>
void move_into(Map& to, Map& from) {
  while (!from.empty()) {
    auto placed = to.insert(from.extract(from.begin()));
    if (!placed.inserted) placed.position->second = std::move(placed.node.mapped());
  }
}

}  // namespace

// One group commit being built: the batch, the requests whose records it
// holds, and the requests refused on their own (e.g. an update of a delivery
// that does not exist, or a transition its stored record does not allow),
// which never touch the batch.
class GroupWriter::Group {
 public:
  explicit Group(GroupWriter& writer) : writer_(writer) {}

  void add(Request& request) {
    Staged staged;
    batch_.SetSavePoint();
    error_code ec;
    switch (request.kind) {
      case Request::Kind::ingest:
        ec = add_ingest(request.records, staged);
        break;
      case Request::Kind::update:
        ec = add_update(request.updates, staged);
        break;
      case Request::Kind::transition:
        ec = add_transitions(request.transitions, staged);
        break;
      case Request::Kind::subscription:
        ec = put(writer_.db_.subscriptions(), request.subscription,
                 encode_subscription_state(request.state));
        break;
      case Request::Kind::api_subscription:
        if (request.document) {
          ec = put(writer_.db_.api_subscriptions(), request.subscription, *request.document);
        } else {
          ec = erase(writer_.db_.api_subscriptions(), request.subscription);
          if (!ec) ec = erase(writer_.db_.subscriptions(), request.subscription);
        }
        break;
      case Request::Kind::job:
        break;  // process() runs jobs; they never reach a group
    }
    if (ec) {
      batch_.RollbackToSavePoint();
      refused_.emplace_back(std::move(request.done), ec);
      return;
    }
    batch_.PopSavePoint();
    move_into(latest_, staged);
    if (request.kind == Request::Kind::ingest)
      events_ += request.records.size();
    included_.push_back(std::move(request.done));
  }

  // Writes what was added, then completes every request added so far.
  void commit() {
    error_code ec;
    if (batch_.Count() > 0) {
      ec = writer_.commit(batch_);
      if (!ec) writer_.records_written_ += events_;
    }
    // Written: latest_ is what storage holds now. Not written: what it
    // holds is not known here (a WAL write may have reached the disk).
    if (ec)
      writer_.forget_recent();
    else
      writer_.remember(latest_);
    if (writer_.event_types_) writer_.event_types_->commit(types_, !ec);
    for (Done& done : included_)
      if (done) done(ec);
    for (auto& [done, refused_ec] : refused_)
      if (done) done(refused_ec);
    batch_.Clear();
    latest_.clear();
    included_.clear();
    refused_.clear();
    events_ = 0;
  }

 private:
  // Deliveries one request puts, kept apart until the request is accepted.
  using Staged = std::unordered_map<std::string, Delivery>;

  error_code put(rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                 std::string_view value) {
    return to_error_code(batch_.Put(cf, key, value));
  }

  error_code erase(rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
    return to_error_code(batch_.Delete(cf, key));
  }

  // A new delivery: its ids are fresh (event ULID + ordinal), so no index
  // entry of an earlier version can exist.
  error_code put_delivery(const Delivery& d) {
    if (auto ec = put(writer_.db_.deliveries(), d.id, encode_delivery(d)))
      return ec;
    if (auto ec = put(writer_.db_.by_state(), state_index_key(d), {}))
      return ec;
    if (d.state != DeliveryState::pending) return {};
    return put(writer_.db_.pending(), pending_key(d.next_attempt_ms, d.id),
               pending_value(d.subscription));
  }

  // Moves each delivery into `staged` once it is in the batch: the request
  // needs them no more.
  error_code add_ingest(std::vector<IngestRecord>& records, Staged& staged) {
    const Database& db = writer_.db_;
    const auto window = writer_.options_.dedup_window.count();
    for (IngestRecord& r : records) {
      const Event& e = r.event;
      const std::string head = encode_event_head(e);
      const rocksdb::Slice key(e.id), value[] = {head, e.body};
      if (auto ec = to_error_code(
              batch_.Put(db.events(), rocksdb::SliceParts(&key, 1), rocksdb::SliceParts(value, 2))))
        return ec;
      if (!e.idempotency_key.empty()) {
        std::string value = encode_idem_value(e.received_ms + window, e.id);
        if (auto ec =
                put(db.idem(), idem_key(e.source, e.idempotency_key), value))
          return ec;
      }
      for (Delivery& d : r.deliveries) {
        if (auto ec = put_delivery(d)) return ec;
        std::string id = d.id;
        staged.insert_or_assign(std::move(id), std::move(d));
      }
    }
    // Last, so that nothing after it can fail: a pair new to the catalog
    // joins the batch of the event that introduced it.
    if (writer_.event_types_) return writer_.event_types_->stage(records, batch_, types_);
    return {};
  }

  error_code add_update(const std::vector<Store::DeliveryUpdate>& updates,
                        Staged& staged) {
    for (const Store::DeliveryUpdate& u : updates) {
      auto prev = previous(u.delivery.id, staged);
      if (!prev) return prev.error();
      if (auto ec = put_changed(*prev, u.delivery, u.attempt)) return ec;
      staged.insert_or_assign(u.delivery.id, u.delivery);
    }
    return {};
  }

  // Checked against the record as this batch leaves it, so that a
  // transition of a delivery an earlier request of the group changed sees
  // that change.
  error_code add_transitions(const std::vector<Transition>& transitions,
                             Staged& staged) {
    for (const Transition& t : transitions) {
      auto prev = previous(t.delivery_id, staged);
      if (!prev) return prev.error();
      auto next = apply_transition(*prev, t);
      // A cancel is "no longer pending": one that an attempt's outcome beat is done.
      if (!next && t.kind == Transition::Kind::cancel &&
          next.error() == storage_errc::invalid_transition)
        continue;
      if (!next) return next.error();
      if (auto ec = put_changed(*prev, *next, t.attempt)) return ec;
      staged.insert_or_assign(t.delivery_id, std::move(*next));
    }
    return {};
  }

  // Replaces `prev` with `d` (same id), moving its pending and by_state
  // index keys as needed, and records `attempt` beside it.
  error_code put_changed(const Delivery& prev, const Delivery& d,
                         const std::optional<Attempt>& attempt) {
    const Database& db = writer_.db_;
    const bool was_pending = prev.state == DeliveryState::pending;
    const bool is_pending = d.state == DeliveryState::pending;
    const bool same_key = was_pending && is_pending &&
                          prev.next_attempt_ms == d.next_attempt_ms;
    if (was_pending && !same_key) {
      if (auto ec =
              erase(db.pending(), pending_key(prev.next_attempt_ms, d.id)))
        return ec;
    }
    if (auto ec = put(db.deliveries(), d.id, encode_delivery(d))) return ec;
    if (is_pending && !same_key) {
      if (auto ec = put(db.pending(), pending_key(d.next_attempt_ms, d.id),
                        pending_value(d.subscription)))
        return ec;
    }
    std::string old_index = state_index_key(prev);
    std::string new_index = state_index_key(d);
    if (old_index != new_index) {
      if (auto ec = erase(db.by_state(), old_index)) return ec;
      if (auto ec = put(db.by_state(), new_index, {})) return ec;
    }
    if (attempt) {
      if (auto ec = put(db.attempts(), attempt_key(d.id, attempt->number),
                        encode_attempt(*attempt)))
        return ec;
    }
    return {};
  }

  // The delivery as it will be once this batch is written: staged by this
  // request, put earlier in this batch, or stored.
  result<Delivery> previous(const std::string& id, const Staged& staged) {
    if (auto it = staged.find(id); it != staged.end()) return it->second;
    if (auto it = latest_.find(id); it != latest_.end()) return it->second;
    if (const Delivery* d = writer_.recent(id)) return *d;
    rocksdb::PinnableSlice value;
    rocksdb::Status s = writer_.db_.db().Get(
        rocksdb::ReadOptions(), writer_.db_.deliveries(), id, &value);
    if (!s.ok()) return to_error_code(s);
    return decode_delivery({value.data(), value.size()});
  }

  GroupWriter& writer_;
  rocksdb::WriteBatch batch_;
  EventTypeTable::Staged types_;  // the catalogued events of batch_
  std::unordered_map<std::string, Delivery> latest_;
  std::vector<Done> included_;
  std::vector<std::pair<Done, error_code>> refused_;
  std::uint64_t events_ = 0;
};

GroupWriter::GroupWriter(Database& db, const StoreOptions& options,
                         EventTypeTable* event_types)
    : db_(db),
      options_(options),
      event_types_(event_types),
      last_types_flush_(std::chrono::steady_clock::now()),
      thread_([this] { run(); }) {}

GroupWriter::~GroupWriter() { stop(); }

error_code GroupWriter::submit(std::vector<IngestRecord> records, Done done) {
  Request r;
  r.kind = Request::Kind::ingest;
  r.records = std::move(records);
  r.done = std::move(done);
  // An event and each of its deliveries count one unit: the writer's work
  // (and a later attempt each) grows with the fan-out, not the request.
  std::uint64_t units = r.records.size();
  for (const IngestRecord& record : r.records) units += record.deliveries.size();
  return enqueue(std::move(r), units);
}

error_code GroupWriter::update(std::vector<Store::DeliveryUpdate> updates,
                               Done done) {
  Request r;
  r.kind = Request::Kind::update;
  r.updates = std::move(updates);
  r.done = std::move(done);
  const std::uint64_t units = r.updates.size();
  return enqueue(std::move(r), units);
}

error_code GroupWriter::transition(std::vector<Transition> transitions,
                                   Done done) {
  Request r;
  r.kind = Request::Kind::transition;
  r.transitions = std::move(transitions);
  r.done = std::move(done);
  const std::uint64_t units = r.transitions.size();
  return enqueue(std::move(r), units);
}

error_code GroupWriter::put_subscription_state(std::string name,
                                               SubscriptionState state,
                                               Done done) {
  Request r;
  r.kind = Request::Kind::subscription;
  r.subscription = std::move(name);
  r.state = std::move(state);
  r.done = std::move(done);
  return enqueue(std::move(r), 1);
}

error_code GroupWriter::put_api_subscription(std::string name,
                                             std::optional<std::string> document, Done done) {
  Request r;
  r.kind = Request::Kind::api_subscription;
  r.subscription = std::move(name);
  r.document = std::move(document);
  r.done = std::move(done);
  return enqueue(std::move(r), 1);
}

error_code GroupWriter::post(Job job) {
  Request r;
  r.job = std::move(job);
  return enqueue(std::move(r), 0);
}

error_code GroupWriter::enqueue(Request request, std::uint64_t units) {
  const bool urgent = request.kind != Request::Kind::transition;
  bool wake = true;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return storage_errc::closed;
    std::uint64_t queued = queued_units_.load();
    if (queued > 0 && queued + units > options_.max_write_queue)
      return storage_errc::busy;
    queue_.push_back(std::move(request));
    queued_units_.store(queued + units);
    has_work_.store(true, std::memory_order_release);
    urgent_ = urgent_ || urgent;
    // A gathering writer wakes only for what ends its wait.
    wake = !gathering_ || urgent_ || queued + units >= kOutcomeGroupUnits;
  }
  if (wake) cv_.notify_one();
  return {};
}

error_code GroupWriter::commit(rocksdb::WriteBatch& batch) {
  if (options_.fail_writes_for_test && options_.fail_writes_for_test->load())
    return storage_errc::io_error;
  if (!options_.fail_writes_file_for_test.empty() &&
      ::access(options_.fail_writes_file_for_test.c_str(), F_OK) == 0)
    return storage_errc::io_error;
  rocksdb::WriteOptions options;
  options.sync = options_.sync == SyncMode::group;
  options.disableWAL = false;
  ++writes_;
  return to_error_code(db_.db().Write(options, &batch));
}

void GroupWriter::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    has_work_.store(true, std::memory_order_release);
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void GroupWriter::run() {
  pthread_setname_np(pthread_self(), "hookd-writer");
  count_nothing();
  std::vector<Request> requests;
  bool acked = false;
  auto last_heavy = std::chrono::steady_clock::time_point::min() + options_.busy_poll;
  // Outcomes in the last group when it held nothing else, else 0.
  std::uint64_t streamed = 0;
  for (;;) {
    // Only after events: a sender waits for each ack, and at a light load
    // its next event comes within the poll. An outcome or a state write has
    // no one waiting on its latency (an attempt's slot is already free), and
    // a delivery backlog's stream of them would keep the writer spinning on
    // a CPU that the attempts need.
    if (acked) poll_for_work();
    {
      std::unique_lock lock(mu_);
      auto ready = [this] { return stopping_ || !queue_.empty(); };
      if (auto due = event_types_due())
        cv_.wait_until(lock, *due, ready);
      else
        cv_.wait(lock, ready);
      if (queue_.empty() && stopping_) break;  // everything is written
      auto gathered = [this] {
        return stopping_ || urgent_ || queued_units_.load() >= kOutcomeGroupUnits;
      };
      // Only while outcomes stream in (a backlog draining): a single one
      // (a light load) would wait for nothing but the next event.
      if (options_.outcome_delay.count() > 0 && streamed >= kOutcomeStreamUnits &&
          !gathered()) {
        gathering_ = true;  // outcomes only so far: let more join this group
        cv_.wait_for(lock, options_.outcome_delay, gathered);
        gathering_ = false;
      }
      streamed = urgent_ || stopping_ ? 0 : queued_units_.load();
      requests.swap(queue_);
      urgent_ = false;
      queued_units_.store(0);
      has_work_.store(stopping_, std::memory_order_relaxed);
    }
    const auto ingests = std::count_if(requests.begin(), requests.end(), [](const Request& r) {
      return r.kind == Request::Kind::ingest;
    });
    // A group of more ingest requests than a light load sends marks the
    // load heavy for busy_poll: the next requests are queued by the time a
    // group is written, and a poll would only take the CPU their senders need.
    const auto picked = std::chrono::steady_clock::now();
    if (ingests > kMaxLightGroup) last_heavy = picked;
    acked = ingests > 0 && picked >= last_heavy + options_.busy_poll;
    if (!requests.empty()) process(requests);
    requests.clear();
    if (auto due = event_types_due(); due && *due <= std::chrono::steady_clock::now())
      flush_event_types();
  }
  if (event_types_ && event_types_->changed()) flush_event_types();  // clean stop: exact counts
}

void GroupWriter::poll_for_work() {
  if (options_.busy_poll.count() <= 0) return;
  const auto until = std::chrono::steady_clock::now() + options_.busy_poll;
  while (!has_work_.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < until)
    ::sched_yield();  // a thread waiting for this CPU gets it
}

std::optional<std::chrono::steady_clock::time_point> GroupWriter::event_types_due() const {
  if (!event_types_ || !event_types_->changed()) return std::nullopt;
  return last_types_flush_ + options_.event_types_flush_interval;
}

void GroupWriter::flush_event_types() {
  last_types_flush_ = std::chrono::steady_clock::now();
  rocksdb::WriteBatch batch;
  auto changed = event_types_->take_changed(batch);
  if (changed.empty()) return;
  // Not written (storage failing): they stay changed for the next flush.
  if (commit(batch)) event_types_->restore(changed);
}

const Delivery* GroupWriter::recent(const std::string& id) const {
  for (const Recent& generation : recent_)
    if (auto it = generation.find(id); it != generation.end()) return &it->second;
  return nullptr;
}

void GroupWriter::remember(Recent& written) {
  while (!written.empty()) {
    auto node = written.extract(written.begin());
    if (node.mapped().state != DeliveryState::pending) {
      recent_[0].erase(node.key());
      recent_[1].erase(node.key());
      continue;
    }
    // A copy in the older generation is shadowed by the newer one.
    if (recent_[0].empty()) recent_[0].reserve(kRecentGeneration);  // no rehash as it fills
    auto placed = recent_[0].insert(std::move(node));
    if (!placed.inserted) placed.position->second = std::move(placed.node.mapped());
    if (recent_[0].size() >= kRecentGeneration) {
      recent_[1] = std::move(recent_[0]);
      recent_[0] = Recent();
    }
  }
}

void GroupWriter::forget_recent() {
  recent_[0].clear();
  recent_[1].clear();
}

void GroupWriter::process(std::vector<Request>& requests) {
  Group group(*this);
  for (Request& r : requests) {
    if (r.kind == Request::Kind::job) {
      group.commit();  // the job sees every write queued before it
      forget_recent();  // and may change any record
      r.job();
      continue;
    }
    group.add(r);
  }
  group.commit();
}

}  // namespace hookd::storage
