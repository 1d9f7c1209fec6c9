#include "daemon/ingest/ingest_handler.hpp"

#include "core/clock.hpp"
#include "core/formats/parsers.hpp"
#include "daemon/ingest/ingest_request.hpp"
#include "daemon/log.hpp"
#include "daemon/store_async.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <boost/asio/post.hpp>

#include <set>
#include <chrono>
#include <mutex>

namespace hookd::daemon {

// One request's write, which re-sends on any io thread may wait for.
struct IngestHandler::InFlight {
  // Sets the outcome and wakes every waiter on its own executor.
  void finish(error_code ec) {
    std::vector<std::shared_ptr<net::steady_timer>> woken;
    {
      std::lock_guard lock(mu);
      outcome = ec;
      woken.swap(waiters);
    }
    for (auto& t : woken) net::post(t->get_executor(), [t] { t->cancel(); });
  }
  // The write's outcome; nullopt when the wait was cancelled (shutdown).
  net::awaitable<std::optional<error_code>> wait() {
    auto timer = std::make_shared<net::steady_timer>(co_await net::this_coro::executor,
                                                     net::steady_timer::time_point::max());
    {
      std::lock_guard lock(mu);
      if (outcome) co_return outcome;
      waiters.push_back(timer);
    }
    co_await timer->async_wait(use_tuple);
    std::lock_guard lock(mu);
    co_return outcome;
  }

  std::mutex mu;
  std::optional<error_code> outcome;  // set once the write finished
  std::vector<std::shared_ptr<net::steady_timer>> waiters;
};

namespace {

Response ok_response(std::size_t accepted, std::size_t duplicates,
                     const std::vector<std::string>& ids) {
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  boost::json::object body;
  body["accepted"] = accepted;
  body["duplicates"] = duplicates;
  boost::json::array arr;
  arr.reserve(ids.size());
  for (const auto& id : ids) arr.emplace_back(id);
  body["ids"] = std::move(arr);
  res.body() = boost::json::serialize(body);
  return res;
}

Response plain_ok() {
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = R"({"status":"ok"})";
  return res;
}

}  // namespace

IngestHandler::IngestHandler(storage::EventStore& store, std::shared_ptr<const Config> config)
    : store_(store) {
  set_config(std::move(config));
}

void IngestHandler::set_config(std::shared_ptr<const Config> config) {
  std::set<std::string, std::less<>> sources;
  for (const auto& src : config->sources) sources.insert(src.name);
  {
    std::lock_guard lock(counters_mu_);
    series_.retain(sources);
    series_.set_max_names(sources.size());
  }
  auto routing = std::make_shared<Routing>(Routing{config, Router(config->subscriptions)});
  std::lock_guard lock(routing_mu_);
  routing_ = std::move(routing);
}

std::map<std::string, std::array<SourceMinute, kSeriesMinutes>, std::less<>>
IngestHandler::series(std::int64_t now_minute) const {
  std::lock_guard lock(counters_mu_);
  return series_.windows(now_minute);
}

std::shared_ptr<const IngestHandler::Routing> IngestHandler::routing() const {
  std::lock_guard lock(routing_mu_);
  return routing_;
}

void IngestHandler::count(const std::string& source, std::uint64_t SourceCounters::*field,
                          std::uint64_t n) {
  std::lock_guard lock(counters_mu_);
  counters_[source].*field += n;
  const bool refused = field == &SourceCounters::rejected;
  if (refused || field == &SourceCounters::unavailable) {
    if (auto* m = series_.at(source, unix_minute(unix_ms())))
      (refused ? m->rejected : m->unavailable) += static_cast<std::uint32_t>(n);
  }
}

std::map<std::string, SourceCounters> IngestHandler::counters() const {
  std::lock_guard lock(counters_mu_);
  return counters_;
}

std::size_t IngestHandler::writes_in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_.size();
}

void IngestHandler::note_rejected(const std::string& source, http::status status,
                                  std::string_view reason, const ClientInfo& client) {
  count(source, &SourceCounters::rejected);
  log::info("ingest.rejected", {{"source", source.empty() ? "-" : source},
                                {"status", static_cast<int>(status)},
                                {"client", client.address.to_string()},
                                {"reason", reason}});
}

Response IngestHandler::refuse(const IngestVerdict& verdict, const ClientInfo& client) {
  note_rejected(verdict.source ? verdict.source->name : std::string(), verdict.status,
                verdict.message, client);
  auto res = error_response(verdict.status, verdict.message);
  if (verdict.status == http::status::method_not_allowed) res.set(http::field::allow, "POST, HEAD");
  return res;
}

void IngestHandler::http_refusal(http::status status, std::string_view reason,
                                 const ClientInfo& client) {
  note_rejected(std::string(), status, reason, client);  // before any source is known
}

std::optional<Response> IngestHandler::check_head(const http::request_header<>& head,
                                                  const ClientInfo& client,
                                                  std::any& head_state) {
  CheckedHead checked{routing(), {}};
  checked.head = judge_ingest_head(*checked.routing->config, head, client.address);
  if (!checked.head.who.ok()) return refuse(checked.head.who, client);
  head_state = std::move(checked);
  return std::nullopt;
}

net::awaitable<Response> IngestHandler::handle(Request& req, const ClientInfo& client,
                                               std::any& head_state) {
  // The config the head was judged by, else the current one: a reload
  // during this request does not affect it.
  std::shared_ptr<const Routing> current;
  IngestVerdict verdict;
  if (auto* checked = std::any_cast<CheckedHead>(&head_state)) {
    current = checked->routing;
    verdict = prepare_ingest(*current->config, req, client.address, unix_ms(),
                             std::move(checked->head));
  } else {
    current = routing();
    verdict = prepare_ingest(*current->config, req, client.address, unix_ms());
  }
  if (!verdict.ok()) co_return refuse(verdict, client);
  if (verdict.not_ingest) co_return plain_ok();
  co_return co_await ingest(*verdict.source, *current, std::move(verdict.events));
}

std::string IngestHandler::new_event_id(std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  return ids_.next(now_ms);
}

net::awaitable<Response> IngestHandler::ingest(const SourceConfig& source,
                                               const Routing& routing,
                                               std::vector<Event> events) {
  std::string source_name = source.name;  // `source` may go with a reload
  auto unavailable = [&](std::string_view message) {
    count(source_name, &SourceCounters::unavailable);
    auto res = error_response(http::status::service_unavailable, message);
    res.set(http::field::retry_after, "1");
    return res;
  };
  std::vector<std::string> ids(events.size());
  std::vector<std::shared_ptr<InFlight>> waits;  // other requests' writes we depend on
  std::vector<storage::IngestRecord> records;
  std::vector<std::string> reserved;
  std::vector<Delivery> deliveries;
  std::size_t duplicates = 0;
  std::size_t unrouted = 0;
  auto flight = std::make_shared<InFlight>();
  auto release = [&] {
    std::lock_guard lock(mu_);
    for (auto& k : reserved) in_flight_.erase(k);
  };

  for (std::size_t i = 0; i < events.size(); ++i) {
    Event& ev = events[i];
    std::string scoped = source_name + '\0' + ev.idempotency_key;
    {
      // The lookup and the reservation are one step for every io thread.
      std::unique_lock lock(mu_);
      if (auto it = in_flight_.find(scoped); it != in_flight_.end()) {
        // Being written: by this very request (a repeated record) or another one.
        ++duplicates;
        ids[i] = it->second.event_id;
        if (it->second.flight != flight) waits.push_back(it->second.flight);
        continue;
      }
      auto found = store_.find_idempotency(source_name, ev.idempotency_key, ev.received_ms);
      if (!found) {
        lock.unlock();
        log::error("ingest.storage_read_failed", {{"error", found.error().message()}});
        release();
        co_return unavailable("storage unavailable; retry later");
      }
      if (*found) {
        ++duplicates;
        ids[i] = **found;
        continue;
      }
      ev.id = ids_.next(ev.received_ms);
      in_flight_.emplace(scoped, InFlightEntry{flight, ev.id});
    }
    ids[i] = ev.id;
    reserved.push_back(std::move(scoped));
    storage::IngestRecord rec;
    rec.catalog = true;
    auto matches = routing.router.match(ev);
    if (matches.empty()) {
      ++unrouted;
      log::debug("ingest.unrouted", {{"source", source_name}, {"type", ev.type}});
    }
    for (std::size_t k = 0; k < matches.size(); ++k) {
      Delivery d;
      d.id = ev.id + "." + std::to_string(k);
      d.event_id = ev.id;
      d.subscription = routing.config->subscriptions[matches[k]].name;
      d.created_ms = d.updated_ms = d.next_attempt_ms = ev.received_ms;
      rec.deliveries.push_back(d);
      deliveries.push_back(std::move(d));
    }
    rec.event = std::move(ev);
    records.push_back(std::move(rec));
  }

  const std::size_t accepted = records.size();
  if (!records.empty()) {
    auto [ec] = co_await async_store_write<StoreWait::poll>(
        [&](storage::EventStore::Done done) { return store_.submit(std::move(records), std::move(done)); },
        use_tuple);
    flight->finish(ec);
    release();
    if (ec) {
      log::error("ingest.store_failed", {{"source", source_name}, {"error", ec.message()}});
      co_return unavailable(ec == storage_errc::busy ? "backlog full; retry later"
                                                     : "storage unavailable; retry later");
    }
    {
      std::lock_guard lock(counters_mu_);
      auto& c = counters_[source_name];
      c.routed += accepted - unrouted;
      c.unrouted += unrouted;
      if (auto* m = series_.at(source_name, unix_minute(unix_ms()))) {
        m->routed += static_cast<std::uint32_t>(accepted - unrouted);
        m->unrouted += static_cast<std::uint32_t>(unrouted);
      }
    }
    if (on_committed_ && !deliveries.empty()) on_committed_(deliveries);
  }
  for (auto& other : waits) {
    auto outcome = co_await other->wait();
    if (!outcome || *outcome) co_return unavailable("storage unavailable; retry later");
  }
  {
    std::lock_guard lock(counters_mu_);
    auto& c = counters_[source_name];
    c.duplicates += duplicates;
    ++c.ok;
    if (duplicates > 0)
      if (auto* m = series_.at(source_name, unix_minute(unix_ms())))
        m->duplicate += static_cast<std::uint32_t>(duplicates);
  }
  log::debug("ingest.accepted", {{"source", source_name},
                                 {"accepted", accepted},
                                 {"duplicates", duplicates}});
  co_return ok_response(accepted, duplicates, ids);
}

}  // namespace hookd::daemon
