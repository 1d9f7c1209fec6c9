#include "daemon/hookctl/hookctl_commands.hpp"

#include "daemon/hookctl/hookctl_render.hpp"
#include "daemon/hookctl/hookctl_subscription.hpp"
#include "daemon/hookctl/hookctl_table.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

namespace hookd::hookctl {

namespace {

namespace json = boost::json;

struct Call {
  std::string_view method;
  std::string target;
  std::string body;       // JSON, for POST, PUT and PATCH
  std::string not_found;  // "delivery 'X'": the message for a 404; empty: the API's
};

// A reply that is a JSON object, or why it is not usable.
struct Answer {
  int status = 0;       // 0: no answer
  json::object object;  // the body, when it is a JSON object (errors too)
  std::string raw;
  // Without "hookctl: " (a second line and later ones start with it); empty
  // on success.
  std::string error;
};

class Session {
 public:
  Session(const AdminClient& client, std::string_view admin_url)
      : client_(client), admin_url_(admin_url) {}

  Answer call(const Call& c) const {
    auto reply = client_.request(c.method, c.target, c.body);
    Answer a;
    if (reply.status == 0) {
      a.error = "cannot reach hookd admin API at " + std::string(admin_url_) + ": " + reply.error;
      return a;
    }
    a.status = reply.status;
    json::error_code ec;
    auto parsed = json::parse(reply.body, ec);
    bool is_object = !ec && parsed.is_object();
    if (is_object) a.object = std::move(parsed.get_object());
    a.raw = std::move(reply.body);
    if (reply.status < 200 || reply.status >= 300)
      a.error = describe_error(reply.status, is_object ? &a.object : nullptr, c);
    else if (!is_object)
      a.error = "the admin API at " + std::string(admin_url_) + " answered with invalid JSON";
    return a;
  }

  std::string_view admin_url() const { return admin_url_; }

 private:
  std::string describe_error(int status, const json::object* body, const Call& c) const {
    std::string code = " (" + std::to_string(status) + ")";
    if (status == 401) {
      if (client_.has_token()) return "the admin API refused the token" + code;
      return "the admin API needs a token" + code +
             ": use --token-file, HOOKCTL_TOKEN or $CREDENTIALS_DIRECTORY/admin.token";
    }
    if (status == 404 && !c.not_found.empty()) return "no such " + c.not_found;
    // A refused subscription lists every problem in "errors" ("error" is
    // the first): one line each, so that all can be fixed at once.
    std::string all;
    if (body) {
      for (const auto& e : array_at(*body, "errors"))
        if (e.is_string()) all += (all.empty() ? "" : "\nhookctl: ") + clean(e.get_string()) + code;
    }
    if (!all.empty()) return all;
    const auto* error = body ? body->if_contains("error") : nullptr;
    if (error && error->is_string()) return clean(error->get_string()) + code;
    return "unexpected answer from " + std::string(admin_url_) + " to " + std::string(c.method) +
           " " + c.target + ": HTTP " + std::to_string(status);
  }

  const AdminClient& client_;
  std::string_view admin_url_;
};

std::string with_newline(std::string s) {
  if (s.empty() || s.back() != '\n') s += '\n';
  return s;
}

std::string quoted(std::string_view what, std::string_view id) {
  return std::string(what) + " '" + clean(id) + "'";
}

std::string query(const Invocation& inv, std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto name : names) {
    auto value = inv.option(name);
    if (!value) continue;
    out += (out.empty() ? "?" : "&") + std::string(name) + "=" + encode_component(*value);
  }
  return out;
}

// One request whose answer is printed with `render`, or as JSON.
Output single(const Session& session, const Invocation& inv, const Call& call,
              const std::function<std::string(const json::object&)>& render) {
  auto answer = session.call(call);
  if (!answer.error.empty()) return {{}, "hookctl: " + answer.error + "\n", kExitFailure};
  return {inv.json ? with_newline(std::move(answer.raw)) : render(answer.object), {}, kExitOk};
}

// healthz, readyz and the subscriptions summary. Not ready is a failure, but
// everything that could be learned is still printed.
Output status(const Session& session, const Invocation& inv) {
  auto health = session.call({"GET", "/healthz", {}, {}});
  if (health.status == 0) return {{}, "hookctl: " + health.error + "\n", kExitFailure};
  auto ready = session.call({"GET", "/readyz", {}, {}});
  if (ready.status == 0) return {{}, "hookctl: " + ready.error + "\n", kExitFailure};
  auto subs = session.call({"GET", "/v1/subscriptions", {}, {}});

  Output out;
  if (!health.error.empty() || !ready.error.empty()) out.exit_code = kExitFailure;
  if (!subs.error.empty()) {
    out.err = "hookctl: " + subs.error + "\n";
    out.exit_code = kExitFailure;
  }
  if (inv.json) {
    // readyz's 503 answer is JSON too; only a body that is not gets replaced.
    auto value_of = [](const Answer& a) -> json::value {
      if (!a.object.empty()) return a.object;
      return json::object{{"error", a.error}};
    };
    json::object combined{{"healthz", value_of(health)}, {"readyz", value_of(ready)}};
    combined["subscriptions"] = subs.error.empty()
                                    ? json::value(array_at(subs.object, "subscriptions"))
                                    : json::value(nullptr);
    out.out = json::serialize(combined) + "\n";
    return out;
  }
  std::string ready_text = text(ready.object, "status");
  if (ready.object.contains("reason")) ready_text += ": " + text(ready.object, "reason");
  if (ready_text == "-") ready_text = ready.error;
  out.out =
      key_values({{"admin API", std::string(session.admin_url())},
                  {"health", health.error.empty() ? text(health.object, "status") : health.error},
                  {"ready", ready_text}});
  if (subs.error.empty())
    out.out +=
        "\n" + render_subscriptions_summary(subs.object) + "\n" + render_subscriptions(subs.object);
  return out;
}

std::string replay_body(const Invocation& inv) {
  json::object body{{"since", std::string(*inv.option("since"))}};
  if (auto until = inv.option("until")) body["until"] = std::string(*until);
  return json::serialize(body);
}

// How long `hookctl replay` follows a replay job, and how often it asks.
constexpr auto kJobWait = std::chrono::minutes(10);
constexpr auto kJobPoll = std::chrono::milliseconds(500);

std::string job_progress(const json::object& job) {
  return "scanned " + text(job, "scanned") + ", matched " + text(job, "matched") + ", created " +
         text(job, "created");
}

// A replay answered 202 {"job": ID}: polls GET /v1/jobs/ID until the job is
// no longer running (at most kJobWait), showing its progress on stderr.
Output follow_replay_job(const Session& session, const Invocation& inv, const std::string& job_id,
                         const std::function<std::string(const std::string&)>& done_line) {
  const std::string target = "/v1/jobs/" + encode_component(job_id);
  const std::string name = "replay " + clean(inv.argument) + ": job " + clean(job_id);
  const auto deadline = std::chrono::steady_clock::now() + kJobWait;
  std::string shown;
  for (;;) {
    auto answer = session.call({"GET", target, {}, quoted("job", job_id)});
    if (!answer.error.empty()) return {{}, "hookctl: " + answer.error + "\n", kExitFailure};
    const auto* job = answer.object.if_contains("job");
    if (!job || !job->is_object())
      return {{}, "hookctl: unexpected answer to GET " + target + "\n", kExitFailure};
    const json::object& j = job->get_object();
    std::string status = text(j, "status");
    if (status != "running") {
      if (inv.json) return {json::serialize(j) + "\n", {}, kExitOk};
      if (status == "done") return {done_line(text(j, "created")), {}, kExitOk};
      return {{}, "hookctl: " + name + " " + status + ": " + text(j, "error") + " (" +
                      job_progress(j) + ")\n",
              kExitFailure};
    }
    if (!inv.json) {
      std::string line = name + " running: " + job_progress(j);
      if (line != shown) std::fprintf(stderr, "%s\n", line.c_str());
      shown = std::move(line);
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return {{}, "hookctl: " + name + " still running after 10 minutes; see GET " + target + "\n",
              kExitFailure};
    std::this_thread::sleep_for(kJobPoll);
  }
}

// `hookctl subscription SUBCOMMAND`: one request each.
Output subscription_command(const Session& session, const Invocation& inv) {
  const std::string sub = inv.command.substr(inv.command.find(' ') + 1);
  const std::string base = "/v1/subscriptions";
  const std::string target = base + "/" + encode_component(inv.argument);
  const std::string named = quoted("subscription", inv.argument);
  if (sub == "list")
    return single(session, inv, {"GET", base + query(inv, {"origin", "label"}), {}, {}},
                  render_subscription_list);
  if (sub == "show") return single(session, inv, {"GET", target, {}, named}, render_subscription);
  if (sub == "create" || sub == "update" || sub == "replace") {
    auto body = subscription_body(inv, read_text_file);
    if (!body.error.empty()) return {{}, "hookctl: " + body.error + "\n", kExitFailure};
    std::string json_body = json::serialize(body.object);
    if (sub == "create")
      return single(session, inv, {"POST", base, std::move(json_body), {}},
                    render_subscription_created);
    Call call{sub == "update" ? "PATCH" : "PUT", target, std::move(json_body), named};
    return single(session, inv, call, render_subscription_updated);
  }
  if (sub == "delete")
    return single(session, inv, {"DELETE", target, {}, named}, render_subscription_deleted);
  if (sub == "enable" || sub == "disable")
    return single(session, inv, {"POST", target + "/" + sub, {}, named}, render_subscription_state);
  if (sub == "rotate-secret") {
    auto body = rotate_secret_body(inv, read_text_file);
    if (!body.error.empty()) return {{}, "hookctl: " + body.error + "\n", kExitFailure};
    Call call{"POST", target + "/rotate-secret", json::serialize(body.object), named};
    return single(session, inv, call, render_secret_rotated);
  }
  // test; parse_args admits no other subcommand.
  return single(session, inv, {"POST", target + "/test", {}, named}, render_test_queued);
}

}  // namespace

std::string encode_component(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

Output run_command(const Invocation& inv, const AdminClient& client, std::string_view admin_url) {
  Session session(client, admin_url);
  const std::string& cmd = inv.command;
  const std::string id = encode_component(inv.argument);
  if (cmd == "status") return status(session, inv);
  if (cmd.starts_with("subscription ")) return subscription_command(session, inv);
  if (cmd == "subscriptions")
    return single(session, inv, {"GET", "/v1/subscriptions", {}, {}}, render_subscriptions);
  if (cmd == "events") {
    Call call{"GET", "/v1/events" + query(inv, {"source", "type", "limit", "after"}), {}, {}};
    return single(session, inv, call, render_events);
  }
  if (cmd == "event-types") {
    Call call{"GET", "/v1/event-types" + query(inv, {"source"}), {}, {}};
    return single(session, inv, call, render_event_types);
  }
  if (cmd == "event") {
    Call call{"GET", "/v1/events/" + id, {}, quoted("event", inv.argument)};
    return single(session, inv, call, render_event);
  }
  if (cmd == "deliveries") {
    auto q = query(inv, {"subscription", "state", "limit", "after"});
    return single(session, inv, {"GET", "/v1/deliveries" + q, {}, {}}, render_deliveries);
  }
  if (cmd == "delivery" || cmd == "retry") {
    Call call{cmd == "retry" ? "POST" : "GET",
              "/v1/deliveries/" + id + (cmd == "retry" ? "/retry" : ""),
              {},
              quoted("delivery", inv.argument)};
    return single(session, inv, call, cmd == "retry" ? render_retried : render_delivery);
  }
  std::string subscription = quoted("subscription", inv.argument);
  if (cmd == "pause" || cmd == "resume") {
    Call call{"POST", "/v1/subscriptions/" + id + "/" + cmd, {}, subscription};
    return single(session, inv, call, render_subscription_state);
  }
  if (cmd == "replay") {
    Call call{"POST", "/v1/subscriptions/" + id + "/replay", replay_body(inv), subscription};
    auto until = inv.option("until");
    auto done_line = [&](const std::string& created) {
      return "replay " + clean(inv.argument) + ": " + created +
             " deliveries created for events since " + std::string(*inv.option("since")) +
             (until ? " until " + std::string(*until) : std::string(" until now")) + "\n";
    };
    auto answer = session.call(call);
    if (!answer.error.empty()) return {{}, "hookctl: " + answer.error + "\n", kExitFailure};
    // A large range runs as a job (202 {"job": ID}): follow it.
    if (const auto* job = answer.object.if_contains("job"); job && job->is_string())
      return follow_replay_job(session, inv, std::string(job->get_string()), done_line);
    if (inv.json) return {with_newline(std::move(answer.raw)), {}, kExitOk};
    return {done_line(text(answer.object, "replayed")), {}, kExitOk};
  }
  // redeliver-dead; parse_args admits no other command.
  Call call{"POST", "/v1/dead/redeliver?subscription=" + id, {}, subscription};
  return single(session, inv, call, [&](const json::object& a) {
    return "redeliver-dead " + clean(inv.argument) + ": " + text(a, "redelivered") +
           " dead deliveries pending again\n";
  });
}

}  // namespace hookd::hookctl
