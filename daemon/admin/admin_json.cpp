#include "daemon/admin/admin_json.hpp"

#include "core/delivery/outgoing.hpp"
#include "core/text.hpp"

#include <boost/json/serialize.hpp>

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
