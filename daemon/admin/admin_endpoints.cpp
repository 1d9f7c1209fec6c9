// The /v1 endpoints of AdminHandler (docs/admin-api.md): reads from the
// store on the storage reader, actions through the delivery scheduler.
// Each reader callable captures by value or the store (owned by App); what
// it returns hops back to the io thread by move.

#include "core/clock.hpp"
#include "core/delivery/outgoing.hpp"
#include "core/formats/parsers.hpp"
#include "core/router.hpp"
#include "daemon/admin/admin_handler.hpp"
#include "daemon/admin/admin_json.hpp"
#include "daemon/admin/admin_request.hpp"
#include "daemon/log.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <chrono>

namespace hookd::daemon {

namespace {

// Events read per store call while filtering: bodies come along, so keep it small.
constexpr std::size_t kScanChunk = 256;

Response bad_request(std::string_view message) {
  return error_response(http::status::bad_request, message);
}

std::optional<DeliveryState> parse_state(std::string_view s) {
  if (s == "pending") return DeliveryState::pending;
  if (s == "delivered") return DeliveryState::delivered;
  if (s == "dead") return DeliveryState::dead;
  if (s == "cancelled") return DeliveryState::cancelled;
  return std::nullopt;
}

boost::json::value next_or_null(std::optional<std::string> next) {
  if (!next) return nullptr;
  return boost::json::value(*next);
}

}  // namespace

namespace {

struct EventPage {
  std::vector<Event> found;  // without bodies: the listing shows summaries
  std::optional<std::string> next;
};

// Scans from `after` for up to `limit` matches (and one more) within
// `budget` events, in chunks. Runs on the storage reader.
result<EventPage> scan_events(storage::EventStore& store, std::string after, std::size_t limit,
                              std::size_t budget, std::optional<std::string> source,
                              std::optional<std::string> type) {
  auto matches = [&](const Event& e) {
    return (!source || e.source == *source) && (!type || type_matches(*type, e.type));
  };
  EventPage page;
  std::string cursor = std::move(after);
  std::size_t scanned = 0;
  bool at_end = false;
  while (page.found.size() <= limit && scanned < budget && !at_end) {
    std::size_t want = std::min(budget - scanned, kScanChunk);
    auto chunk = store.list_events(cursor, want);
    if (!chunk) return chunk.error();
    at_end = chunk->size() < want;
    for (auto& ev : *chunk) {
      ++scanned;
      cursor = ev.id;
      if (!matches(ev)) continue;
      ev.body.clear();
      ev.body.shrink_to_fit();
      page.found.push_back(std::move(ev));
      if (page.found.size() > limit) break;
    }
  }
  if (page.found.size() > limit) {
    page.found.resize(limit);
    page.next = page.found.back().id;
  } else if (!at_end) {
    page.next = cursor;
  }
  return page;
}

// An event with its deliveries, or a delivery with its attempts (reader).
struct EventDetail {
  std::optional<Event> event;
  std::vector<Delivery> deliveries;
};
result<EventDetail> read_event(storage::EventStore& store, const std::string& id) {
  auto ev = store.get_event(id);
  if (!ev) return ev.error();
  if (!*ev) return EventDetail{};
  auto deliveries = store.deliveries_of(id);
  if (!deliveries) return deliveries.error();
  return EventDetail{std::move(*ev), std::move(*deliveries)};
}

struct DeliveryDetail {
  std::optional<Delivery> delivery;
  std::vector<Attempt> attempts;
};
result<DeliveryDetail> read_delivery(storage::EventStore& store, const std::string& id) {
  auto d = store.get_delivery(id);
  if (!d) return d.error();
  if (!*d) return DeliveryDetail{};
  auto attempts = store.attempts_of(id);
  if (!attempts) return attempts.error();
  return DeliveryDetail{std::move(*d), std::move(*attempts)};
}

std::optional<std::string> owned(std::optional<std::string_view> v) {
  if (!v) return std::nullopt;
  return std::string(*v);
}

}  // namespace

net::awaitable<Response> AdminHandler::list_events(boost::urls::params_view params) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto query = read_query(params, {"source", "type", "limit", "after"});
  if (!query.error.empty()) co_return bad_request(query.error);
  std::string why;
  auto page = read_page(query, why);
  if (!page) co_return bad_request(why);
  auto source = owned(query.get("source"));
  auto type = owned(query.get("type"));
  // One more match than the page holds tells whether there is a next page.
  // With filters the scan is bounded; "next" then resumes where it stopped.
  const std::size_t budget =
      source || type ? page->limit * kScanFactor + kScanExtra : page->limit + 1;
  storage::EventStore* store = &store_;
  auto scan = [store, after = page->after, limit = page->limit, budget, source, type] {
    return scan_events(*store, after, limit, budget, source, type);
  };
  auto found = co_await reader_.run(std::move(scan));
  if (!found) co_return storage_failure(found.error());
  boost::json::array events;
  for (const auto& e : found->found) events.push_back(event_summary_json(e));
  co_return json_response(http::status::ok,
                          boost::json::object{{"events", std::move(events)},
                                              {"next", next_or_null(std::move(found->next))}});
}

net::awaitable<Response> AdminHandler::get_event(std::string id) {
  co_await net::this_coro::throw_if_cancelled(false);
  storage::EventStore* store = &store_;
  auto read = [store, id] { return read_event(*store, id); };
  auto found = co_await reader_.run(std::move(read));
  if (!found) co_return storage_failure(found.error());
  if (!found->event) co_return error_response(http::status::not_found, "no such event");
  boost::json::array list;
  for (const auto& d : found->deliveries) list.push_back(delivery_json(d));
  co_return json_response(http::status::ok,
                          boost::json::object{{"event", event_summary_json(*found->event)},
                                              {"body", found->event->body},
                                              {"deliveries", std::move(list)}});
}

net::awaitable<Response> AdminHandler::list_deliveries(boost::urls::params_view params) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto query = read_query(params, {"subscription", "state", "limit", "after"});
  if (!query.error.empty()) co_return bad_request(query.error);
  std::string why;
  auto page = read_page(query, why);
  if (!page) co_return bad_request(why);
  std::optional<DeliveryState> state;
  if (auto s = query.get("state")) {
    state = parse_state(*s);
    if (!state) co_return bad_request("state must be pending, delivered, dead or cancelled");
  }
  storage::EventStore* store = &store_;
  auto read = [store, sub = std::string(query.get("subscription").value_or("")), state,
               after = page->after, limit = page->limit] {
    return store->list_deliveries(sub, state, after, limit + 1);
  };
  auto found = co_await reader_.run(std::move(read));
  if (!found) co_return storage_failure(found.error());
  std::optional<std::string> next;
  if (found->size() > page->limit) {
    found->resize(page->limit);
    next = found->back().id;
  }
  boost::json::array list;
  for (const auto& d : *found) list.push_back(delivery_json(d));
  co_return json_response(http::status::ok, boost::json::object{{"deliveries", std::move(list)},
                                                                {"next", next_or_null(next)}});
}

net::awaitable<Response> AdminHandler::get_delivery(std::string id) {
  co_await net::this_coro::throw_if_cancelled(false);
  storage::EventStore* store = &store_;
  auto read = [store, id] { return read_delivery(*store, id); };
  auto found = co_await reader_.run(std::move(read));
  if (!found) co_return storage_failure(found.error());
  if (!found->delivery) co_return error_response(http::status::not_found, "no such delivery");
  boost::json::array list;
  for (const auto& a : found->attempts) list.push_back(attempt_json(a));
  co_return json_response(http::status::ok,
                          boost::json::object{{"delivery", delivery_json(*found->delivery)},
                                              {"attempts", std::move(list)}});
}

namespace {

// The catalog of the store's memory, read on the storage reader: the copy
// takes the lock the storage writer merges each group under.
result<std::optional<storage::EventTypeListing>> read_event_types(
    storage::EventStore& store, const std::optional<std::string>& source) {
  std::optional<std::string_view> filter;
  if (source) filter = *source;
  return store.event_types(filter);
}

boost::json::object event_type_json(const EventTypeEntry& e) {
  return {{"source", e.source},
          {"type", e.type},
          {"count", e.stats.count},
          {"first_seen", format_rfc3339_ms(e.stats.first_seen_ms)},
          {"last_seen", format_rfc3339_ms(e.stats.last_seen_ms)}};
}

}  // namespace

net::awaitable<Response> AdminHandler::list_event_types(boost::urls::params_view params) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto query = read_query(params, {"source"});
  if (!query.error.empty()) co_return bad_request(query.error);
  storage::EventStore* store = &store_;
  auto read = [store, source = owned(query.get("source"))] {
    return read_event_types(*store, source);
  };
  auto found = co_await reader_.run(std::move(read));
  if (!found) co_return storage_failure(found.error());
  if (!*found)
    co_return error_response(http::status::not_found,
                             "the event-type catalog is off ([storage] event_types = false)");
  boost::json::array list;
  list.reserve((*found)->entries.size());
  for (const auto& e : (*found)->entries) list.push_back(event_type_json(e));
  co_return json_response(http::status::ok,
                          boost::json::object{{"event_types", std::move(list)},
                                              {"dropped", (*found)->dropped}});
}

Response AdminHandler::get_job(const std::string& id) const {
  auto job = jobs_.find(id);
  if (!job) return error_response(http::status::not_found, "no such job");
  return json_response(http::status::ok, boost::json::object{{"job", job_json(*job)}});
}

Response AdminHandler::list_jobs() const {
  boost::json::array list;
  for (const auto& j : jobs_.list()) list.push_back(job_json(*j));
  return json_response(http::status::ok, boost::json::object{{"jobs", std::move(list)}});
}

net::awaitable<Response> AdminHandler::retry(std::string id) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto d = co_await scheduler_.retry(id);
  if (!d) co_return action_error(d.error(), "delivery");
  log::info("admin.retry", {{"delivery", id}, {"sub", d->subscription}});
  co_return json_response(http::status::ok, boost::json::object{{"delivery", delivery_json(*d)}});
}

net::awaitable<Response> AdminHandler::pause_or_resume(std::string name, bool pause) {
  co_await net::this_coro::throw_if_cancelled(false);
  error_code ec;
  if (pause)
    ec = co_await scheduler_.pause(name);
  else
    ec = co_await scheduler_.resume(name);
  if (ec) co_return action_error(ec, "subscription");
  log::info(pause ? "admin.pause" : "admin.resume", {{"sub", name}});
  co_return get_subscription(name);
}

net::awaitable<Response> AdminHandler::replay(std::string name, const std::string& body) {
  co_await net::this_coro::throw_if_cancelled(false);
  boost::system::error_code jec;
  auto parsed = boost::json::parse(body, jec);
  if (jec || !parsed.is_object())
    co_return bad_request(R"(body must be a JSON object {"since":"RFC3339","until":"RFC3339"})");
  std::optional<std::int64_t> since, until;
  for (const auto& [key, value] : parsed.as_object()) {
    if (key != "since" && key != "until")
      co_return bad_request("unknown field '" + std::string(key) + "'");
    if (key == "until" && value.is_null()) continue;
    auto t = value.is_string() ? parse_rfc3339_ms(value.as_string()) : std::nullopt;
    if (!t) co_return bad_request(std::string(key) + " must be an RFC 3339 date-time");
    (key == "since" ? since : until) = t;
  }
  if (!since) co_return bad_request("since is required");
  if (!until) until = unix_ms();
  if (*since >= *until) co_return bad_request("since must be before until");
  auto job = jobs_.start(co_await net::this_coro::executor, name, *since, *until);
  if (!job) {
    auto res = error_response(http::status::service_unavailable,
                              "too many replay jobs running; retry later");
    res.set(http::field::retry_after, "1");
    co_return res;
  }
  // Woken after the first chunk or at the end; a range that is done by then
  // answers as a plain replay.
  job->wake->expires_after(kInlineReplay);
  co_await job->wake->async_wait(use_tuple);
  if (job->status != ReplayJob::Status::running) {
    jobs_.forget(job->id);
    if (job->status == ReplayJob::Status::failed)
      co_return action_error(job->error, "subscription");
    std::uint64_t n = job->progress->created;
    log::info("admin.replay",
              {{"sub", name}, {"since_ms", *since}, {"until_ms", *until}, {"replayed", n}});
    co_return json_response(http::status::ok, boost::json::object{{"replayed", n}});
  }
  job->wake->expires_at(net::steady_timer::time_point::max());
  log::info("admin.replay_started",
            {{"sub", name}, {"since_ms", *since}, {"until_ms", *until}, {"job", job->id}});
  auto started = job_json(*job);
  started["job"] = job->id;
  co_return json_response(http::status::accepted, started);
}

net::awaitable<Response> AdminHandler::redeliver_dead(boost::urls::params_view params) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto query = read_query(params, {"subscription"});
  if (!query.error.empty()) co_return bad_request(query.error);
  auto name = query.get("subscription");
  if (!name) co_return bad_request("subscription is required");
  auto n = co_await scheduler_.redeliver_dead(std::string(*name));
  if (!n) co_return action_error(n.error(), "subscription");
  log::info("admin.redeliver_dead", {{"sub", *name}, {"redelivered", *n}});
  co_return json_response(http::status::ok, boost::json::object{{"redelivered", *n}});
}

}  // namespace hookd::daemon
