#include "daemon/admin/admin_json.hpp"

#include "core/delivery/outgoing.hpp"
#include "core/text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

namespace hookd::daemon {

namespace {

boost::json::value string_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return boost::json::value(s);
}

}  // namespace

std::string_view subscription_state(const SubscriptionStatus& s) {
  if (!s.enabled) return "disabled";
  if (s.paused) return "paused";
  if (s.failing) return "failing";
  return "enabled";
}

boost::json::object subscription_json(const SubscriptionStatus& s) {
  boost::json::object o;
  o["name"] = s.name;
  o["url"] = s.url;
  o["state"] = subscription_state(s);
  o["paused_reason"] = s.paused ? boost::json::value(s.paused_reason) : nullptr;
  o["pending"] = s.counters.pending;
  o["in_flight"] = s.counters.in_flight;
  o["delivered"] = s.counters.delivered;
  o["dead"] = s.dead_total;
  return o;
}

boost::json::object subscription_config_json(const SubscriptionConfig& c, const Config& file) {
  namespace json = boost::json;
  json::object o;
  const bool api = c.origin == SubscriptionOrigin::api;
  o["origin"] = api ? "api" : "config";
  o["file"] = api ? json::value(nullptr) : json::value(file.file);
  o["url"] = c.url.substr(0, c.url.find('?'));
  o["url_has_query"] = c.url.find('?') != std::string::npos;
  o["events"] = json::value_from(c.events);
  o["sources"] = json::value_from(c.sources);
  json::object filter;
  auto put = [&](const char* key, const std::optional<std::string>& v) {
    if (v) filter[key] = *v;
  };
  put("bucket", c.filter.bucket);
  put("prefix", c.filter.prefix);
  put("suffix", c.filter.suffix);
  put("workspace", c.filter.workspace);
  put("collection", c.filter.collection);
  put("resource_type", c.filter.resource_type);
  o["filter"] = std::move(filter);
  json::array headers;
  for (const auto& [name, value] : c.headers) headers.push_back(json::value(name));
  o["headers"] = std::move(headers);
  o["basic_auth"] = c.basic_auth ? json::value(json::object{{"user", c.basic_auth->user},
                                                            {"password", "set"}})
                                 : json::value(nullptr);
  o["secrets"] = c.secrets.size();
  o["body"] = c.body == BodyMode::cloudevents ? "cloudevents" : "original";
  o["extra"] = c.extra;
  o["timeout"] = format_duration(c.timeout);
  o["retry"] = json::object{{"attempts", c.retry.attempts},
                            {"base", format_duration(c.retry.base)},
                            {"cap", format_duration(c.retry.cap)}};
  o["max_in_flight"] = c.max_in_flight;
  o["enabled"] = c.enabled;
  json::value tls = nullptr;
  if (c.tls) {
    json::object t;
    t["ca"] = string_or_null(c.tls->ca_file);
    if (!api) t["client_certificate"] = !c.tls->cert_file.empty();
    tls = std::move(t);
  }
  o["tls"] = std::move(tls);
  json::object labels;
  for (const auto& [k, v] : c.labels) labels[k] = v;
  o["labels"] = std::move(labels);
  o["created"] = api ? json::value(format_rfc3339_ms(c.created_ms)) : json::value(nullptr);
  o["updated"] = api ? json::value(format_rfc3339_ms(c.updated_ms)) : json::value(nullptr);
  return o;
}

boost::json::object event_summary_json(const Event& e) {
  boost::json::object o;
  o["id"] = e.id;
  o["source"] = e.source;
  o["type"] = e.type;
  o["time"] = format_rfc3339_ms(e.time_ms);
  o["received"] = format_rfc3339_ms(e.received_ms);
  o["idempotency_key"] = e.idempotency_key;
  return o;
}

boost::json::object delivery_json(const Delivery& d) {
  boost::json::object o;
  o["id"] = d.id;
  o["event_id"] = d.event_id;
  o["subscription"] = d.subscription;
  o["state"] = to_string(d.state);
  o["attempts"] = d.attempts;
  o["next_attempt"] = d.state == DeliveryState::pending
                          ? boost::json::value(format_rfc3339_ms(d.next_attempt_ms))
                          : nullptr;
  o["created"] = format_rfc3339_ms(d.created_ms);
  o["updated"] = format_rfc3339_ms(d.updated_ms);
  o["last_error"] = string_or_null(d.last_error);
  return o;
}

boost::json::object attempt_json(const Attempt& a) {
  boost::json::object o;
  o["number"] = a.number;
  o["started"] = format_rfc3339_ms(a.started_ms);
  // Whole milliseconds: Boost.JSON writes doubles in exponent form (4.12E-1),
  // so the exact value goes in latency_us instead.
  o["latency_ms"] = (a.latency_us + 500) / 1000;
  o["latency_us"] = a.latency_us;
  o["status"] = a.status > 0 ? boost::json::value(a.status) : nullptr;
  o["error"] = string_or_null(a.error);
  o["response_excerpt"] = a.response_excerpt;
  return o;
}

namespace {

// Replaces ill-formed UTF-8 in every string and key of `v` by U+FFFD.
void repair_utf8(boost::json::value& v) {
  if (auto* s = v.if_string()) {
    if (!is_valid_utf8(*s)) *s = to_valid_utf8(*s);
  } else if (auto* a = v.if_array()) {
    for (auto& e : *a) repair_utf8(e);
  } else if (auto* o = v.if_object()) {
    boost::json::object fixed;
    fixed.reserve(o->size());
    for (auto& kv : *o) {
      repair_utf8(kv.value());
      fixed[to_valid_utf8(kv.key())] = std::move(kv.value());
    }
    *o = std::move(fixed);
  }
}

}  // namespace

Response json_response(http::status status, const boost::json::value& body) {
  Response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = boost::json::serialize(body);
  // Stored bytes a sender sent (header values, object keys, response
  // excerpts) may be ill-formed UTF-8; the API never emits it.
  if (!is_valid_utf8(res.body())) {
    boost::json::value copy = body;
    repair_utf8(copy);
    res.body() = boost::json::serialize(copy);
  }
  return res;
}

}  // namespace hookd::daemon
