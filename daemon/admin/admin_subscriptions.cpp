// The /v1/subscriptions endpoints of AdminHandler (docs/admin-api.md):
// listings and reads from the effective config and the scheduler, changes
// of API subscriptions through the SubscriptionRegistry, and test events.

#include "core/clock.hpp"
#include "core/delivery/outgoing.hpp"
#include "daemon/admin/admin_handler.hpp"
#include "daemon/admin/admin_json.hpp"
#include "daemon/admin/admin_request.hpp"
#include "daemon/log.hpp"
#include "daemon/store_async.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <variant>

namespace hookd::daemon {

namespace json = boost::json;

namespace {

Response bad_request(std::string_view message) {
  return error_response(http::status::bad_request, message);
}

// The request's body as a JSON object, or the answer refusing it.
std::variant<json::object, Response> object_body(const std::string& body, bool empty_ok) {
  if (body.empty() && empty_ok) return json::object();
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return bad_request("body must be a JSON object");
  return std::move(v.get_object());
}

Response change_error(const SubscriptionRegistry::Error& e) {
  json::object o;
  o["error"] = e.message;
  if (!e.details.empty()) o["errors"] = json::value_from(e.details);
  auto res = json_response(static_cast<http::status>(e.status), o);
  if (e.status == 503) res.set(http::field::retry_after, "1");
  return res;
}

}  // namespace

json::object AdminHandler::subscription_view(const SubscriptionConfig& sc) const {
  json::object o;
  if (auto st = scheduler_.subscription(sc.name)) o = subscription_json(*st);
  for (auto& [k, v] : subscription_config_json(sc, registry_->file_config())) o[k] = v;
  return o;
}

std::optional<json::object> AdminHandler::subscription_view(std::string_view name) const {
  if (!registry_) return std::nullopt;
  for (const auto& s : config_->subscriptions)
    if (s.name == name) return subscription_view(s);
  // An API subscription that is not in effect: invalid against this config
  // file, or being deleted.
  const auto* e = registry_->find(name);
  if (e == nullptr) return std::nullopt;
  json::object o;
  o["name"] = std::string(name);
  o["origin"] = "api";
  o["state"] = e->deleting ? "deleting" : "invalid";
  o["error"] = e->deleting ? json::value(nullptr) : json::value(e->invalid);
  o["created"] = format_rfc3339_ms(e->created_ms);
  o["updated"] = format_rfc3339_ms(e->updated_ms);
  return o;
}

Response AdminHandler::list_subscriptions(boost::urls::params_view params) const {
  auto query = read_query(params, {"origin", "label"});
  if (!query.error.empty()) return bad_request(query.error);
  auto origin = query.get("origin");
  if (origin && *origin != "api" && *origin != "config")
    return bad_request("origin must be api or config");
  std::optional<std::pair<std::string, std::string>> label;
  if (auto l = query.get("label")) {
    auto eq = l->find('=');
    if (eq == std::string_view::npos) return bad_request("label must be KEY=VALUE");
    label.emplace(std::string(l->substr(0, eq)), std::string(l->substr(eq + 1)));
  }
  json::array subs;
  if (!registry_) return json_response(http::status::ok, json::object{{"subscriptions", std::move(subs)}});
  for (const auto& s : config_->subscriptions) {
    const bool api = s.origin == SubscriptionOrigin::api;
    if (origin && (*origin == "api") != api) continue;
    if (label) {
      auto it = s.labels.find(label->first);
      if (it == s.labels.end() || it->second != label->second) continue;
    }
    subs.push_back(subscription_view(s));
  }
  // API subscriptions not in effect (invalid against this config, or being deleted).
  if ((!origin || *origin == "api") && !label) {
    for (const auto& [name, e] : registry_->entries())
      if ((e.deleting || !e.config) && registry_->file_subscription(name) == nullptr)
        if (auto v = subscription_view(name)) subs.push_back(std::move(*v));
  }
  return json_response(http::status::ok, json::object{{"subscriptions", std::move(subs)}});
}

Response AdminHandler::get_subscription(const std::string& name) const {
  auto v = subscription_view(name);
  if (!v) return error_response(http::status::not_found, "no such subscription");
  return json_response(http::status::ok, json::object{{"subscription", std::move(*v)}});
}

net::awaitable<Response> AdminHandler::create_subscription(std::string body) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto spec = object_body(body, false);
  if (auto* refused = std::get_if<Response>(&spec)) co_return std::move(*refused);
  auto change = co_await registry_->create(std::move(std::get<json::object>(spec)));
  if (change.error) co_return change_error(*change.error);
  json::object out{{"subscription", subscription_view(change.name).value_or(json::object())}};
  if (!change.secret.empty()) out["secret"] = change.secret;
  co_return json_response(http::status::created, out);
}

net::awaitable<Response> AdminHandler::update_subscription(std::string name, std::string body,
                                                           bool replace) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto spec = object_body(body, false);
  if (auto* refused = std::get_if<Response>(&spec)) co_return std::move(*refused);
  auto change = co_await registry_->update(name, std::move(std::get<json::object>(spec)), replace);
  if (change.error) co_return change_error(*change.error);
  co_return get_subscription(name);
}

net::awaitable<Response> AdminHandler::enable_subscription(std::string name, bool enabled) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto change = co_await registry_->set_enabled(name, enabled);
  if (change.error) co_return change_error(*change.error);
  co_return get_subscription(name);
}

net::awaitable<Response> AdminHandler::delete_subscription(std::string name) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto change = co_await registry_->remove(name);
  if (change.error) co_return change_error(*change.error);
  co_return json_response(http::status::ok,
                          json::object{{"deleted", name}, {"cancelled", change.cancelled}});
}

net::awaitable<Response> AdminHandler::rotate_secret(std::string name, std::string body) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto parsed = object_body(body, true);
  if (auto* refused = std::get_if<Response>(&parsed)) co_return std::move(*refused);
  const json::object& o = std::get<json::object>(parsed);
  Duration grace{24LL * 3600 * 1000};
  std::optional<std::string> secret;
  for (const auto& [key, value] : o) {
    if (key == "grace") {
      const json::string* s = value.if_string();
      std::optional<Duration> d;
      if (s && (*s == "0" || *s == "0s")) d = Duration{0};
      else if (s) d = parse_duration(*s);
      if (!d || *d > Duration{30LL * 24 * 3600 * 1000})
        co_return bad_request("grace: a duration up to 30d (\"24h\", \"90m\", \"0s\")");
      grace = *d;
    } else if (key == "secret") {
      if (!value.is_string()) co_return bad_request("secret: expected a string");
      secret = std::string(value.get_string());
    } else {
      co_return bad_request("unknown field '" + std::string(key) + "'");
    }
  }
  auto change = co_await registry_->rotate_secret(name, grace, std::move(secret));
  if (change.error) co_return change_error(*change.error);
  json::object out{{"subscription", subscription_view(name).value_or(json::object())}};
  if (!change.secret.empty()) out["secret"] = change.secret;
  // The latest end among the old secrets still signing (null: none).
  std::int64_t until = 0;
  if (const auto* e = registry_->find(name))
    for (const auto& s : e->secrets) until = std::max(until, s.until_ms);
  out["previous_valid_until"] = until > 0 ? json::value(format_rfc3339_ms(until)) : nullptr;
  co_return json_response(http::status::ok, out);
}

net::awaitable<Response> AdminHandler::test_subscription(std::string name) {
  co_await net::this_coro::throw_if_cancelled(false);
  const SubscriptionConfig* sc = nullptr;
  for (const auto& s : config_->subscriptions)
    if (s.name == name) sc = &s;
  if (sc == nullptr) co_return error_response(http::status::not_found, "no such subscription");
  if (!sc->enabled)
    co_return error_response(http::status::conflict, "the subscription is disabled; enable it first");
  const std::int64_t now = unix_ms();
  Event ev;
  ev.id = ingest_.new_event_id(now);
  ev.source = "hookd";
  ev.format = Format::generic;
  ev.type = "hookd.test";
  ev.time_ms = ev.received_ms = now;
  ev.body = json::serialize(json::object{{"type", "hookd.test"},
                                         {"subscription", name},
                                         {"id", ev.id},
                                         {"time", format_rfc3339_ms(now)},
                                         {"message", "a test delivery from hookd"}});
  Delivery d;
  d.id = ev.id + ".0";
  d.event_id = ev.id;
  d.subscription = name;
  d.created_ms = d.updated_ms = d.next_attempt_ms = now;
  std::vector<storage::IngestRecord> records(1);
  records[0].event = std::move(ev);
  records[0].deliveries.push_back(d);
  auto [ec] = co_await async_store_write(
      [&](storage::EventStore::Done done) { return store_.submit(std::move(records), std::move(done)); },
      use_tuple);
  if (ec) co_return storage_failure(ec);
  scheduler_.enqueue({d});
  log::info("admin.test", {{"sub", name}, {"delivery", d.id}});
  co_return json_response(http::status::accepted,
                          json::object{{"event_id", d.event_id}, {"delivery_id", d.id}});
}

}  // namespace hookd::daemon
