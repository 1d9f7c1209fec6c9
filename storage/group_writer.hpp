#pragma once
// GroupWriter: the one thread that writes to the database (group commit).
//
// submit(), update(), transition(), put_subscription_state() and post() queue a request
// under a mutex and wake the writer. The writer takes every queued request at
// once, puts the records of all of them into one rocksdb::WriteBatch and issues
// one DB::Write (synced for SyncMode::group), then calls each request's `done`
// with the result: a failed write fails the whole group and leaves nothing of
// it behind. Jobs posted with post() run on the writer thread in queue order,
// between the groups before and after them, so a job sees every earlier write
// and no write races it.
//
// Every delivery write keeps the pending and by_state indexes in step with
// the record in the same batch; an update's attempt record joins it there.
// A transition request is applied (transition.hpp) to each delivery as the
// group would leave it (stored, or changed by an earlier request of the
// group) while the group is built; a refused one is rolled back out of the
// batch and completed with its error, and the rest of the group goes on.
//
// With an EventTypeTable, the writer also keeps the event-type catalog:
// each group's catalogued events are staged into its batch and merged once
// it is written, and the changed pairs are written as one batch at most every
// options.event_types_flush_interval while any changed (the writer wakes
// for it when idle), and once more when it stops (event_type_table.hpp).
//
// Internal to storage/ (includes RocksDB). The Database (and the
// EventTypeTable, if any) must outlive the GroupWriter. `done` callbacks and jobs run on the writer thread; they must
// not throw and must not wait for the writer (e.g. call Store::expire).
// stop() (also run by the destructor) refuses new requests with
// storage_errc::closed, lets the writer drain the queue, and joins it.

#include "storage/database.hpp"
#include "storage/store.hpp"
#include "storage/transition.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace hookd::storage {

class EventTypeTable;

class GroupWriter {
 public:
  using Done = Store::Done;
  using Job = std::function<void()>;

  GroupWriter(Database& db, const StoreOptions& options,
              EventTypeTable* event_types = nullptr);
  ~GroupWriter();
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  // Store::submit(), Store::update_deliveries() and
  // Store::put_subscription_state() contracts. Against max_write_queue an
  // ingest request counts one unit per event plus one per delivery, an
  // update one per delivery, a subscription state one.
  error_code submit(std::vector<IngestRecord> records, Done done);
  error_code update(std::vector<Store::DeliveryUpdate> updates, Done done);
  // The Store's transitions: all of `transitions` or none. One unit each.
  error_code transition(std::vector<Transition> transitions, Done done);
  error_code put_subscription_state(std::string name, SubscriptionState state,
                                    Done done);
  // Store::put_api_subscription(), or erase_api_subscription() for nullopt.
  error_code put_api_subscription(std::string name, std::optional<std::string> document,
                                  Done done);
  // Queues a job; never busy. storage_errc::closed after stop().
  error_code post(Job job);

  // Writes `batch` as the writer does (sync mode, test fault hook). Only on
  // the writer thread, i.e. from a posted job.
  error_code commit(rocksdb::WriteBatch& batch);

  void stop();

  std::uint64_t writes() const noexcept { return writes_.load(); }
  std::uint64_t records_written() const noexcept {
    return records_written_.load();
  }
  std::uint64_t queue_depth() const noexcept { return queued_units_.load(); }

 private:
  struct Request {
    enum class Kind { ingest, update, transition, subscription, api_subscription, job };
    Kind kind = Kind::job;
    std::vector<IngestRecord> records;           // ingest
    std::vector<Store::DeliveryUpdate> updates;  // update
    std::vector<Transition> transitions;         // transition
    std::string subscription;                    // subscription
    SubscriptionState state;                     // subscription
    std::optional<std::string> document;         // api_subscription; nullopt: erase
    Done done;
    Job job;
  };
  class Group;

  // The pending deliveries the writer last wrote, as stored (the writer is
  // the deliveries' only writer), so that a transition is checked against
  // its record without reading it back: an attempt's outcome usually
  // follows its delivery's write by less than a generation. Two generations
  // of at most kRecentGeneration records each: when the newer fills, it
  // becomes the older and the older is dropped. A record leaving pending
  // leaves the cache; a job (which may write or delete anything) and a
  // failed write empty it. Writer thread only.
  using Recent = std::unordered_map<std::string, Delivery>;
  static constexpr std::size_t kRecentGeneration = 16384;
  const Delivery* recent(const std::string& id) const;
  void remember(Recent& written);  // moves the group's written records in
  void forget_recent();

  error_code enqueue(Request request, std::uint64_t units);
  void run();
  // Returns once a request is queued, the writer is stopping, or
  // options_.busy_poll has passed.
  void poll_for_work();
  // More ingest requests in one group than this: the load is heavy, and the
  // writer does not poll for busy_poll after it.
  static constexpr std::ptrdiff_t kMaxLightGroup = 4;
  void process(std::vector<Request>& requests);
  // Writer thread: when the catalog has changed pairs, when to write them.
  std::optional<std::chrono::steady_clock::time_point> event_types_due() const;
  void flush_event_types();

  Database& db_;
  const StoreOptions options_;
  EventTypeTable* const event_types_;
  std::chrono::steady_clock::time_point last_types_flush_;  // writer thread

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request> queue_;                  // guarded by mu_
  bool stopping_ = false;                       // guarded by mu_
  bool urgent_ = false;     // a request other than a transition is queued; guarded by mu_
  bool gathering_ = false;  // the writer waits out outcome_delay; guarded by mu_
  std::atomic<std::uint64_t> queued_units_{0};  // written under mu_
  std::atomic<bool> has_work_{false};           // queue_ not empty or stopping_; written under mu_

  Recent recent_[2];  // [0] newer; writer thread

  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> records_written_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace hookd::storage
