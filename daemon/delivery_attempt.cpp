// DeliveryScheduler's attempt path: one POST of one delivery, its verdict
// made durable, then acted on. See delivery_scheduler.hpp.
#include "core/retry_policy.hpp"
#include "daemon/delivery_scheduler.hpp"
#include "daemon/delivery_state.hpp"
#include "daemon/log.hpp"
#include "daemon/store_async.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace hookd::daemon {


namespace {
// Storage could not record an outcome: try the delivery again after this.
constexpr std::int64_t kStorageRetryMs = 1000;
}  // namespace

net::awaitable<error_code> DeliveryScheduler::persist(Delivery d, std::optional<Attempt> a) {
  std::vector<storage::Store::DeliveryUpdate> updates;
  updates.push_back({std::move(d), std::move(a)});
  auto [ec] = co_await async_store_write(
      [&](storage::Store::Done done) {
        return store_.update_deliveries(std::move(updates), std::move(done));
      },
      use_tuple);
  co_return ec;
}

void DeliveryScheduler::pause_subscription(const std::string& name, std::string reason) {
  SubState& s = sub_state(name);
  if (s.paused) return;
  s.paused = true;
  s.reason = reason;
  log::warn("subscription.paused", {{"sub", name}, {"reason", reason}});
  SubscriptionState st{true, std::move(reason), unix_ms()};
  auto ec = store_.put_subscription_state(name, st, [name](error_code ec) {
    if (ec) log::error("subscription.pause_not_saved", {{"sub", name}, {"error", ec.message()}});
  });
  if (ec) log::error("subscription.pause_not_saved", {{"sub", name}, {"error", ec.message()}});
}

void DeliveryScheduler::release_origin(const std::string& key, Token t, bool success,
                                       Duration retry_delay) {
  auto it = origins_.find(key);
  if (it == origins_.end()) return;
  OriginState& o = *it->second;
  const bool was_failing = o.failing();
  const bool was_probe = o.probing && o.probe == t;
  if (was_probe) o.probing = false;
  if (success) {
    if (was_failing) log::info("origin.recovered", {{"origin", key}, {"waiting", o.blocked.size()}});
    o.consecutive_failures = 0;
    o.wake_pending = false;
    while (!o.blocked.empty()) {
      make_ready(o.blocked.front());
      o.blocked.pop_front();
    }
    return;
  }
  ++o.consecutive_failures;
  if (was_probe || (!was_failing && o.failing())) {
    // The next probe goes when the failed one would have retried.
    auto ticks = static_cast<std::uint64_t>(
        std::max<std::int64_t>(1, (retry_delay.count() + kTick.count() - 1) / kTick.count()));
    o.cooldown_tick = now_tick() + ticks;
    o.wake_pending = false;
    if (!was_failing) log::warn("origin.failing", {{"origin", key}});
    // Whatever happens to the failed probe (retried or dead), one waiting
    // delivery ends the cooldown, so the blocked ones are never stranded.
    if (!o.blocked.empty()) {
      Token next = o.blocked.front();
      o.blocked.pop_front();
      o.wake_pending = true;
      schedule_tick(next, o.cooldown_tick);
    }
  }
}

void DeliveryScheduler::abandon_probe(const std::string& key, Token t) {
  auto it = origins_.find(key);
  if (it == origins_.end() || !it->second->probing || it->second->probe != t) return;
  OriginState& o = *it->second;
  o.probing = false;
  if (!o.blocked.empty()) {
    make_ready(o.blocked.front());
    o.blocked.pop_front();
  }
}

net::awaitable<void> DeliveryScheduler::attempt(Token t) {
  co_await net::this_coro::throw_if_cancelled(false);
  // co_spawn runs a coroutine inline up to its first suspension; start on a
  // fresh stack so that dispatch() never recurses into itself.
  co_await net::post(ioc_, use_tuple);
  auto cfg = config_;  // this attempt runs under the config it started with
  const std::string id(items_[t].delivery_id());
  const std::string sub_name = sub_names_[items_[t].sub];
  SubState& s = sub_state(sub_name);
  auto done = [&] {
    --in_flight_;
    --s.in_flight;
    --counters_[sub_name].in_flight;
    dispatch();
  };
  // Copies taken with `cfg`: a reload during this attempt changes s, not them.
  const SubscriptionConfig* sc = s.config;
  const TargetUrl url = s.url;
  const std::string origin = s.origin;
  auto stored = store_.get_delivery(id);
  if (!sc || !stored || !*stored || (*stored)->state != DeliveryState::pending) {
    // Already finished (a re-sent enqueue), or its subscription is gone.
    if (sc) abandon_probe(origin, t);
    free_item(t);
    done();
    co_return;
  }
  Delivery d = std::move(**stored);
  auto event = store_.get_event(d.event_id);
  const std::uint32_t number = d.attempts + 1;
  const std::int64_t started = unix_ms();
  PostResult res;
  bool refused = false;  // never sent: no later attempt could do better
  if (!event || !*event) {
    res.error = "event " + d.event_id + " missing from storage";
    refused = true;
  } else {
    OutgoingRequest req = build_delivery_request(**event, d, number, *sc, url,
                                                 cfg->delivery.user_agent, started / 1000);
    if (auto bad = unsafe_header(req)) {
      res.error = "refused: header " + *bad + " has CR, LF or NUL";
      refused = true;
      log::error("delivery.unsafe_header", {{"sub", sub_name}, {"delivery", id}, {"header", *bad}});
    } else {
      res = co_await pool_.post(url, sc->tls ? &*sc->tls : nullptr, req, sc->timeout);
    }
  }
  std::optional<Duration> retry_after;
  if (!res.retry_after.empty()) retry_after = parse_retry_after(res.retry_after, started / 1000);
  AttemptVerdict verdict =
      classify_attempt(res.status, retry_after, number - d.attempt_base, sc->retry, rng_);
  if (refused) verdict = {Outcome::dead, Duration{0}};

  const std::string what = res.status ? "HTTP " + std::to_string(res.status) : res.error;
  // Only failures of the origin itself count toward probing it; a 4xx is
  // about this subscription's request, not about the server.
  const bool origin_ok =
      refused || (res.status != 0 && res.status < 500 && res.status != 429);
  Attempt a{number, started, res.latency.count(), res.status, res.error, res.body_excerpt};
  d.attempts = number;
  d.updated_ms = unix_ms();
  d.last_error = what;
  switch (verdict.outcome) {
    case Outcome::delivered:
      d.state = DeliveryState::delivered;
      d.last_error.clear();
      break;
    case Outcome::retry_later: d.next_attempt_ms = d.updated_ms + verdict.delay.count(); break;
    case Outcome::dead: d.state = DeliveryState::dead; break;
    case Outcome::gone: d.next_attempt_ms = d.updated_ms; break;
  }
  const std::int64_t next_ms = d.next_attempt_ms;
  if (auto ec = co_await persist(std::move(d), std::move(a))) {
    // Not recorded: the delivery stays as it was in storage; try it again.
    log::error("delivery.record_failed", {{"sub", sub_name}, {"delivery", id}, {"error", ec.message()}});
    schedule_at(t, unix_ms() + kStorageRetryMs);
    abandon_probe(origin, t);  // not the origin's fault
    done();
    co_return;
  }
  auto& counters = counters_[sub_name];
  if (!refused) {
    double seconds = static_cast<double>(res.latency.count()) / 1e6;
    auto bucket = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds);
    ++counters.latency_buckets[static_cast<std::size_t>(bucket - kLatencyBuckets.begin())];
    counters.latency_sum_seconds += seconds;
    ++counters.latency_count;
  }
  switch (verdict.outcome) {
    case Outcome::delivered:
      ++counters.delivered;
      log::debug("delivery.delivered", {{"sub", sub_name}, {"delivery", id}, {"attempt", number}});
      free_item(t);
      break;
    case Outcome::retry_later:
      ++counters.failed_attempts;
      log::debug("delivery.retry", {{"sub", sub_name}, {"delivery", id}, {"attempt", number},
                                   {"delay_ms", verdict.delay.count()}, {"error", what}});
      schedule_at(t, next_ms);
      break;
    case Outcome::dead:
      ++counters.failed_attempts;
      ++counters.dead;
      ++s.dead_total;
      log::warn("delivery.dead", {{"sub", sub_name}, {"delivery", id}, {"attempts", number},
                                  {"error", what}});
      free_item(t);
      break;
    case Outcome::gone:
      ++counters.failed_attempts;
      pause_subscription(sub_name, "410 Gone from subscriber");
      make_ready(t);  // waits in the paused subscription's queue
      break;
  }
  release_origin(origin, t, origin_ok, verdict.delay);
  done();
}

}  // namespace hookd::daemon
