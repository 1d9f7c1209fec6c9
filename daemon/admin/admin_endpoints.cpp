// The /v1 endpoints of AdminHandler (docs/admin-api.md): reads from the
// store, actions through the delivery scheduler.

#include "core/clock.hpp"
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
  return std::nullopt;
}

boost::json::value next_or_null(std::optional<std::string> next) {
  if (!next) return nullptr;
  return boost::json::value(*next);
}

}  // namespace

Response AdminHandler::list_subscriptions() const {
  boost::json::array subs;
  for (const auto& s : scheduler_.subscriptions()) subs.push_back(subscription_json(s));
  return json_response(http::status::ok, boost::json::object{{"subscriptions", std::move(subs)}});
}

Response AdminHandler::get_subscription(const std::string& name) const {
  auto s = scheduler_.subscription(name);
  if (!s) return error_response(http::status::not_found, "no such subscription");
  return json_response(http::status::ok,
                       boost::json::object{{"subscription", subscription_json(*s)}});
}

Response AdminHandler::list_events(boost::urls::params_view params) {
  auto query = read_query(params, {"source", "type", "limit", "after"});
  if (!query.error.empty()) return bad_request(query.error);
  std::string why;
  auto page = read_page(query, why);
  if (!page) return bad_request(why);
  auto source = query.get("source");
  auto type = query.get("type");
  auto matches = [&](const Event& e) {
    return (!source || e.source == *source) && (!type || type_matches(*type, e.type));
  };
  // One more match than the page holds tells whether there is a next page.
  // With filters the scan is bounded; "next" then resumes where it stopped.
  const std::size_t budget =
      source || type ? page->limit * kScanFactor + kScanExtra : page->limit + 1;
  std::vector<Event> found;
  std::string cursor = page->after;
  std::size_t scanned = 0;
  bool at_end = false;
  while (found.size() <= page->limit && scanned < budget && !at_end) {
    std::size_t want = std::min(budget - scanned, kScanChunk);
    auto chunk = store_.list_events(cursor, want);
    if (!chunk) return storage_failure(chunk.error());
    at_end = chunk->size() < want;
    for (auto& ev : *chunk) {
      ++scanned;
      cursor = ev.id;
      if (!matches(ev)) continue;
      found.push_back(std::move(ev));
      if (found.size() > page->limit) break;
    }
  }
  std::optional<std::string> next;
  if (found.size() > page->limit) {
    found.resize(page->limit);
    next = found.back().id;
  } else if (!at_end) {
    next = cursor;
  }
  boost::json::array events;
  for (const auto& e : found) events.push_back(event_summary_json(e));
  return json_response(http::status::ok, boost::json::object{{"events", std::move(events)},
                                                             {"next", next_or_null(next)}});
}

Response AdminHandler::get_event(const std::string& id) {
  auto ev = store_.get_event(id);
  if (!ev) return storage_failure(ev.error());
  if (!*ev) return error_response(http::status::not_found, "no such event");
  auto deliveries = store_.deliveries_of(id);
  if (!deliveries) return storage_failure(deliveries.error());
  boost::json::array list;
  for (const auto& d : *deliveries) list.push_back(delivery_json(d));
  return json_response(http::status::ok, boost::json::object{{"event", event_summary_json(**ev)},
                                                             {"body", (*ev)->body},
                                                             {"deliveries", std::move(list)}});
}

Response AdminHandler::list_deliveries(boost::urls::params_view params) {
  auto query = read_query(params, {"subscription", "state", "limit", "after"});
  if (!query.error.empty()) return bad_request(query.error);
  std::string why;
  auto page = read_page(query, why);
  if (!page) return bad_request(why);
  std::optional<DeliveryState> state;
  if (auto s = query.get("state")) {
    state = parse_state(*s);
    if (!state) return bad_request("state must be pending, delivered or dead");
  }
  auto found = store_.list_deliveries(query.get("subscription").value_or(""), state, page->after,
                                      page->limit + 1);
  if (!found) return storage_failure(found.error());
  std::optional<std::string> next;
  if (found->size() > page->limit) {
    found->resize(page->limit);
    next = found->back().id;
  }
  boost::json::array list;
  for (const auto& d : *found) list.push_back(delivery_json(d));
  return json_response(http::status::ok, boost::json::object{{"deliveries", std::move(list)},
                                                             {"next", next_or_null(next)}});
}

Response AdminHandler::get_delivery(const std::string& id) {
  auto d = store_.get_delivery(id);
  if (!d) return storage_failure(d.error());
  if (!*d) return error_response(http::status::not_found, "no such delivery");
  auto attempts = store_.attempts_of(id);
  if (!attempts) return storage_failure(attempts.error());
  boost::json::array list;
  for (const auto& a : *attempts) list.push_back(attempt_json(a));
  return json_response(http::status::ok, boost::json::object{{"delivery", delivery_json(**d)},
                                                             {"attempts", std::move(list)}});
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
  auto n = co_await scheduler_.replay(name, *since, *until);
  if (!n) co_return action_error(n.error(), "subscription");
  log::info("admin.replay",
            {{"sub", name}, {"since_ms", *since}, {"until_ms", *until}, {"replayed", *n}});
  co_return json_response(http::status::ok, boost::json::object{{"replayed", *n}});
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
