#pragma once
// DeliveryScheduler: drives every pending delivery to its subscriber.
//
// Pending deliveries are held in memory as small items (delivery id and
// subscription) in a slab; those waiting for a retry sit on a TimerWheel
// that one steady_timer sleeps on until the next due tick (no polling).
// New deliveries from ingest skip the wheel and start at once. Due items go
// to a per-subscription ready queue; dispatch() starts attempts round-robin
// across subscriptions within the global and per-subscription max_in_flight,
// so a hanging or failing subscription uses only its own share (the
// DispatchQueue of core/delivery). An origin that fails repeatedly gets one
// probe at a time; the others wait (without spending attempts) until a probe
// succeeds, then drain at full speed (its OriginBreaker).
//
// An attempt's outcome (and its attempt record) is written durably before it
// is acted on: a delivered delivery is never sent again after a restart, and
// a pending one always is (at-least-once). A failed outcome write is a local
// fault, not the subscriber's: the verdict stays in memory and only the write
// is retried (kWriteRetryFirst doubling to kWriteRetryMax), never the POST.
// While any write is being retried, dispatch() starts no attempt and
// writes_failing() is true (/readyz answers 503), so the verdicts held are
// bounded by the attempts in flight; the first write that succeeds wakes the
// others and dispatch resumes. On stop the retries give up: the delivery
// stays pending in storage and is sent again after a restart.
//
// At most one item (so at most one attempt) exists per delivery id: enqueue()
// of a delivery already in memory is a no-op, or, while it is in flight,
// makes it ready again once that attempt ends (it then re-reads storage).
//
// Threads: io thread only. Lifetime: the store and the pool outlive it.

#include "core/config/config.hpp"
#include "core/delivery/dispatch_queue.hpp"
#include "core/delivery/origin_breaker.hpp"
#include "core/event.hpp"
#include "core/delivery/outgoing.hpp"
#include "core/delivery/timer_wheel.hpp"
#include "core/delivery/token_index.hpp"
#include "core/stats_series.hpp"
#include "daemon/delivery/conn_pool.hpp"
#include "daemon/http/net.hpp"
#include "storage/event_store.hpp"

#include <array>
#include <atomic>
#include <future>
#include <thread>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace hookd::daemon {

class TaskGroup;  // daemon/http/task_group.hpp

class StorageReader;

// Progress of one replay, updated on the io thread after each chunk.
struct ReplayProgress {
  std::uint64_t scanned = 0;  // stored events read in the range
  std::uint64_t matched = 0;  // of those, events the subscription matches
  std::uint64_t created = 0;  // deliveries made durable and enqueued
  bool stop = false;          // set to end the replay after its current chunk
  std::function<void()> on_chunk;  // called after each chunk, if set
};

// Attempt latency buckets (seconds) of hookd_delivery_duration_seconds.
inline constexpr auto kLatencyBuckets = kLatencyBounds;

struct SubscriptionCounters {
  std::uint64_t delivered = 0;
  std::uint64_t failed_attempts = 0;
  std::uint64_t dead = 0;       // dead-lettered since start
  std::uint64_t pending = 0;    // in memory now (ready, waiting, in flight)
  std::uint64_t in_flight = 0;
  // Non-cumulative counts per kLatencyBuckets bound, then +Inf.
  std::array<std::uint64_t, kLatencyBuckets.size() + 1> latency_buckets{};
  double latency_sum_seconds = 0;
  std::uint64_t latency_count = 0;
};

// What the admin API shows of a subscription.
struct SubscriptionStatus {
  std::string name;
  std::string url;            // without query string
  bool enabled = true;        // in the current config and enabled there
  bool paused = false;
  std::string paused_reason;
  bool failing = false;       // its origin is being probed
  SubscriptionCounters counters;
  std::uint64_t dead_total = 0;  // dead deliveries in storage
};

class DeliveryScheduler {
 public:
  using Clock = std::chrono::steady_clock;
  // Retries within kFineSpan wait on the fine wheel (10 ms ticks); later ones
  // on the coarse wheel (1 s ticks), so a million retries hours away cost one
  // wake-up a second, not a slot scan every 10 ms.
  static constexpr std::chrono::milliseconds kTick{10};
  static constexpr std::chrono::milliseconds kCoarseTick{1000};
  static constexpr std::chrono::milliseconds kFineSpan{10'000};
  // Backoff of a failed local write (outcome, 410 pause) before it is retried.
  static constexpr std::chrono::milliseconds kWriteRetryFirst{50};
  static constexpr std::chrono::milliseconds kWriteRetryMax{5000};

  DeliveryScheduler(net::io_context& ioc, storage::EventStore& store, ConnPool& pool,
                    std::shared_ptr<const Config> config);
  ~DeliveryScheduler();

  // Loads subscription states, starts the timer loop, and starts loading
  // the pending deliveries and dead counts of a snapshot taken now on a
  // loader thread, in chunks handed to the io thread, so that listeners need
  // not wait for a large backlog. Deliveries enqueued meanwhile are not
  // loaded twice (one item per delivery id), and each attempt re-reads its
  // delivery, so one that changed after the snapshot is not sent again.
  error_code start();
  // True until every pending delivery of the start snapshot is in memory.
  bool loading() const noexcept { return loading_; }
  // Applies a new config: later attempts use the new subscription settings.
  void set_config(std::shared_ptr<const Config> config);
  // Deliveries just made durable by ingest: attempted at once.
  void enqueue(const std::vector<Delivery>& deliveries);
  // The same from any thread. From another one, deliveries gather in an
  // inbox that one posted drain hands to enqueue() on the scheduler's
  // thread: one cross-thread wake-up per drain, not per call. The inbox
  // holds only deliveries already durable and empties as soon as that
  // thread runs, so it is bounded by the writes in flight.
  void enqueue_from_any_thread(const std::vector<Delivery>& deliveries);
  // Stops starting attempts; in-flight ones finish.
  void stop();
  // Attempts are spawned into `tasks` (shutdown cancels and waits for them).
  void set_task_group(TaskGroup* tasks) { tasks_ = tasks; }
  // Stops and joins the loader thread (after the io loop ended, before the
  // store goes away; a stopped load leaves the rest pending in storage).
  void wait_loader();

  // Admin operations (SPEC section 5); io thread. Each change is durable
  // before the coroutine completes. Unknown names and ids: storage_errc::not_found;
  // retrying a delivered delivery: delivery_errc::already_delivered.
  std::vector<SubscriptionStatus> subscriptions() const;
  std::optional<SubscriptionStatus> subscription(std::string_view name) const;
  net::awaitable<error_code> pause(std::string name);
  net::awaitable<error_code> resume(std::string name);
  // A pending delivery becomes due now; a dead one pending again with a fresh attempt budget.
  net::awaitable<result<Delivery>> retry(std::string delivery_id);
  // A new delivery to `name` for every stored event received in [since, until) it matches.
  // Scans in chunks on the reader (set_reader), routing there, so only
  // matched events come back to the io thread; a replay whose progress->stop
  // is set ends after its current chunk with the count so far.
  net::awaitable<result<std::size_t>> replay(std::string name, std::int64_t since_ms,
                                             std::int64_t until_ms,
                                             std::shared_ptr<ReplayProgress> progress = nullptr);
  // A deleted subscription's name is free again: its pause and its counts
  // (all but what attempts still in flight hold) are dropped.
  void forget_subscription(const std::string& name);
  // Every dead delivery of `name` pending again with a fresh attempt budget.
  net::awaitable<result<std::size_t>> redeliver_dead(std::string name);

  // The admin operations' scans and multi-key reads run on `reader` (owned
  // by App, outlives the scheduler); without one they run on the io thread.
  void set_reader(StorageReader* reader) { reader_ = reader; }
  // Each attempt's delivery and event reads run on `reader` (owned by App,
  // outlives the scheduler; its own threads, so that admin scans never delay
  // an attempt); without one they run on the io thread.
  void set_attempt_reader(StorageReader* reader) { attempt_reader_ = reader; }

  std::size_t in_flight() const noexcept { return queue_.in_flight(); }
  // True while some verdict or pause could not be written and is being
  // retried; dispatch is paused meanwhile.
  bool writes_failing() const noexcept { return held_writes_ > 0; }
  std::size_t pending() const noexcept { return live_items_; }
  const std::map<std::string, SubscriptionCounters>& counters() const { return counters_; }
  // Attempts per minute of the last hour, per subscription of the config
  // (GET /v1/stats/series); a deleted or removed subscription's is dropped.
  const SeriesMap<SubscriptionMinute>& series() const { return series_; }

  struct Item;
  struct SubState;

 private:
  using Token = std::uint32_t;

  Token add_item(std::string_view delivery_id, std::string_view subscription);
  std::optional<Token> find_item(std::string_view delivery_id) const;
  void free_item(Token t);
  // The attempt of `t` is over and its delivery finished: frees the item, or
  // makes it ready again if enqueue() asked for that meanwhile.
  void finish_item(Token t);
  void schedule_at(Token t, std::int64_t due_wall_ms);
  // The same, with the clocks as read by the caller at (wall_ms, now).
  void schedule_at(Token t, std::int64_t due_wall_ms, std::int64_t wall_ms, Clock::time_point now);
  void make_ready(Token t);
  void dispatch();
  net::awaitable<void> timer_loop();
  net::awaitable<void> attempt(Token t);
  net::awaitable<error_code> persist(Delivery d, std::optional<Attempt> a);
  net::awaitable<error_code> persist_state(std::string name, SubscriptionState st);
  // Runs `write` until it succeeds, retrying only the write (see the class
  // comment). False when it gave up: the scheduler stopped, or the record is
  // gone (not_found) so that nothing is left to record.
  net::awaitable<bool> until_durable(std::function<net::awaitable<error_code>()> write,
                                     std::string what, std::string sub, std::string delivery_id);
  // 410: the pause is durable before it takes effect. False as until_durable.
  net::awaitable<bool> pause_subscription(std::string name, std::string reason,
                                          std::string delivery_id);
  void release_origin(const std::string& origin, Token t, bool success, Duration retry_delay);
  void abandon_probe(const std::string& origin, Token t);
  std::uint64_t now_tick() const;
  std::uint64_t now_coarse_tick() const;
  void schedule_tick(Token t, std::uint64_t fine_tick);
  void rearm_if_earlier(Clock::time_point when);
  SubState& sub_state(std::string_view name);
  // Frees a forgotten subscription's state and index once no item holds it,
  // so that creating and deleting API subscriptions does not grow memory.
  void maybe_recycle(SubState& s);

  net::io_context& ioc_;
  std::mutex inbox_mu_;
  std::vector<Delivery> inbox_;  // enqueue_from_any_thread()'s, awaiting the drain
  bool inbox_posted_ = false;    // a drain is queued
  storage::EventStore& store_;
  ConnPool& pool_;
  std::shared_ptr<const Config> config_;
  TimerWheel wheel_;
  TimerWheel coarse_;
  Clock::time_point epoch_;
  net::steady_timer wake_;
  Clock::time_point armed_at_ = Clock::time_point::max();  // when the timer loop wakes
  std::vector<Item> items_;
  std::vector<Token> free_items_;
  std::size_t live_items_ = 0;
  // Hash of a live item's delivery id -> its token (find_item compares ids).
  TokenIndex by_id_;
  // Delivery ids an admin transition (retry, redelivery) is writing now.
  std::unordered_set<std::string> claimed_;
  // Bumped when an admin transition's write completes: a page read on the
  // reader before a bump may be stale and is read again.
  std::uint64_t admin_epoch_ = 0;
  StorageReader* reader_ = nullptr;
  StorageReader* attempt_reader_ = nullptr;
  std::size_t held_writes_ = 0;  // writes being retried (until_durable)
  std::unordered_set<net::steady_timer*> write_waits_;  // their backoff timers
  std::map<std::string, std::unique_ptr<SubState>, std::less<>> subs_;
  std::vector<std::string> sub_names_;  // index -> name (items keep the index)
  std::vector<SubState*> sub_by_index_;  // index -> state; null: free
  std::vector<std::uint16_t> free_subs_;  // recycled indexes
  // Due deliveries per subscription, and what is in flight (core/delivery).
  DispatchQueue queue_;
  std::unordered_map<std::string, std::unique_ptr<OriginBreaker>> origins_;
  std::map<std::string, SubscriptionCounters> counters_;
  // Bounded by the config's subscriptions plus kSeriesSlack (set_config).
  static constexpr std::size_t kSeriesSlack = 64;
  SeriesMap<SubscriptionMinute> series_{kSeriesSlack};
  bool stopped_ = false;
  std::mt19937_64 rng_;

  // Background load (start()): the loader thread hands a chunk to the io
  // thread and reads the next one while it is applied, then waits for it, so
  // memory holds two chunks at most.
  struct Loaded {
    std::string id;
    std::string subscription;
    std::int64_t next_attempt_ms = 0;
  };
  void apply_loaded(std::vector<Loaded>& chunk);
  void run_loader(std::unique_ptr<storage::EventStore::StartupView> view);
  TaskGroup* tasks_ = nullptr;
  bool loading_ = false;
  std::atomic<bool> stop_loading_{false};
  std::thread loader_;
};

}  // namespace hookd::daemon
