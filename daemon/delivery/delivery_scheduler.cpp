#include "daemon/delivery/delivery_scheduler.hpp"

#include <pthread.h>

#include <set>
#include <limits>
#include <stdexcept>
#include "daemon/delivery/delivery_state.hpp"
#include "daemon/http/http_server.hpp"  // log_if_exception
#include "daemon/http/task_group.hpp"

#include "core/delivery/retry_policy.hpp"
#include "daemon/log.hpp"
#include "daemon/store_async.hpp"

#include <algorithm>
#include <cstring>

namespace hookd::daemon {

using delivery_detail::kProbeThreshold;
using delivery_detail::origin_key;

DeliveryScheduler::DeliveryScheduler(net::io_context& ioc, storage::EventStore& store, ConnPool& pool,
                                     std::shared_ptr<const Config> config)
    : ioc_(ioc),
      store_(store),
      pool_(pool),
      wheel_(1024, 0),
      coarse_(4096, 0),
      epoch_(Clock::now()),
      wake_(ioc),
      rng_(std::random_device{}()) {
  set_config(std::move(config));
}

DeliveryScheduler::~DeliveryScheduler() { wait_loader(); }

std::uint64_t DeliveryScheduler::now_tick() const {
  return static_cast<std::uint64_t>((Clock::now() - epoch_) / kTick);
}

std::uint64_t DeliveryScheduler::now_coarse_tick() const {
  return static_cast<std::uint64_t>((Clock::now() - epoch_) / kCoarseTick);
}

void DeliveryScheduler::rearm_if_earlier(Clock::time_point when) {
  if (when < armed_at_) wake_.cancel();  // the loop re-arms for the earlier time
}

void DeliveryScheduler::schedule_tick(Token t, std::uint64_t fine_tick) {
  items_[t].coarse = false;
  items_[t].handle = wheel_.schedule(t, fine_tick);
  rearm_if_earlier(epoch_ + static_cast<std::int64_t>(fine_tick) * kTick);
}

DeliveryScheduler::SubState& DeliveryScheduler::sub_state(std::string_view name) {
  auto it = subs_.find(name);
  if (it != subs_.end()) return *it->second;
  auto s = std::make_unique<SubState>();
  s->name = std::string(name);
  if (!free_subs_.empty()) {
    s->index = free_subs_.back();
    free_subs_.pop_back();
    sub_names_[s->index] = s->name;
    sub_by_index_[s->index] = s.get();
  } else {
    if (sub_names_.size() > std::numeric_limits<std::uint16_t>::max())
      throw std::length_error("more than 65536 subscriptions");
    s->index = static_cast<std::uint16_t>(sub_names_.size());
    sub_names_.push_back(s->name);
    sub_by_index_.push_back(s.get());
  }
  counters_[s->name];
  return *subs_.emplace(s->name, std::move(s)).first->second;
}

void DeliveryScheduler::maybe_recycle(SubState& s) {
  if (!s.forgotten || s.config) return;
  auto c = counters_.find(s.name);
  if (c != counters_.end() && (c->second.pending > 0 || c->second.in_flight > 0)) return;
  if (queue_.ready(s.index) > 0 || queue_.in_flight(s.index) > 0) return;
  const std::uint16_t index = s.index;
  const std::string name = s.name;
  sub_by_index_[index] = nullptr;
  sub_names_[index].clear();
  free_subs_.push_back(index);
  counters_.erase(name);
  series_.forget(name);
  subs_.erase(name);  // destroys `s`
}

void DeliveryScheduler::set_config(std::shared_ptr<const Config> config) {
  config_ = std::move(config);
  for (auto& [name, s] : subs_) s->config = nullptr;
  std::set<std::string, std::less<>> names;
  for (const auto& sc : config_->subscriptions) names.insert(sc.name);
  series_.retain(names);
  series_.set_max_names(names.size() + kSeriesSlack);
  for (const auto& sc : config_->subscriptions) {
    SubState& s = sub_state(sc.name);
    s.config = &sc;
    s.forgotten = false;
    s.url = parse_target_url(sc.url).value_or(TargetUrl{});  // validated at load
    s.origin = origin_key(s.url);
  }
  if (!stopped_) dispatch();
}

error_code DeliveryScheduler::start() {
  auto states = store_.load_subscription_states();
  if (!states) return states.error();
  for (const auto& [name, st] : *states) {
    SubState& s = sub_state(name);
    s.paused = st.paused;
    s.reason = st.reason;
  }
  loading_ = true;
  loader_ = std::thread([this, view = store_.startup_view()]() mutable {
    pthread_setname_np(pthread_self(), "hookd-loader");
    run_loader(std::move(view));
  });
  net::co_spawn(ioc_, timer_loop(), log_if_exception);
  dispatch();
  return {};
}

void DeliveryScheduler::run_loader(std::unique_ptr<storage::EventStore::StartupView> view) {
  constexpr std::size_t kChunk = 4096;
  const auto started = Clock::now();
  // Hands `fn` to the io thread; the future is ready once it has run. `fn`
  // owns what it uses, since it may run after the loader gave up waiting.
  auto post_io = [this](std::function<void()> fn) {
    auto done = std::make_shared<std::promise<void>>();
    auto ran = done->get_future();
    net::post(ioc_, [fn = std::move(fn), done] {
      fn();
      done->set_value();
    });
    return ran;
  };
  // False when stopping (the io thread may no longer run what it waits for).
  auto wait_io = [this](std::future<void>& ran) {
    while (ran.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready)
      if (stop_loading_) return false;
    return true;
  };
  auto on_io = [&](std::function<void()> fn) {
    auto ran = post_io(std::move(fn));
    return wait_io(ran);
  };
  auto counts = view->count_deliveries();
  if (!counts) {
    log::error("delivery.count_failed", {{"error", counts.error().message()}});
  } else if (!on_io([this, counts = std::make_shared<decltype(counts)::value_type>(
                                std::move(*counts))] {
               // Deaths after the snapshot were counted in memory already.
               std::size_t pending = 0;
               for (const auto& [key, n] : *counts) {
                 if (key.second == DeliveryState::dead) sub_state(key.first).dead_total += n;
                 if (key.second == DeliveryState::pending) pending += n;
               }
               // Grown once, not by doubling (and rehashing) while loading.
               items_.reserve(items_.size() + pending);
               by_id_.reserve(by_id_.size() + pending);
             })) {
    return;
  }
  std::vector<Loaded> chunk;
  chunk.reserve(kChunk);
  std::size_t loaded = 0;
  bool stopped = false;
  // The chunk the io thread is applying while the next one is read, so that
  // reading and applying overlap.
  std::future<void> applying;
  auto flush = [&] {
    if (applying.valid() && !wait_io(applying)) {
      stopped = true;
      return false;
    }
    loaded += chunk.size();
    auto owned = std::make_shared<std::vector<Loaded>>(std::move(chunk));
    applying = post_io([this, owned] { apply_loaded(*owned); });
    chunk.clear();
    chunk.reserve(kChunk);
    return true;
  };
  auto ec = view->for_each_pending([&](const storage::PendingEntry& d) {
    chunk.push_back({std::string(d.id), std::string(d.subscription), d.next_attempt_ms});
    return chunk.size() < kChunk || flush();
  });
  if (!stopped && !chunk.empty()) flush();
  if (!stopped && applying.valid() && !wait_io(applying)) stopped = true;
  if (stopped) return;
  view.reset();  // releases the snapshot
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  if (ec) log::error("delivery.load_failed", {{"error", ec.message()}, {"loaded", loaded}});
  on_io([this, loaded, ms] {
    loading_ = false;
    log::info("delivery.loaded", {{"pending", loaded}, {"ms", ms}});
  });
}

void DeliveryScheduler::apply_loaded(std::vector<Loaded>& chunk) {
  // One clock reading for the chunk: it takes a few milliseconds at most.
  const std::int64_t wall_ms = unix_ms();
  const Clock::time_point now = Clock::now();
  for (const Loaded& d : chunk) {
    if (find_item(d.id)) continue;  // enqueued since the snapshot: in memory already
    schedule_at(add_item(d.id, d.subscription), d.next_attempt_ms, wall_ms, now);
  }
  if (!stopped_) dispatch();
}

void DeliveryScheduler::wait_loader() {
  stop_loading_ = true;
  if (loader_.joinable()) loader_.join();
}

void DeliveryScheduler::stop() {
  stopped_ = true;
  stop_loading_ = true;
  wake_.cancel();
  for (net::steady_timer* timer : write_waits_) timer->cancel();  // until_durable gives up
}

void DeliveryScheduler::enqueue(const std::vector<Delivery>& deliveries) {
  for (const Delivery& d : deliveries) {
    if (auto t = find_item(d.id)) {
      // Already pending in memory (waiting, ready or blocked): it will be
      // attempted; a second item would POST it twice. In flight: its attempt
      // read the state before this change, so it goes again once it ends.
      if (items_[*t].in_flight) items_[*t].again = true;
      continue;
    }
    make_ready(add_item(d.id, d.subscription));
  }
  dispatch();
}

void DeliveryScheduler::enqueue_from_any_thread(const std::vector<Delivery>& deliveries) {
  if (ioc_.get_executor().running_in_this_thread()) {
    enqueue(deliveries);
    return;
  }
  {
    std::lock_guard lock(inbox_mu_);
    inbox_.insert(inbox_.end(), deliveries.begin(), deliveries.end());
    if (std::exchange(inbox_posted_, true)) return;  // a drain is on its way
  }
  net::post(ioc_, [this] {
    std::vector<Delivery> batch;
    {
      std::lock_guard lock(inbox_mu_);
      batch.swap(inbox_);
      inbox_posted_ = false;
    }
    enqueue(batch);
  });
}

DeliveryScheduler::Token DeliveryScheduler::add_item(std::string_view delivery_id,
                                                     std::string_view subscription) {
  Token t;
  if (!free_items_.empty()) {
    t = free_items_.back();
    free_items_.pop_back();
  } else {
    t = static_cast<Token>(items_.size());
    items_.emplace_back();
  }
  Item& item = items_[t];
  item.id_len = static_cast<std::uint8_t>(std::min(delivery_id.size(), item.id.size()));
  std::memcpy(item.id.data(), delivery_id.data(), item.id_len);
  SubState& s = sub_state(subscription);
  item.sub = s.index;
  item.live = true;
  item.in_flight = false;
  item.again = false;
  by_id_.insert(std::hash<std::string_view>{}(item.delivery_id()), t);
  ++live_items_;
  ++counters_[s.name].pending;
  return t;
}

std::optional<DeliveryScheduler::Token> DeliveryScheduler::find_item(
    std::string_view delivery_id) const {
  delivery_id = delivery_id.substr(0, sizeof(Item::id));  // as stored
  return by_id_.find(std::hash<std::string_view>{}(delivery_id),
                     [&](Token t) { return items_[t].delivery_id() == delivery_id; });
}

void DeliveryScheduler::free_item(Token t) {
  Item& item = items_[t];
  if (!item.live) return;
  by_id_.erase(std::hash<std::string_view>{}(item.delivery_id()), t);
  item.live = false;
  item.in_flight = false;
  item.again = false;
  --live_items_;
  --counters_[sub_names_[item.sub]].pending;
  free_items_.push_back(t);
}

void DeliveryScheduler::finish_item(Token t) {
  Item& item = items_[t];
  if (!item.again) {
    free_item(t);
    return;
  }
  item.again = false;
  make_ready(t);
}

void DeliveryScheduler::schedule_at(Token t, std::int64_t due_wall_ms) {
  schedule_at(t, due_wall_ms, unix_ms(), Clock::now());
}

void DeliveryScheduler::schedule_at(Token t, std::int64_t due_wall_ms, std::int64_t wall_ms,
                                    Clock::time_point now) {
  std::int64_t delay = due_wall_ms - wall_ms;
  if (delay <= 0) {
    make_ready(t);
    return;
  }
  const Clock::duration since_epoch = now - epoch_;
  if (delay > kFineSpan.count()) {
    // Up to one coarse tick late: nothing for a retry this far out.
    auto due = static_cast<std::uint64_t>(
        (since_epoch + std::chrono::milliseconds(delay) + kCoarseTick - kTick) / kCoarseTick);
    items_[t].coarse = true;
    items_[t].handle = coarse_.schedule(t, due);
    rearm_if_earlier(epoch_ + (since_epoch / kCoarseTick + 1) * kCoarseTick);
    return;
  }
  schedule_tick(t, static_cast<std::uint64_t>(since_epoch / kTick) +
                       static_cast<std::uint64_t>((delay + kTick.count() - 1) / kTick.count()));
}

void DeliveryScheduler::make_ready(Token t) {
  items_[t].handle = TimerWheel::kInvalid;
  items_[t].coarse = false;
  queue_.push(items_[t].sub, t);
}

net::awaitable<void> DeliveryScheduler::timer_loop() {
  co_await net::this_coro::throw_if_cancelled(false);
  std::vector<std::uint64_t> due;
  while (!stopped_) {
    std::uint64_t fine = wheel_.next_due_tick();
    armed_at_ = fine == UINT64_MAX ? Clock::time_point::max() : epoch_ + static_cast<std::int64_t>(fine) * kTick;
    if (coarse_.size() > 0)
      armed_at_ = std::min(armed_at_, epoch_ + static_cast<std::int64_t>(now_coarse_tick() + 1) * kCoarseTick);
    wake_.expires_at(armed_at_);
    co_await wake_.async_wait(use_tuple);
    due.clear();
    wheel_.advance(now_tick(), due);
    coarse_.advance(now_coarse_tick(), due);
    for (auto token : due) make_ready(static_cast<Token>(token));
    if (!due.empty()) dispatch();
  }
}

void DeliveryScheduler::dispatch() {
  // While a write is being retried, a new attempt would only add a verdict
  // that cannot be recorded either.
  if (stopped_ || held_writes_ > 0 || sub_names_.empty()) return;
  std::vector<SubState*> forgotten;
  for (SubState* s : sub_by_index_) {
    if (s == nullptr) continue;
    if (!s->config) {
      // Removed from the config: its deliveries stay pending in storage and
      // resume if a subscription of that name comes back (at the next start).
      for (Token t : queue_.take(s->index)) free_item(t);
      queue_.set_limit(s->index, 0);
      if (s->forgotten) forgotten.push_back(s);
      continue;
    }
    const bool held = s->paused || !s->config->enabled;
    queue_.set_limit(s->index, held ? 0 : s->config->max_in_flight);
  }
  for (SubState* s : forgotten) maybe_recycle(*s);
  const std::size_t global = config_->delivery.max_in_flight;
  while (auto e = queue_.next(global)) {
    const Token t = e->token;
    SubState& s = *sub_by_index_[e->sub];
    auto& origin = origins_[s.origin];
    if (!origin) origin = std::make_unique<OriginBreaker>(kProbeThreshold);
    switch (origin->admit(t, now_tick())) {
      case OriginBreaker::Admit::held: continue;
      case OriginBreaker::Admit::wake_later: schedule_tick(t, origin->cooldown_tick()); continue;
      case OriginBreaker::Admit::send:
      case OriginBreaker::Admit::probe: break;
    }
    items_[t].in_flight = true;
    queue_.started(e->sub);
    ++counters_[s.name].in_flight;
    if (tasks_)
      net::co_spawn(ioc_, attempt(t), tasks_->adapt(ioc_.get_executor()));
    else
      net::co_spawn(ioc_, attempt(t), log_if_exception);
  }
}

}  // namespace hookd::daemon
