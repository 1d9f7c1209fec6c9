#include "storage/group_writer.hpp"

#include "storage/codec.hpp"
#include "storage/keys.hpp"

#include <rocksdb/write_batch.h>

#include <optional>
#include <unordered_map>
#include <utility>

namespace hookd::storage {

// One group commit being built: the batch, the requests whose records it
// holds, and the requests refused on their own (e.g. an update of a delivery
// that does not exist), which never touch the batch.
class GroupWriter::Group {
 public:
  explicit Group(GroupWriter& writer) : writer_(writer) {}

  void add(Request& request) {
    Staged staged;
    batch_.SetSavePoint();
    error_code ec = request.kind == Request::Kind::ingest
                        ? add_ingest(request.records, staged)
                        : add_update(request.deliveries, staged);
    if (ec) {
      batch_.RollbackToSavePoint();
      refused_.emplace_back(std::move(request.done), ec);
      return;
    }
    batch_.PopSavePoint();
    for (auto& [id, d] : staged) latest_.insert_or_assign(id, std::move(d));
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

  error_code put_delivery(const Delivery& d) {
    if (auto ec = put(writer_.db_.deliveries(), d.id, encode_delivery(d)))
      return ec;
    if (d.state != DeliveryState::pending) return {};
    return put(writer_.db_.pending(), pending_key(d.next_attempt_ms, d.id), {});
  }

  error_code add_ingest(const std::vector<IngestRecord>& records,
                        Staged& staged) {
    const Database& db = writer_.db_;
    const auto window = writer_.options_.dedup_window.count();
    for (const IngestRecord& r : records) {
      const Event& e = r.event;
      if (auto ec = put(db.events(), e.id, encode_event(e))) return ec;
      if (!e.idempotency_key.empty()) {
        std::string value = encode_idem_value(e.received_ms + window, e.id);
        if (auto ec =
                put(db.idem(), idem_key(e.source, e.idempotency_key), value))
          return ec;
      }
      for (const Delivery& d : r.deliveries) {
        if (auto ec = put_delivery(d)) return ec;
        staged.insert_or_assign(d.id, d);
      }
    }
    return {};
  }

  error_code add_update(const std::vector<Delivery>& deliveries,
                        Staged& staged) {
    for (const Delivery& d : deliveries) {
      auto prev = previous(d.id, staged);
      if (!prev) return prev.error();
      const bool was_pending = prev->state == DeliveryState::pending;
      const bool is_pending = d.state == DeliveryState::pending;
      const bool same_key = was_pending && is_pending &&
                            prev->next_attempt_ms == d.next_attempt_ms;
      if (was_pending && !same_key) {
        auto s = batch_.Delete(writer_.db_.pending(),
                               pending_key(prev->next_attempt_ms, d.id));
        if (!s.ok()) return to_error_code(s);
      }
      if (auto ec = put(writer_.db_.deliveries(), d.id, encode_delivery(d)))
        return ec;
      if (is_pending && !same_key) {
        if (auto ec = put(writer_.db_.pending(),
                          pending_key(d.next_attempt_ms, d.id), {}))
          return ec;
      }
      staged.insert_or_assign(d.id, d);
    }
    return {};
  }

  // The delivery as it will be once this batch is written: staged by this
  // request, put earlier in this batch, or stored.
  result<Delivery> previous(const std::string& id, const Staged& staged) {
    if (auto it = staged.find(id); it != staged.end()) return it->second;
    if (auto it = latest_.find(id); it != latest_.end()) return it->second;
    rocksdb::PinnableSlice value;
    rocksdb::Status s = writer_.db_.db().Get(
        rocksdb::ReadOptions(), writer_.db_.deliveries(), id, &value);
    if (!s.ok()) return to_error_code(s);
    return decode_delivery({value.data(), value.size()});
  }

  GroupWriter& writer_;
  rocksdb::WriteBatch batch_;
  std::unordered_map<std::string, Delivery> latest_;
  std::vector<Done> included_;
  std::vector<std::pair<Done, error_code>> refused_;
  std::uint64_t events_ = 0;
};

GroupWriter::GroupWriter(Database& db, const StoreOptions& options)
    : db_(db), options_(options), thread_([this] { run(); }) {}

GroupWriter::~GroupWriter() { stop(); }

error_code GroupWriter::submit(std::vector<IngestRecord> records, Done done) {
  std::uint64_t units = records.size();
  Request r{Request::Kind::ingest, std::move(records), {}, std::move(done), {}};
  return enqueue(std::move(r), units);
}

error_code GroupWriter::update(std::vector<Delivery> deliveries, Done done) {
  std::uint64_t units = deliveries.size();
  Request r{
      Request::Kind::update, {}, std::move(deliveries), std::move(done), {}};
  return enqueue(std::move(r), units);
}

error_code GroupWriter::post(Job job) {
  return enqueue(Request{Request::Kind::job, {}, {}, {}, std::move(job)}, 0);
}

error_code GroupWriter::enqueue(Request request, std::uint64_t units) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return storage_errc::closed;
    std::uint64_t queued = queued_units_.load();
    if (queued > 0 && queued + units > options_.max_write_queue)
      return storage_errc::busy;
    queue_.push_back(std::move(request));
    queued_units_.store(queued + units);
  }
  cv_.notify_one();
  return {};
}

error_code GroupWriter::commit(rocksdb::WriteBatch& batch) {
  if (options_.fail_writes_for_test && options_.fail_writes_for_test->load())
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
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void GroupWriter::run() {
  std::vector<Request> requests;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is written
      requests.swap(queue_);
      queued_units_.store(0);
    }
    process(requests);
    requests.clear();
  }
}

void GroupWriter::process(std::vector<Request>& requests) {
  Group group(*this);
  for (Request& r : requests) {
    if (r.kind == Request::Kind::job) {
      group.commit();  // the job sees every write queued before it
      r.job();
      continue;
    }
    group.add(r);
  }
  group.commit();
}

}  // namespace hookd::storage
