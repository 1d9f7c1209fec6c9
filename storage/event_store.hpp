#pragma once
// EventStore: the storage seam. Everything the daemon (ingest, delivery,
// admin, metrics) reads and writes of hookd's durable state, with no backend
// type in sight: only core types, result<> and error_code. storage::Store
// (store.hpp) implements it on RocksDB; a replicated backend implements it
// beside that one, and only daemon/app.cpp (and tests) name a backend.
//
// Threads: reads may be called from any thread, concurrently (a backend's
// point reads are cheap enough for the io thread). Writes (submit(), the
// delivery transitions and put_subscription_state()) are queued to one writer
// that group-commits every queued request (one synced write for many), then
// calls each request's `done` exactly once, on the writer thread. A request is
// all-or-nothing. A queueing call returns storage_errc::busy when the queue is
// over its bound and storage_errc::closed after shutdown began; then `done` is
// never called. `done` must not throw and must not wait for the writer.
//
// Delivery transitions say what happened and carry only what that needs.
// Each is applied by the writer against the record as stored (including the
// earlier requests of its group), so the check and the write are one step and
// two transitions of one delivery cannot race; each keeps the listings
// (pending by due time, by subscription and state) in step, and records its
// attempt, if given, in the same atomic write. A transition the stored record
// does not allow is refused (storage_errc::invalid_transition, or
// attempt_mismatch for an attempt number that does not follow the stored
// count; storage_errc::not_found for an unknown id), failing its own request
// only, not the others of its group. The rules: storage/transition.hpp.
//
// Lifetime: the store outlives every pending `done` and every StartupView.

#include "core/errors.hpp"
#include "core/event.hpp"
#include "core/event_types.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd::storage {

// Everything one accepted event writes: the event, its idempotency key
// (event.source + event.idempotency_key) and one pending delivery per match.
struct IngestRecord {
  Event event;
  std::vector<Delivery> deliveries;
  // Counted in the event-type catalog: set by ingest for a newly accepted
  // event, left false by a replay (the event was counted when received).
  bool catalog = false;
};

struct StoreStats {
  std::uint64_t writes = 0;           // synced writes issued by the writer
  std::uint64_t records_written = 0;  // events written
  std::uint64_t queue_depth = 0;      // units (max_write_queue) waiting for the writer now
  std::uint64_t disk_bytes = 0;       // live bytes on disk (estimate)
  std::uint64_t event_types = 0;          // (source, type) pairs catalogued
  std::uint64_t event_types_dropped = 0;  // events not catalogued: catalog full
};

// The event-type catalog as GET /v1/event-types shows it.
struct EventTypeListing {
  std::vector<EventTypeEntry> entries;  // by source, then type
  std::uint64_t dropped = 0;            // events not catalogued since start
  std::size_t max_pairs = 0;
};

using DeliveryCounts = std::map<std::pair<std::string, DeliveryState>, std::uint64_t>;

// One pending delivery as the start-up load sees it: what the scheduler
// holds in memory of it. The views are valid during the callback only.
struct PendingEntry {
  std::string_view id;
  std::string_view subscription;
  std::int64_t next_attempt_ms = 0;
};

class EventStore {
 public:
  using Done = std::function<void(error_code)>;

  virtual ~EventStore() = default;

  // --- Writes (queued; see the contract above) ---

  // Records for one atomic write: events, their keys and new deliveries.
  virtual error_code submit(std::vector<IngestRecord> records, Done done) = 0;

  // The outcome of an attempt of a pending delivery, recording `attempt`
  // (number stored attempts + 1) when given; updated_ms = now_ms.
  // Delivered: last_error cleared. Refused unless pending.
  virtual error_code mark_delivered(std::string id, std::int64_t now_ms,
                                    std::optional<Attempt> attempt, Done done) = 0;
  // Still pending, due at next_attempt_ms (now_ms after a 410: the paused
  // subscription holds it). Refused unless pending.
  virtual error_code schedule_retry(std::string id, std::int64_t now_ms,
                                    std::int64_t next_attempt_ms, std::string last_error,
                                    std::optional<Attempt> attempt, Done done) = 0;
  // Dead letter. Refused unless pending.
  virtual error_code mark_dead(std::string id, std::int64_t now_ms, std::string last_error,
                               std::optional<Attempt> attempt, Done done) = 0;
  // Each delivery pending again, due at now_ms, with a fresh attempt budget
  // (attempt_base = attempts); last_error is kept. Refused for a delivered
  // one. One atomic request: one refused id refuses them all.
  virtual error_code requeue(std::vector<std::string> ids, std::int64_t now_ms,
                             Done done) = 0;

  // Persisted per-subscription state (paused by 410 or by an operator),
  // keyed by name; a put replaces the previous state.
  virtual error_code put_subscription_state(std::string name, SubscriptionState state,
                                            Done done) = 0;

  // Each delivery that is still pending becomes cancelled, with `reason` as
  // its last error; one that is not pending any more (delivered or dead by an
  // attempt that raced the cancel) is left as it is. One unit per id.
  virtual error_code cancel(std::vector<std::string> ids, std::int64_t now_ms, std::string reason,
                            Done done) = 0;

  // Subscriptions created over the admin API: name -> the daemon's own
  // document (opaque here). A put replaces; an erase also drops the name's
  // SubscriptionState. One unit each.
  virtual error_code put_api_subscription(std::string name, std::string document, Done done) = 0;
  virtual error_code erase_api_subscription(std::string name, Done done) = 0;

  // --- Reads (any thread) ---

  // Event id stored under (source, key), unless absent or older than the
  // dedup window at `now_ms`.
  virtual result<std::optional<std::string>> find_idempotency(std::string_view source,
                                                              std::string_view key,
                                                              std::int64_t now_ms) = 0;
  virtual result<std::optional<Event>> get_event(std::string_view id) = 0;
  virtual result<std::optional<Delivery>> get_delivery(std::string_view id) = 0;
  virtual result<std::vector<Delivery>> deliveries_of(std::string_view event_id) = 0;
  // Every recorded attempt of a delivery, in attempt order.
  virtual result<std::vector<Attempt>> attempts_of(std::string_view delivery_id) = 0;
  // Events in id (time) order with id > after, at most `limit`.
  virtual result<std::vector<Event>> list_events(std::string_view after,
                                                 std::size_t limit) = 0;
  // Deliveries in bytewise id order with id > after (which need not exist),
  // at most `limit`, filtered by subscription (empty: any) and state
  // (nullopt: any), from one consistent view.
  virtual result<std::vector<Delivery>> list_deliveries(std::string_view subscription,
                                                        std::optional<DeliveryState> state,
                                                        std::string_view after,
                                                        std::size_t limit) = 0;
  // In name order.
  virtual result<std::vector<std::pair<std::string, SubscriptionState>>>
  load_subscription_states() = 0;
  // Every API subscription document, in name order.
  virtual result<std::vector<std::pair<std::string, std::string>>> load_api_subscriptions() = 0;

  // A consistent view taken now, to be read later on any (one) thread: what
  // the daemon loads at start without making its listeners wait. Whatever
  // changes after it was taken reaches the scheduler by other means.
  class StartupView {
   public:
    virtual ~StartupView() = default;
    // Count of deliveries per (subscription, state).
    virtual result<DeliveryCounts> count_deliveries() = 0;
    // Pending deliveries in due-time order; stops early (without error) when
    // fn returns false. Read from an index where the backend has one: an
    // entry the record no longer agrees with is possible only after damage,
    // and each attempt re-reads its delivery anyway.
    virtual error_code for_each_pending(const std::function<bool(const PendingEntry&)>& fn) = 0;
  };
  virtual std::unique_ptr<StartupView> startup_view() = 0;

  // The event-type catalog (every (source, type) accepted, with counts and
  // first/last seen), of every source or of `source`; nullopt when the
  // backend keeps none (turned off). Served from memory: any thread.
  virtual std::optional<EventTypeListing> event_types(
      std::optional<std::string_view> source) const = 0;

  virtual StoreStats stats() const = 0;
};

}  // namespace hookd::storage
