// DeliveryScheduler's attempt path: one POST of one delivery, its verdict
// made durable, then acted on. See delivery_scheduler.hpp.
#include "core/clock.hpp"
#include "core/delivery/retry_policy.hpp"
#include "daemon/delivery/delivery_scheduler.hpp"
#include "daemon/delivery/delivery_state.hpp"
#include "daemon/log.hpp"
#include "daemon/storage_reader.hpp"
#include "daemon/store_async.hpp"
#include "storage/transition.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace hookd::daemon {


namespace {

// What an attempt reads before its POST: the delivery as stored, and its
// event when the delivery is still pending.
struct AttemptInput {
  std::optional<Delivery> delivery;
  std::optional<Event> event;
};

result<AttemptInput> read_attempt_input(storage::EventStore& store, const std::string& id) {
  AttemptInput in;
  auto d = store.get_delivery(id);
  if (!d) return d.error();
  in.delivery = std::move(*d);
  if (!in.delivery || in.delivery->state != DeliveryState::pending) return in;
  auto e = store.get_event(in.delivery->event_id);
  if (!e) return e.error();
  in.event = std::move(*e);
  return in;
}

// How long an attempt whose reads failed waits before it is tried again.
constexpr std::int64_t kReadRetryMs = 1000;

// Storage refused the transition for the record it holds (transition.hpp):
// this scheduler's view of the delivery is wrong, and retrying cannot help.
bool refused_transition(error_code e) {
  return e == storage_errc::invalid_transition || e == storage_errc::attempt_mismatch;
}

}  // namespace

// `d` is the delivery as the attempt left it; its state says which
// transition that was (a pending one is a retry, or a 410's hold).
net::awaitable<error_code> DeliveryScheduler::persist(Delivery d, std::optional<Attempt> a) {
  using Kind = storage::Transition::Kind;
  const Kind kind = d.state == DeliveryState::delivered ? Kind::delivered
                    : d.state == DeliveryState::dead    ? Kind::dead
                                                        : Kind::retry;
  auto [ec] = co_await async_store_write(
      [&](storage::EventStore::Done done) {
        switch (kind) {
          case Kind::delivered:
            return store_.mark_delivered(d.id, d.updated_ms, a, std::move(done));
          case Kind::dead:
            return store_.mark_dead(d.id, d.updated_ms, d.last_error, a, std::move(done));
          default:
            return store_.schedule_retry(d.id, d.updated_ms, d.next_attempt_ms, d.last_error, a,
                                         std::move(done));
        }
      },
      use_tuple);
  if (refused_transition(ec))
    log::error("delivery.transition_refused",
               {{"sub", d.subscription}, {"delivery", d.id}, {"transition", to_string(kind)},
                {"attempt", a ? a->number : d.attempts}, {"error", ec.message()}});
  co_return ec;
}

net::awaitable<error_code> DeliveryScheduler::persist_state(std::string name,
                                                            SubscriptionState st) {
  auto [ec] = co_await async_store_write(
      [&](storage::EventStore::Done done) {
        return store_.put_subscription_state(std::move(name), std::move(st), std::move(done));
      },
      use_tuple);
  co_return ec;
}

net::awaitable<bool> DeliveryScheduler::until_durable(
    std::function<net::awaitable<error_code>()> write, std::string what, std::string sub,
    std::string delivery_id) {
  error_code ec = co_await write();
  if (!ec) co_return true;
  // The record itself is gone (e.g. its subscription's deliveries were
  // cancelled), or storage refused the transition for the record it holds (a
  // bug, logged by persist()): there is nothing left to record, and retrying
  // cannot help.
  auto given_up = [](error_code e) {
    return e == storage_errc::not_found || e == storage_errc::closed || refused_transition(e);
  };
  if (!refused_transition(ec))
    log::error("delivery.record_failed",
               {{"sub", sub}, {"delivery", delivery_id}, {"write", what}, {"error", ec.message()}});
  if (given_up(ec)) co_return false;
  ++held_writes_;
  net::steady_timer timer(ioc_);
  write_waits_.insert(&timer);
  auto backoff = kWriteRetryFirst;
  int retries = 0;
  while (ec && !given_up(ec) && !stopped_) {
    timer.expires_after(backoff);
    co_await timer.async_wait(use_tuple);  // cancelled early by stop() or another success
    if (stopped_) break;
    ec = co_await write();
    ++retries;
    if (ec) {
      backoff = std::min(backoff * 2, kWriteRetryMax);
      log::warn("delivery.record_retry_failed",
                {{"sub", sub}, {"delivery", delivery_id}, {"write", what}, {"retries", retries},
                 {"next_ms", backoff.count()}, {"error", ec.message()}});
    }
  }
  write_waits_.erase(&timer);
  --held_writes_;
  if (ec) {
    // Stopping (or the record is gone): the delivery stays as it was in
    // storage, pending, and is attempted again after a restart. A re-POST
    // then is at-least-once, as after a crash.
    log::warn("delivery.record_abandoned",
              {{"sub", sub}, {"delivery", delivery_id}, {"write", what}, {"retries", retries}});
    co_return false;
  }
  log::info("delivery.recorded_after_retry",
            {{"sub", sub}, {"delivery", delivery_id}, {"write", what}, {"retries", retries}});
  // Storage works again: the other held writes retry now, not after their backoff.
  for (net::steady_timer* other : write_waits_) other->cancel();
  if (held_writes_ == 0 && !stopped_) {
    log::info("storage.writes_recovered");
    dispatch();
  }
  co_return true;
}

net::awaitable<bool> DeliveryScheduler::pause_subscription(std::string name, std::string reason,
                                                           std::string delivery_id) {
  SubscriptionState st{true, reason, unix_ms()};
  bool ok = co_await until_durable([&] { return persist_state(name, st); }, "pause", name,
                                   delivery_id);
  if (!ok) co_return false;
  SubState& s = sub_state(name);
  if (!s.paused) log::warn("subscription.paused", {{"sub", name}, {"reason", reason}});
  s.paused = true;
  s.reason = std::move(reason);
  co_return true;
}

void DeliveryScheduler::release_origin(const std::string& key, Token t, bool success,
                                       Duration retry_delay) {
  auto it = origins_.find(key);
  if (it == origins_.end()) return;
  OriginBreaker& o = *it->second;
  const bool was_failing = o.failing();
  const std::size_t held = o.held();
  // The next probe goes when the failed attempt would have retried.
  auto ticks = static_cast<std::uint64_t>(
      std::max<std::int64_t>(1, (retry_delay.count() + kTick.count() - 1) / kTick.count()));
  OriginBreaker::Release r = o.on_outcome(t, success, now_tick(), ticks);
  if (was_failing && !o.failing()) log::info("origin.recovered", {{"origin", key}, {"waiting", held}});
  if (!was_failing && o.failing()) log::warn("origin.failing", {{"origin", key}});
  for (Token ready : r.ready) make_ready(ready);
  if (r.wake) schedule_tick(*r.wake, o.cooldown_tick());
}

void DeliveryScheduler::abandon_probe(const std::string& key, Token t) {
  auto it = origins_.find(key);
  if (it == origins_.end()) return;
  for (Token ready : it->second->abandon(t).ready) make_ready(ready);
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
  // The slot (global and per-subscription max_in_flight) bounds attempts
  // waiting for a subscriber; the item stays in flight until its outcome is
  // durable and acted on, so the delivery is not attempted again before.
  bool slot_held = true;
  auto release_slot = [&] {
    if (!slot_held) return;
    slot_held = false;
    queue_.finished(s.index);
    --counters_[sub_name].in_flight;
  };
  auto done = [&] {
    if (items_[t].live) items_[t].in_flight = false;
    release_slot();
    dispatch();
  };
  // Copies taken with `cfg`: a reload during this attempt changes s, not them.
  const SubscriptionConfig* sc = s.config;
  const TargetUrl url = s.url;
  const std::string origin = s.origin;
  if (!sc) {
    free_item(t);  // its subscription is gone
    done();
    co_return;
  }
  // The reads go to the attempt reader, never the io thread (a backlog
  // loaded after a restart is read cold, from disk).
  storage::EventStore* store = &store_;
  auto read = [store, id] { return read_attempt_input(*store, id); };
  // (No co_await inside a conditional expression: g++ 12 miscompiles it.)
  result<AttemptInput> input;
  if (attempt_reader_)
    input = co_await attempt_reader_->run(std::move(read));
  else
    input = read();
  if (!input) {
    // Not the delivery's fault: it stays pending and is tried again soon.
    log::warn("delivery.read_failed",
              {{"sub", sub_name}, {"delivery", id}, {"error", input.error().message()}});
    abandon_probe(origin, t);
    items_[t].again = false;
    schedule_at(t, unix_ms() + kReadRetryMs);
    done();
    co_return;
  }
  if (!input->delivery || input->delivery->state != DeliveryState::pending) {
    // Already finished (a re-sent enqueue).
    abandon_probe(origin, t);
    finish_item(t);
    done();
    co_return;
  }
  Delivery d = std::move(*input->delivery);
  const std::optional<Event>& event = input->event;
  const std::uint32_t number = d.attempts + 1;
  const std::int64_t started = unix_ms();
  PostResult res;
  if (!event) {
    res.error = delivery_errc::event_missing;
    res.detail = "event " + d.event_id;
  } else {
    OutgoingRequest req = build_delivery_request(*event, d, number, *sc, url,
                                                 cfg->delivery.user_agent, started / 1000);
    // The pool refuses a header with CR, LF or NUL (unsafe_header) before connecting.
    res = co_await pool_.post(url, sc->tls ? &*sc->tls : nullptr,
                              sc->origin == SubscriptionOrigin::api, req, sc->timeout);
    if (res.error == delivery_errc::unsafe_header)
      log::error("delivery.unsafe_header", {{"sub", sub_name}, {"delivery", id}, {"detail", res.detail}});
  }
  // Never sent: no later attempt could do better.
  const bool refused = res.error == delivery_errc::event_missing ||
                       res.error == delivery_errc::unsafe_header ||
                       res.error == delivery_errc::destination_not_allowed;
  std::optional<Duration> retry_after;
  if (!res.retry_after.empty()) retry_after = parse_retry_after(res.retry_after, started / 1000);
  AttemptVerdict verdict =
      classify_attempt(res.status, retry_after, number - d.attempt_base, sc->retry, rng_);
  if (refused) verdict = {Outcome::dead, Duration{0}};

  const std::string failure = res.error ? delivery_error_text(res.error, res.detail) : "";
  const std::string what = res.status ? "HTTP " + std::to_string(res.status) : failure;
  // Only failures of the origin itself count toward probing it; a 4xx is
  // about this subscription's request, not about the server.
  const bool origin_ok =
      refused || (res.status != 0 && res.status < 500 && res.status != 429);
  Attempt a{number, started, res.latency.count(), res.status, failure, res.body_excerpt};
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
  // The subscriber has answered: its slot goes to the next attempt now, not
  // after this outcome's fsync (throughput is not in-flight / fsync latency).
  // A 410 keeps it until the pause is durable, so that no attempt to the
  // gone subscriber starts in between.
  // The origin's health is known now too: a failure counts toward probing
  // it before the next attempts start, not after this outcome's fsync.
  bool origin_released = false;
  if (verdict.outcome != Outcome::gone) {
    release_slot();
    release_origin(origin, t, origin_ok, verdict.delay);
    origin_released = true;
    dispatch();
  }
  // The verdict stays here until it is durable; only the writes are retried.
  // 410: the pause first, so that the subscription is paused before the
  // attempt's outcome is acted on.
  bool recorded = true;
  if (verdict.outcome == Outcome::gone)
    recorded = co_await pause_subscription(sub_name, "410 Gone from subscriber", id);
  if (recorded)
    recorded = co_await until_durable([&] { return persist(d, a); }, "outcome", sub_name, id);
  if (!recorded) {
    // Stopping, or the delivery is gone from storage: nothing to act on.
    if (!origin_released) abandon_probe(origin, t);  // not the origin's fault
    free_item(t);
    done();
    co_return;
  }
  auto& counters = counters_[sub_name];
  SubscriptionMinute* minute = series_.at(sub_name, unix_minute(unix_ms()));
  if (!refused) {
    double seconds = static_cast<double>(res.latency.count()) / 1e6;
    const std::size_t bucket = latency_bucket(seconds);
    ++counters.latency_buckets[bucket];
    counters.latency_sum_seconds += seconds;
    ++counters.latency_count;
    if (minute != nullptr) ++minute->latency[bucket];
  }
  if (minute != nullptr) {
    if (verdict.outcome == Outcome::delivered) ++minute->delivered;
    else ++minute->failed;
    if (verdict.outcome == Outcome::dead) ++minute->dead;
  }
  switch (verdict.outcome) {
    case Outcome::delivered:
      ++counters.delivered;
      log::debug("delivery.delivered", {{"sub", sub_name}, {"delivery", id}, {"attempt", number}});
      finish_item(t);
      break;
    case Outcome::retry_later:
      ++counters.failed_attempts;
      log::debug("delivery.retry", {{"sub", sub_name}, {"delivery", id}, {"attempt", number},
                                   {"delay_ms", verdict.delay.count()}, {"error", what}});
      items_[t].again = false;  // it is pending and waits anyway
      schedule_at(t, next_ms);
      break;
    case Outcome::dead:
      ++counters.failed_attempts;
      ++counters.dead;
      ++s.dead_total;
      log::warn("delivery.dead", {{"sub", sub_name}, {"delivery", id}, {"attempts", number},
                                  {"error", what}});
      finish_item(t);
      break;
    case Outcome::gone:
      ++counters.failed_attempts;
      items_[t].again = false;  // pending either way
      make_ready(t);            // waits in the paused subscription's queue
      break;
  }
  if (!origin_released) release_origin(origin, t, origin_ok, verdict.delay);
  done();
}

}  // namespace hookd::daemon
