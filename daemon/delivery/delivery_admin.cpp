// DeliveryScheduler's admin operations (SPEC section 5): status, pause,
// resume, retry, replay and redelivery of dead letters. See
// delivery_scheduler.hpp for the threading and durability rules.
#include "core/router.hpp"
#include "core/ulid.hpp"
#include "daemon/delivery/delivery_scheduler.hpp"
#include "daemon/delivery/delivery_state.hpp"
#include "daemon/log.hpp"
#include "daemon/storage_reader.hpp"
#include "daemon/store_async.hpp"

#include <algorithm>

namespace hookd::daemon {


namespace {
// Records written per storage request by replay and redelivery.
constexpr std::size_t kChunk = 256;

template <class R>
net::awaitable<R> ready(R value) {
  co_await net::this_coro::throw_if_cancelled(false);
  co_return value;
}

// Runs `fn` on the reader when there is one, else here (the io thread).
// Not a coroutine: see StorageReader::run.
template <class F>
net::awaitable<std::invoke_result_t<F&>> read_on(StorageReader* reader, F fn) {
  if (!reader) return ready(fn());
  return reader->run(std::move(fn));
}

// One chunk of a replay as read and routed on the reader: the matched events
// (bodies included, the write rewrites them) with their new delivery.
struct ReplayChunk {
  std::vector<storage::IngestRecord> records;
  std::uint64_t scanned = 0;
  std::string after;  // resume after this id
  bool more = false;
};

result<ReplayChunk> read_replay_chunk(storage::EventStore& store, const Router& router,
                                      const std::string& name, std::string after,
                                      std::int64_t since_ms, std::int64_t until_ms) {
  auto page = store.list_events(after, kChunk);
  if (!page) return page.error();
  ReplayChunk out;
  out.after = std::move(after);
  out.more = page->size() == kChunk;
  for (Event& ev : *page) {
    out.after = ev.id;
    auto t = ulid_time_ms(ev.id);
    if (t && *t >= until_ms) {
      out.more = false;
      break;
    }
    if (t && *t < since_ms) continue;
    ++out.scanned;
    if (router.match(ev).empty()) continue;
    auto existing = store.deliveries_of(ev.id);
    if (!existing) return existing.error();
    std::size_t ordinal = 0;
    for (const Delivery& d : *existing) {
      auto dot = d.id.rfind('.');
      if (dot != std::string::npos)
        ordinal = std::max<std::size_t>(ordinal, std::stoul(d.id.substr(dot + 1)) + 1);
    }
    Delivery d;
    d.id = ev.id + "." + std::to_string(ordinal);
    d.event_id = ev.id;
    d.subscription = name;
    // Rewriting the event and its key is idempotent: the same bytes.
    out.records.push_back({std::move(ev), {std::move(d)}});
  }
  return out;
}
}  // namespace

std::optional<SubscriptionStatus> DeliveryScheduler::subscription(std::string_view name) const {
  auto it = subs_.find(name);
  if (it == subs_.end()) return std::nullopt;
  const SubState& s = *it->second;
  SubscriptionStatus st;
  st.name = s.name;
  st.paused = s.paused;
  st.paused_reason = s.reason;
  st.dead_total = s.dead_total;
  if (auto c = counters_.find(s.name); c != counters_.end()) st.counters = c->second;
  st.enabled = s.config && s.config->enabled;
  if (s.config) {
    st.url = s.config->url.substr(0, s.config->url.find('?'));
    auto o = origins_.find(s.origin);
    st.failing = o != origins_.end() && o->second->failing();
  }
  return st;
}

void DeliveryScheduler::forget_subscription(const std::string& name) {
  auto it = subs_.find(name);
  if (it == subs_.end()) return;
  it->second->paused = false;
  it->second->reason.clear();
  it->second->dead_total = 0;
  series_.forget(name);
  SubscriptionCounters& c = counters_[name];
  SubscriptionCounters fresh;
  fresh.pending = c.pending;
  fresh.in_flight = c.in_flight;
  c = fresh;
  // Not in the config any more (the registry removed it first).
  it->second->forgotten = it->second->config == nullptr;
  maybe_recycle(*it->second);
}

std::vector<SubscriptionStatus> DeliveryScheduler::subscriptions() const {
  std::vector<SubscriptionStatus> out;
  for (const auto& [name, s] : subs_)
    if (auto st = subscription(name)) out.push_back(std::move(*st));
  return out;
}

net::awaitable<error_code> DeliveryScheduler::pause(std::string name) {
  co_await net::this_coro::throw_if_cancelled(false);
  if (subs_.find(name) == subs_.end()) co_return delivery_errc::unknown_subscription;
  SubscriptionState st{true, "paused by operator", unix_ms()};
  auto [ec] = co_await async_store_write(
      [&](storage::EventStore::Done done) { return store_.put_subscription_state(name, st, std::move(done)); },
      use_tuple);
  if (ec) co_return ec;
  SubState& s = sub_state(name);
  s.paused = true;
  s.reason = st.reason;
  log::info("subscription.paused", {{"sub", name}, {"reason", st.reason}});
  co_return error_code{};
}

net::awaitable<error_code> DeliveryScheduler::resume(std::string name) {
  co_await net::this_coro::throw_if_cancelled(false);
  if (subs_.find(name) == subs_.end()) co_return delivery_errc::unknown_subscription;
  SubscriptionState st{false, "", unix_ms()};
  auto [ec] = co_await async_store_write(
      [&](storage::EventStore::Done done) { return store_.put_subscription_state(name, st, std::move(done)); },
      use_tuple);
  if (ec) co_return ec;
  SubState& s = sub_state(name);
  s.paused = false;
  s.reason.clear();
  log::info("subscription.resumed", {{"sub", name}});
  dispatch();
  co_return error_code{};
}

net::awaitable<result<Delivery>> DeliveryScheduler::retry(std::string delivery_id) {
  co_await net::this_coro::throw_if_cancelled(false);
  // Claimed before the read: no other transition of this delivery can
  // complete between the read (on the reader) and this call's write.
  const bool mine = claimed_.insert(delivery_id).second;
  storage::EventStore* store = &store_;
  auto read = [store, delivery_id] { return store->get_delivery(delivery_id); };
  auto stored = co_await read_on(reader_, std::move(read));
  // Kept only by the call that writes the transition (a dead delivery).
  if (!stored || !*stored || (*stored)->state != DeliveryState::dead || !mine) {
    if (mine) claimed_.erase(delivery_id);
  }
  if (!stored) co_return stored.error();
  if (!*stored) co_return error_code(storage_errc::not_found);
  Delivery d = std::move(**stored);
  if (d.state == DeliveryState::delivered) co_return error_code(delivery_errc::already_delivered);
  if (d.state == DeliveryState::pending) {
    // Already in memory: waiting on the wheel, queued, or in flight. Only a
    // wait on the wheel is cut short; a failing origin's waiting item may be
    // the one that ends its cooldown, so it stays.
    if (auto t = find_item(delivery_id)) {
      Item& item = items_[*t];
      const SubState& s = sub_state(sub_names_[item.sub]);
      auto o = origins_.find(s.origin);
      const bool failing = o != origins_.end() && o->second->failing();
      TimerWheel& wheel = item.coarse ? coarse_ : wheel_;
      if (!failing && item.handle != TimerWheel::kInvalid && wheel.cancel(item.handle)) {
        make_ready(*t);
        dispatch();
      }
    }
    co_return d;
  }
  // Another retry or redelivery is writing this transition now: this call
  // is a no-op, answered with the delivery as stored.
  if (!mine) co_return d;
  d.state = DeliveryState::pending;
  d.attempt_base = d.attempts;
  d.next_attempt_ms = d.updated_ms = unix_ms();
  auto [ec] = co_await async_store_write(
      [&](storage::EventStore::Done done) {
        return store_.requeue({delivery_id}, d.updated_ms, std::move(done));
      },
      use_tuple);
  claimed_.erase(delivery_id);
  ++admin_epoch_;
  if (ec) co_return ec;
  SubState& s = sub_state(d.subscription);
  if (s.dead_total > 0) --s.dead_total;
  log::info("delivery.retry_requested", {{"sub", d.subscription}, {"delivery", d.id}});
  enqueue({d});
  co_return d;
}

net::awaitable<result<std::size_t>> DeliveryScheduler::redeliver_dead(std::string name) {
  co_await net::this_coro::throw_if_cancelled(false);
  if (subs_.find(name) == subs_.end()) co_return error_code(delivery_errc::unknown_subscription);
  std::size_t total = 0;
  std::string after;
  storage::EventStore* store = &store_;
  for (;;) {
    // A transition that completed while the page was read may have made
    // some of it stale: read it again.
    std::uint64_t epoch;
    result<std::vector<Delivery>> page = error_code(storage_errc::busy);
    do {
      epoch = admin_epoch_;
      auto read = [store, name, after] {
        return store->list_deliveries(name, DeliveryState::dead, after, kChunk);
      };
      page = co_await read_on(reader_, std::move(read));
    } while (page && epoch != admin_epoch_);
    if (!page) co_return page.error();
    if (page->empty()) break;
    after = page->back().id;
    std::vector<std::string> ids;
    std::vector<Delivery> revived;
    const std::int64_t now = unix_ms();
    for (Delivery& d : *page) {
      // Being revived by a concurrent retry or redelivery: theirs to do.
      if (!claimed_.insert(d.id).second) continue;
      d.state = DeliveryState::pending;
      d.attempt_base = d.attempts;
      d.next_attempt_ms = d.updated_ms = now;
      ids.push_back(d.id);
      revived.push_back(std::move(d));
    }
    if (revived.empty()) continue;
    auto [ec] = co_await async_store_write(
        [&](storage::EventStore::Done done) { return store_.requeue(std::move(ids), now, std::move(done)); },
        use_tuple);
    for (const Delivery& d : revived) claimed_.erase(d.id);
    ++admin_epoch_;
    if (ec) co_return ec;
    total += revived.size();
    SubState& s = sub_state(name);
    s.dead_total -= std::min<std::uint64_t>(s.dead_total, revived.size());
    enqueue(revived);
  }
  log::info("delivery.dead_redelivered", {{"sub", name}, {"count", total}});
  co_return total;
}

net::awaitable<result<std::size_t>> DeliveryScheduler::replay(std::string name,
                                                              std::int64_t since_ms,
                                                              std::int64_t until_ms,
                                                              std::shared_ptr<ReplayProgress> progress) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto cfg = config_;
  auto sc = std::find_if(cfg->subscriptions.begin(), cfg->subscriptions.end(),
                         [&](const SubscriptionConfig& c) { return c.name == name; });
  if (sc == cfg->subscriptions.end()) co_return error_code(delivery_errc::unknown_subscription);
  // Match with this subscription alone, enabled or not: the operator asked.
  SubscriptionConfig only = *sc;
  only.enabled = true;
  auto router = std::make_shared<const Router>(std::vector<SubscriptionConfig>{only});
  std::size_t total = 0;
  storage::EventStore* store = &store_;
  // Ids are ULIDs of the receive time: the range is a key range.
  std::string after = since_ms > 0 ? ulid_floor(since_ms - 1) : std::string();
  for (bool more = true; more && !(progress && progress->stop);) {
    auto read = [store, router, name, after, since_ms, until_ms] {
      return read_replay_chunk(*store, *router, name, after, since_ms, until_ms);
    };
    auto chunk = co_await read_on(reader_, std::move(read));
    if (!chunk) co_return chunk.error();
    after = std::move(chunk->after);
    more = chunk->more;
    std::vector<storage::IngestRecord> records = std::move(chunk->records);
    std::vector<Delivery> created;
    const std::int64_t now = unix_ms();
    for (auto& r : records) {
      Delivery& d = r.deliveries.front();
      d.created_ms = d.updated_ms = d.next_attempt_ms = now;
      created.push_back(d);
    }
    if (progress) {
      progress->scanned += chunk->scanned;
      progress->matched += records.size();
    }
    if (records.empty()) {
      if (progress && progress->on_chunk) progress->on_chunk();
      continue;
    }
    auto [ec] = co_await async_store_write(
        [&](storage::EventStore::Done done) { return store_.submit(std::move(records), std::move(done)); },
        use_tuple);
    if (ec) co_return ec;
    total += created.size();
    enqueue(created);
    if (progress) progress->created += created.size();
    if (progress && progress->on_chunk) progress->on_chunk();
  }
  log::info("subscription.replayed", {{"sub", name}, {"count", total}});
  co_return total;
}

}  // namespace hookd::daemon
