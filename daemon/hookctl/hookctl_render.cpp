#include "daemon/hookctl/hookctl_render.hpp"

#include "daemon/hookctl/hookctl_table.hpp"

#include <boost/json/serialize.hpp>

#include <cstdint>
#include <map>

namespace hookd::hookctl {

namespace {

namespace json = boost::json;

constexpr std::size_t kErrorWidth = 48;
constexpr std::size_t kExcerptWidth = 40;

std::string next_page_hint(const json::object& answer) {
  const auto* next = answer.if_contains("next");
  if (!next || !next->is_string()) return {};
  return "more: add --after " + clean(next->get_string()) + "\n";
}

std::string state_with_reason(const json::object& s) {
  std::string state = text(s, "state");
  const auto* reason = s.if_contains("paused_reason");
  if (reason && reason->is_string() && !reason->get_string().empty())
    state += " (" + clean(reason->get_string()) + ")";
  return state;
}

std::int64_t number(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return 0;
}

Table deliveries_table(const json::array& deliveries, bool with_event) {
  std::vector<Column> columns = {{"ID"}};
  if (with_event) columns.push_back({"EVENT"});
  for (Column c : std::initializer_list<Column>{{"SUBSCRIPTION"},
                                                {"STATE"},
                                                {"ATTEMPTS", Align::right},
                                                {"NEXT ATTEMPT"},
                                                {"UPDATED"},
                                                {"LAST ERROR", Align::left, kErrorWidth}})
    columns.push_back(c);
  Table table(std::move(columns));
  for (const auto& v : deliveries) {
    if (!v.is_object()) continue;
    const auto& d = v.get_object();
    std::vector<std::string> row = {text(d, "id")};
    if (with_event) row.push_back(text(d, "event_id"));
    for (const char* key :
         {"subscription", "state", "attempts", "next_attempt", "updated", "last_error"})
      row.push_back(text(d, key));
    table.add_row(std::move(row));
  }
  return table;
}

std::string delivery_block(const json::object& d) {
  return key_values({{"delivery", text(d, "id")},
                     {"event", text(d, "event_id")},
                     {"subscription", text(d, "subscription")},
                     {"state", text(d, "state")},
                     {"attempts", text(d, "attempts")},
                     {"next attempt", text(d, "next_attempt")},
                     {"created", text(d, "created")},
                     {"updated", text(d, "updated")},
                     {"last error", text(d, "last_error")}});
}

// The strings of array `o[key]` joined with ", ", or `none` when empty.
std::string joined(const json::object& o, std::string_view key, std::string_view none) {
  std::string out;
  for (const auto& v : array_at(o, key)) {
    if (!out.empty()) out += ", ";
    out += v.is_string() ? clean(v.get_string()) : clean(json::serialize(v));
  }
  return out.empty() ? std::string(none) : out;
}

// Object `o[key]` as "k=v, k2=v2", or "-" when empty.
std::string pairs(const json::object& o, std::string_view key) {
  std::string out;
  for (const auto& [k, v] : object_at(o, key)) {
    if (!out.empty()) out += ", ";
    out += clean(k) + "=" + (v.is_string() ? clean(v.get_string()) : clean(json::serialize(v)));
  }
  return out.empty() ? "-" : out;
}

std::string url_text(const json::object& s) {
  std::string url = text(s, "url");
  const auto* q = s.if_contains("url_has_query");
  if (q && q->is_bool() && q->get_bool()) url += " (query not shown)";
  return url;
}

std::string origin_text(const json::object& s) {
  std::string origin = text(s, "origin");
  const auto* file = s.if_contains("file");
  if (file && file->is_string()) origin += " (" + clean(file->get_string()) + ")";
  return origin;
}

std::string basic_auth_text(const json::object& s) {
  const auto* auth = s.if_contains("basic_auth");
  if (!auth || !auth->is_object()) return "-";
  return "user " + text(auth->get_object(), "user") + ", password set";
}

std::string retry_text(const json::object& s) {
  const auto& r = object_at(s, "retry");
  return text(r, "attempts") + " attempts, base " + text(r, "base") + ", cap " + text(r, "cap");
}

std::string tls_text(const json::object& s) {
  const auto* tls = s.if_contains("tls");
  if (!tls || !tls->is_object()) return "-";
  std::string ca = text(tls->get_object(), "ca");
  return ca == "-" ? "system trust store" : "ca " + ca;
}

std::string extra_text(const json::object& s) {
  const auto& extra = object_at(s, "extra");
  return extra.empty() ? "-" : clean(json::serialize(extra));
}

constexpr std::string_view kSecretNote =
    "the secret is shown only now: store it to verify the webhook-signature header\n";

}  // namespace

std::string render_subscriptions(const json::object& answer) {
  const auto& list = array_at(answer, "subscriptions");
  if (list.empty()) return "no subscriptions\n";
  Table table({{"NAME"},
               {"STATE"},
               {"PENDING", Align::right},
               {"IN FLIGHT", Align::right},
               {"DELIVERED", Align::right},
               {"DEAD", Align::right},
               {"URL"}});
  for (const auto& v : list) {
    if (!v.is_object()) continue;
    const auto& s = v.get_object();
    table.add_row({text(s, "name"), state_with_reason(s), text(s, "pending"), text(s, "in_flight"),
                   text(s, "delivered"), text(s, "dead"), text(s, "url")});
  }
  return table.render();
}

std::string render_subscriptions_summary(const json::object& answer) {
  const auto& list = array_at(answer, "subscriptions");
  std::map<std::string, int> by_state;
  std::int64_t pending = 0, in_flight = 0, dead = 0;
  for (const auto& v : list) {
    if (!v.is_object()) continue;
    const auto& s = v.get_object();
    ++by_state[text(s, "state")];
    pending += number(s, "pending");
    in_flight += number(s, "in_flight");
    dead += number(s, "dead");
  }
  std::string out =
      std::to_string(list.size()) + (list.size() == 1 ? " subscription" : " subscriptions");
  std::string states;
  for (const auto& [state, n] : by_state)
    states += (states.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  if (!states.empty()) out += " (" + states + ")";
  return out + "; " + std::to_string(pending) + " pending, " + std::to_string(in_flight) +
         " in flight, " + std::to_string(dead) + " dead\n";
}

std::string render_events(const json::object& answer) {
  const auto& list = array_at(answer, "events");
  if (list.empty()) return "no events\n";
  Table table({{"ID"}, {"SOURCE"}, {"TYPE"}, {"TIME"}, {"RECEIVED"}});
  for (const auto& v : list) {
    if (!v.is_object()) continue;
    const auto& e = v.get_object();
    table.add_row(
        {text(e, "id"), text(e, "source"), text(e, "type"), text(e, "time"), text(e, "received")});
  }
  return table.render() + next_page_hint(answer);
}

std::string render_event(const json::object& answer) {
  const auto& e = object_at(answer, "event");
  std::string out = key_values({{"event", text(e, "id")},
                                {"source", text(e, "source")},
                                {"type", text(e, "type")},
                                {"time", text(e, "time")},
                                {"received", text(e, "received")},
                                {"idempotency key", text(e, "idempotency_key")}});
  const auto& deliveries = array_at(answer, "deliveries");
  out += "\ndeliveries:\n";
  out += deliveries.empty() ? "none\n" : deliveries_table(deliveries, false).render();
  const auto* body = answer.if_contains("body");
  if (body && body->is_string()) {
    std::string text = clean(body->get_string(), 0, true);
    out += "\nbody:\n" + text;
    if (!text.empty() && text.back() != '\n') out += "\n";
  }
  return out;
}

std::string render_deliveries(const json::object& answer) {
  const auto& list = array_at(answer, "deliveries");
  if (list.empty()) return "no deliveries\n";
  return deliveries_table(list, true).render() + next_page_hint(answer);
}

std::string render_delivery(const json::object& answer) {
  std::string out = delivery_block(object_at(answer, "delivery"));
  const auto& attempts = array_at(answer, "attempts");
  out += "\nattempts:\n";
  if (attempts.empty()) return out + "none\n";
  Table table({{"#", Align::right},
               {"STARTED"},
               {"STATUS", Align::right},
               {"LATENCY", Align::right},
               {"ERROR", Align::left, kErrorWidth},
               {"RESPONSE", Align::left, kExcerptWidth}});
  for (const auto& v : attempts) {
    if (!v.is_object()) continue;
    const auto& a = v.get_object();
    std::string latency = text(a, "latency_ms");
    if (latency != "-") latency += "ms";
    std::string excerpt = text(a, "response_excerpt");
    table.add_row({text(a, "number"), text(a, "started"), text(a, "status"), latency,
                   text(a, "error"), excerpt.empty() ? "-" : excerpt});
  }
  return out + table.render();
}

std::string render_retried(const json::object& answer) {
  const auto& d = object_at(answer, "delivery");
  std::string out = "delivery " + text(d, "id") + ": " + text(d, "state");
  std::string next = text(d, "next_attempt");
  if (next != "-") out += ", next attempt " + next;
  return out + "\n";
}

std::string render_event_types(const json::object& answer) {
  const auto& list = array_at(answer, "event_types");
  std::string out = "no event types\n";
  if (!list.empty()) {
    Table table({{"SOURCE"}, {"TYPE"}, {"COUNT", Align::right}, {"FIRST SEEN"}, {"LAST SEEN"}});
    for (const auto& v : list) {
      if (!v.is_object()) continue;
      const auto& t = v.get_object();
      table.add_row({text(t, "source"), text(t, "type"), text(t, "count"), text(t, "first_seen"),
                     text(t, "last_seen")});
    }
    out = table.render();
  }
  if (number(answer, "dropped") > 0)
    out += text(answer, "dropped") +
           " events since start not catalogued: the catalog was full ([storage] max_event_types)\n";
  return out;
}

std::string render_subscription_state(const json::object& answer) {
  const auto& s = object_at(answer, "subscription");
  return "subscription " + text(s, "name") + ": " + state_with_reason(s) + "\n";
}

}  // namespace hookd::hookctl

namespace hookd::hookctl {

std::string render_subscription_list(const json::object& answer) {
  const auto& list = array_at(answer, "subscriptions");
  if (list.empty()) return "no subscriptions\n";
  Table table({{"NAME"},
               {"ORIGIN"},
               {"STATE"},
               {"PENDING", Align::right},
               {"DEAD", Align::right},
               {"URL", Align::left, kErrorWidth},
               {"LABELS", Align::left, kExcerptWidth}});
  for (const auto& v : list) {
    if (!v.is_object()) continue;
    const auto& s = v.get_object();
    table.add_row({text(s, "name"), text(s, "origin"), state_with_reason(s), text(s, "pending"),
                   text(s, "dead"), text(s, "url"), pairs(s, "labels")});
  }
  return table.render();
}

std::string render_subscription(const json::object& answer) {
  const auto& s = object_at(answer, "subscription");
  std::vector<std::pair<std::string, std::string>> rows;
  // Only what the answer holds: an API subscription that is not in effect
  // (invalid, deleting) has its name, state, error and times only.
  auto add = [&](std::string_view key, std::string label, std::string value) {
    if (s.contains(key)) rows.emplace_back(std::move(label), std::move(value));
  };
  add("name", "name", text(s, "name"));
  add("origin", "origin", origin_text(s));
  add("state", "state", state_with_reason(s));
  if (const auto* e = s.if_contains("error"); e && e->is_string())
    rows.emplace_back("error", clean(e->get_string()));
  add("url", "url", url_text(s));
  add("events", "events", joined(s, "events", "every event"));
  add("sources", "sources", joined(s, "sources", "every source"));
  add("filter", "filter", pairs(s, "filter"));
  add("headers", "headers", joined(s, "headers", "-"));
  add("basic_auth", "basic auth", basic_auth_text(s));
  add("secrets", "secrets", text(s, "secrets"));
  add("body", "body", text(s, "body"));
  add("extra", "extra", extra_text(s));
  add("timeout", "timeout", text(s, "timeout"));
  add("retry", "retry", retry_text(s));
  add("max_in_flight", "max in flight", text(s, "max_in_flight"));
  add("enabled", "enabled", text(s, "enabled"));
  add("tls", "tls", tls_text(s));
  add("labels", "labels", pairs(s, "labels"));
  add("pending", "pending", text(s, "pending"));
  add("in_flight", "in flight", text(s, "in_flight"));
  add("delivered", "delivered", text(s, "delivered"));
  add("dead", "dead", text(s, "dead"));
  add("created", "created", text(s, "created"));
  add("updated", "updated", text(s, "updated"));
  return key_values(rows);
}

std::string render_subscription_created(const json::object& answer) {
  const auto& s = object_at(answer, "subscription");
  std::vector<std::pair<std::string, std::string>> rows = {
      {"name", text(s, "name")},      {"state", state_with_reason(s)},
      {"url", url_text(s)},           {"events", joined(s, "events", "every event")},
      {"labels", pairs(s, "labels")}, {"created", text(s, "created")},
      {"updated", text(s, "updated")}};
  const auto* secret = answer.if_contains("secret");
  if (secret && secret->is_string()) rows.emplace_back("secret", clean(secret->get_string()));
  std::string out = "subscription " + text(s, "name") + " created\n" + key_values(rows);
  if (secret && secret->is_string()) out += "\n" + std::string(kSecretNote);
  return out;
}

std::string render_subscription_updated(const json::object& answer) {
  const auto& s = object_at(answer, "subscription");
  return "subscription " + text(s, "name") + " updated: " + state_with_reason(s) + "\n";
}

std::string render_subscription_deleted(const json::object& answer) {
  return "subscription " + text(answer, "deleted") + " deleted; " + text(answer, "cancelled") +
         " pending deliveries cancelled\n";
}

std::string render_secret_rotated(const json::object& answer) {
  const auto& s = object_at(answer, "subscription");
  std::vector<std::pair<std::string, std::string>> rows;
  const auto* secret = answer.if_contains("secret");
  if (secret && secret->is_string()) rows.emplace_back("secret", clean(secret->get_string()));
  std::string until = text(answer, "previous_valid_until");
  rows.emplace_back("previous secrets",
                    until == "-" ? "no longer sign" : "sign beside it until " + until);
  std::string out = "subscription " + text(s, "name") + ": secret rotated\n" + key_values(rows);
  if (secret && secret->is_string()) out += "\n" + std::string(kSecretNote);
  return out;
}

std::string render_test_queued(const json::object& answer) {
  std::string id = text(answer, "delivery_id");
  return "test delivery " + id + " queued (event " + text(answer, "event_id") +
         "); hookctl delivery " + id + " shows its attempts\n";
}

}  // namespace hookd::hookctl
