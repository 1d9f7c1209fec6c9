#pragma once
// GroupWriter: the one thread that writes to the database (group commit).
//
// submit(), update(), transition(), put_subscription_state() and post() queue a request
// under a mutex and wake the writer. The writer takes every queued request at
// once, puts the records of all of them into one rocksdb::WriteBatch and issues
// one DB::Write, then calls each request's `done` with the result once the
// write is durable: a failed write fails the whole group and leaves nothing
// of it behind.
//
// Pipelined commit (SyncMode::group). The writer's DB::Write is not synced:
// it appends the group to the WAL and the memtables. The group's requests
// then wait for one WAL sync (DB::SyncWAL). When no request is queued and no
// sync is under way, the writer syncs at once itself (a light load's ack has
// no hand-off). Otherwise it hands the group to a second thread
// (hookd-walsync) and goes on building the next one: group N+1 is written
// while N syncs, and one sync covers every group handed over meanwhile.
// Groups complete in the order they were written. Written groups waiting for
// a sync are bounded: past max_write_queue units of them, the writer waits.
//
// A group is readable (in the memtables) before it is durable. Nothing
// answers a sender from such a read: an event being written is found in the
// ingest's in-flight map first, which keeps it until its write completes,
// and anything the writer derives from a read (a transition's check) is
// later in the WAL, so durable only if what it read is. A failed WAL sync
// cannot be undone in the memtables, so it is final, as a failed synced
// write is in RocksDB itself: from then on every request fails with
// storage_errc::io_error, and so does find_idempotency(), which could
// otherwise report an event that may not be on disk; a restart recovers
// what the WAL holds. Jobs posted with post() run on the writer thread in queue order,
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
// EventTypeTable, if any) must outlive the GroupWriter. Jobs run on the
// writer thread; `done` callbacks run on the writer thread or the sync
// thread. They must not throw and must not wait for the writer (e.g. call
// Store::expire).
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

  // Writes `batch` synced (for SyncMode::group) with the test fault hook.
  // Only on the writer thread, i.e. from a posted job.
  error_code commit(rocksdb::WriteBatch& batch);

  void stop();

  // True once a WAL sync has failed (see above); then every write fails.
  bool failed() const noexcept { return sync_failed_.load(std::memory_order_acquire); }

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
    std::uint64_t units = 0;  // against max_write_queue
  };
  class Group;

  // A group's requests once its batch is written (or failed), waiting for
  // the WAL sync that makes it durable.
  struct Written {
    std::vector<Done> included;
    std::vector<std::pair<Done, error_code>> refused;  // each with its own error
    error_code write_ec;  // the write failed: nothing to sync
    bool wrote = false;   // the batch held records
    std::uint64_t units = 0;
  };
  // Writer thread: completes `written` once durable, at once or through the
  // sync thread (see above).
  void finish(Written written);
  // DB::Write with the test fault hooks; io_error once failed().
  error_code write(rocksdb::WriteBatch& batch, bool sync = false);
  // One WAL sync (with the test fault hook); a failure is final.
  error_code sync_wal();
  static void complete(Written& written, error_code sync_ec);
  void run_syncer();

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
  std::atomic<std::uint64_t> queued_units_{0};  // written under mu_
  std::atomic<bool> has_work_{false};           // queue_ not empty or stopping_; written under mu_

  Recent recent_[2];  // [0] newer; writer thread

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;  // the sync thread waits for groups
  std::condition_variable room_cv_;  // the writer waits for room
  std::vector<Written> to_sync_;     // guarded by sync_mu_
  bool syncing_ = false;             // the sync thread holds groups; guarded
  bool sync_stopping_ = false;       // guarded
  std::uint64_t unsynced_units_ = 0; // in to_sync_ and being synced; guarded
  std::atomic<bool> sync_failed_{false};
  bool handed_off_ = false;  // the last group went to the sync thread; writer thread

  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> records_written_{0};
  std::thread syncer_;  // last two: started once everything above exists
  std::thread thread_;
};

}  // namespace hookd::storage
