#pragma once
// Store: hookd's durable state in RocksDB, the EventStore (event_store.hpp)
// the daemon runs on. Only daemon/app.cpp and tests name it, to open it and
// for what is RocksDB's own (expire, flush, compact, raw updates); nothing
// outside storage/ includes RocksDB headers.
//
// Column families: "events" (event id -> event), "idem" (source \0 key ->
// expiry + event id), "deliveries" (delivery id -> delivery), "pending"
// (due time + delivery id -> subscription; the index load_pending() reads,
// and all that startup_view() reads of a pending delivery),
// "attempts" (delivery id \0 attempt number -> attempt), "by_state" (state +
// subscription \0 delivery id -> empty; the index list_deliveries() and
// count_deliveries() read), "subscriptions" (name -> state),
// "api_subscriptions" (name -> the daemon's document of an API subscription)
// and "event_types" (source \0 type -> count, first and last seen; the
// event-type catalog, event_type_table.hpp). Both indexes
// change in the same batch as the deliveries they index; opening a database
// written before by_state existed builds that index once (delivery_index.hpp).
//
// Threads: EventStore's contract. Reads may be called from any thread
// (RocksDB is thread-safe; point reads are cheap enough for the io thread).
// Writes (submit(), the transitions, update_deliveries() and
// put_subscription_state()) are queued to one writer thread (group_writer.hpp)
// that gathers every queued request into a single WriteBatch and one (synced,
// for SyncMode::group) write, then calls each request's `done` on the writer
// thread. A request is all-or-nothing: its records are in one WriteBatch. A
// transition is checked there, against the stored record, before its request
// joins the batch; a refused one fails alone.
//
// Lifetime: the Store must outlive every pending `done`; the destructor stops
// the writer after draining its queue, then flushes and closes the database.

#include "core/config/config.hpp"
#include "core/errors.hpp"
#include "core/event.hpp"
#include "storage/event_store.hpp"

#include <atomic>
#include <cstdint>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookd::storage {

// Queued outcomes at which the writer stops gathering them
// (StoreOptions::outcome_delay) and writes.
inline constexpr std::uint64_t kOutcomeGroupUnits = 128;
// Outcomes in a group of nothing else from which the writer gathers the
// next group: they are streaming in.
inline constexpr std::uint64_t kOutcomeStreamUnits = 4;

struct StoreOptions {
  std::string path;
  SyncMode sync = SyncMode::group;
  Duration dedup_window{24LL * 3600 * 1000};
  Duration retention{7LL * 24 * 3600 * 1000};
  // Queued units beyond which a request is refused with busy: an ingest
  // request counts its events plus their deliveries (100 records routed to 5
  // subscriptions: 600), a transition or update one per delivery. A request
  // larger than the bound is admitted only into an empty queue, so it cannot
  // starve.
  std::uint32_t max_write_queue = 65536;
  // The event-type catalog (event_type_table.hpp): kept at all, its cap on
  // (source, type) pairs, and how often changed counts are written.
  bool event_types = true;
  std::size_t max_event_types = kDefaultMaxEventTypes;
  Duration event_types_flush_interval{1000};
  // After writing a group that held events, how long the writer polls its
  // queue for the next request before it sleeps on its condition variable
  // (server.busy_poll_us): a light load's next event then finds it running,
  // with no wake-up on either side. After a group of outcomes and other
  // writes only, it sleeps at once: nobody waits on their latency. 0: it
  // always sleeps at once.
  std::chrono::microseconds busy_poll{0};
  // How long the writer gathers a group that holds only delivery outcomes
  // (transitions: delivered, retry, dead, requeue, cancel) before writing it
  // (storage.outcome_delay_us), so that a delivery backlog's stream of
  // outcomes shares fsyncs. It gathers only after a group of at least
  // kOutcomeStreamUnits outcomes and nothing else (so a light load's lone
  // outcome is written at once), and writes at once when any other request
  // (an event, a subscription, a job) joins the queue, when
  // kOutcomeGroupUnits outcomes are queued, or when it stops. Only the
  // delivery's next attempt waits on its outcome's write (its slot is free
  // already). 0: every group is written as soon as the writer takes it.
  std::chrono::microseconds outcome_delay{0};
  // Test-only fault injection: while *fail_writes_for_test is true the
  // writer fails every write with storage_errc::io_error without touching
  // the database. Leave it null in production.
  std::shared_ptr<std::atomic<bool>> fail_writes_for_test;
  // Test-only, the same for another process: while a file exists at this
  // path, every write fails with storage_errc::io_error. hookd sets it from
  // $HOOKD_TEST_FAIL_WRITES_FILE (daemon/app.cpp), for the end-to-end storage
  // fault tests. Empty (off) by default; leave it empty in production.
  std::string fail_writes_file_for_test;
  // Test-only: expire() calls it on its own thread after scanning a chunk and
  // before queueing that chunk's deletes, so that a test can change a
  // delivery in between. Leave it empty in production.
  std::function<void()> after_expiry_scan_for_test;
};

struct ExpiryStats {
  std::uint64_t events_deleted = 0;
  std::uint64_t deliveries_deleted = 0;
  // Always 0: expire() no longer scans the idem keys (see expire()). Kept so
  // that callers reporting it need not change.
  std::uint64_t keys_deleted = 0;
  // Event-type catalog pairs last seen before now - retention.
  std::uint64_t event_types_deleted = 0;
};

class Store final : public EventStore {
 public:
  using EventStore::Done;

  // Opens (creating if missing) the database at options.path. A database
  // that cannot be opened is an error whose message says why.
  static result<std::unique_ptr<Store>> open(const StoreOptions& options,
                                             std::string* why = nullptr);
  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Event id stored under (source, key), unless absent or older than the
  // dedup window at `now_ms`.
  result<std::optional<std::string>> find_idempotency(std::string_view source,
                                                      std::string_view key,
                                                      std::int64_t now_ms) override;

  // Queues records for one atomic write. Returns storage_errc::busy (and
  // never calls `done`) when the queue is over its bound, storage_errc::closed
  // after shutdown began; otherwise `done` is called exactly once on the
  // writer thread, with no error once the write is durable.
  error_code submit(std::vector<IngestRecord> records, Done done) override;

  // EventStore's transitions, checked on the writer thread against the
  // stored record (transition.hpp); each request one unit of the queue.
  error_code mark_delivered(std::string id, std::int64_t now_ms,
                            std::optional<Attempt> attempt, Done done) override;
  error_code schedule_retry(std::string id, std::int64_t now_ms, std::int64_t next_attempt_ms,
                            std::string last_error, std::optional<Attempt> attempt,
                            Done done) override;
  error_code mark_dead(std::string id, std::int64_t now_ms, std::string last_error,
                       std::optional<Attempt> attempt, Done done) override;
  error_code requeue(std::vector<std::string> ids, std::int64_t now_ms, Done done) override;

  // Raw, unchecked writes of whole delivery records, for tests of the codec
  // and the indexes (the daemon uses the transitions above): queues state
  // changes of existing deliveries (attempts, state, due time, last error),
  // keeping the pending and by_state indexes in step. Same contract as
  // submit(); an unknown delivery id fails the whole request with not_found.
  error_code update_deliveries(std::vector<Delivery> deliveries, Done done);

  // The same, each update optionally recording the attempt that caused it
  // (attempts CF: delivery id + attempt number -> Attempt). The delivery's
  // state change and its attempt record are in one atomic write. Recording a
  // number again replaces that attempt. Each attempt should come with a change
  // to the delivery's record (its attempts count): expire() relies on it.
  struct DeliveryUpdate {
    Delivery delivery;
    std::optional<Attempt> attempt;
  };
  error_code update_deliveries(std::vector<DeliveryUpdate> updates, Done done);
  // Every recorded attempt of a delivery, in attempt order.
  result<std::vector<Attempt>> attempts_of(std::string_view delivery_id) override;

  // Persisted per-subscription state (paused by 410 or by an operator),
  // keyed by name; a put replaces the previous state. Queued like submit(),
  // counting one unit. load_subscription_states() returns them in name order.
  error_code put_subscription_state(std::string name, SubscriptionState state,
                                    Done done) override;
  result<std::vector<std::pair<std::string, SubscriptionState>>>
  load_subscription_states() override;

  error_code cancel(std::vector<std::string> ids, std::int64_t now_ms, std::string reason,
                    Done done) override;
  error_code put_api_subscription(std::string name, std::string document, Done done) override;
  error_code erase_api_subscription(std::string name, Done done) override;
  result<std::vector<std::pair<std::string, std::string>>> load_api_subscriptions() override;

  // Deliveries in id order with id > after, at most `limit`, filtered by
  // subscription (empty: any) and state (nullopt: any). Served from a
  // (state, subscription, id) index, so listing dead letters of one
  // subscription does not scan the others. Ids compare bytewise ("E.10"
  // before "E.2"), and `after` need not exist any more. With a state but no
  // subscription, the runs of every subscription in that state are merged by
  // id; with neither, the deliveries are scanned from `after`. One snapshot.
  result<std::vector<Delivery>> list_deliveries(
      std::string_view subscription, std::optional<DeliveryState> state,
      std::string_view after, std::size_t limit) override;
  // Count of deliveries per (subscription, state), from the same index. Scans
  // all of it: O(deliveries) key reads. For start-up, not for each request.
  result<DeliveryCounts> count_deliveries();

  result<std::optional<Event>> get_event(std::string_view id) override;
  result<std::optional<Delivery>> get_delivery(std::string_view id) override;
  result<std::vector<Delivery>> deliveries_of(std::string_view event_id) override;
  // Events in id (time) order with id > after, at most `limit`.
  result<std::vector<Event>> list_events(std::string_view after,
                                         std::size_t limit) override;
  // Every pending delivery, in due-time order.
  result<std::vector<Delivery>> load_pending();

  // A RocksDB snapshot taken now (counts per subscription and state, and
  // every pending delivery, read later on any thread). Whatever changes after
  // the view was taken reaches the scheduler by other means (enqueue, and
  // each attempt's re-read of its delivery). The Store must outlive the view.
  std::unique_ptr<StartupView> startup_view() override;
  // The same, one delivery at a time (in due-time order), without holding
  // them all: what the scheduler uses to rebuild its wheel at start.
  error_code for_each_pending(const std::function<void(const Delivery&)>& fn);

  // The event-type catalog, from memory; nullopt with event_types off.
  std::optional<EventTypeListing> event_types(
      std::optional<std::string_view> source) const override;
  // The catalog as stored (the "event_types" family), which counts lag
  // behind memory by at most the flush interval. For tests and tools.
  result<std::vector<EventTypeEntry>> stored_event_types();

  // Deletes events older than the retention with their deliveries, attempts
  // and index keys, keeping any event that still has a pending delivery.
  // Then drops the event-type catalog's pairs last seen before the
  // retention (event_type_table.hpp).
  // Idem keys are left to the compaction filter: past the window they are
  // already invisible to find_idempotency(). Scans on the calling thread and
  // sends only the deletes, in short chunks, through the writer; an event
  // whose deliveries changed meanwhile is kept for the next run (expiry.hpp).
  // Blocks the caller until done; calls are serialized. Never call it from a
  // `done` callback: that would deadlock.
  result<ExpiryStats> expire(std::int64_t now_ms);

  // Makes everything written so far durable (WAL sync + memtable flush).
  error_code flush();

  // Flushes, then compacts every column family now, which also drops idem
  // keys expired by the wall clock. For maintenance and tests; can take long.
  error_code compact();

  // disk_bytes: live SST bytes of every column family plus the WAL's.
  StoreStats stats() const override;

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::storage
