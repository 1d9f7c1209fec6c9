#pragma once
// Admin API tests: the real daemon with an admin listener on an ephemeral
// loopback port, its subscriptions pointing at SinkServers. Helpers send
// admin requests (with the Bearer token unless told otherwise), post events
// to the generic "app" source and poll the admin API until a condition holds.

#include "core/delivery/outgoing.hpp"
#include "tests/integration/delivery_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <thread>

namespace hookd::test {

namespace json = boost::json;

constexpr const char* kAdminToken = "admin-test-token-5678";
constexpr const char* kQuickRetry = "retry = { attempts = 2, base = \"50ms\", cap = \"100ms\" }\n";

inline std::string admin_table(bool with_token = true) {
  return std::string("\n[admin]\nlisten = \"127.0.0.1:0\"\n") +
         (with_token ? "token = \"" + std::string(kAdminToken) + "\"\n" : "");
}

inline std::int64_t wall_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

class AdminTest : public DaemonTest {
 protected:
  // Starts the daemon with `subscriptions` TOML and an admin listener.
  void start_admin(const std::string& subscriptions, bool with_token = true) {
    start_with(delivery_config(db_path(), subscriptions) + admin_table(with_token));
    ASSERT_NE(daemon_.admin_port(), 0) << "no admin.listening line:\n" << daemon_.log();
  }

  // One admin request; `token` empty sends no Authorization header.
  std::optional<HttpResult> admin(const std::string& method, const std::string& target,
                                  const std::string& body = "",
                                  const std::string& token = kAdminToken) {
    if (!admin_client_) admin_client_ = std::make_unique<HttpClient>(daemon_.admin_port());
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return admin_client_->request(method, target, body, headers);
  }

  // The JSON body of an admin request that must answer `status`.
  json::value admin_json(const std::string& method, const std::string& target, int status = 200,
                         const std::string& body = "") {
    auto r = admin(method, target, body);
    if (!r) {
      ADD_FAILURE() << method << " " << target << ": no answer";
      return nullptr;
    }
    EXPECT_EQ(r->status, status) << method << " " << target << ": " << r->body;
    boost::system::error_code ec;
    auto v = json::parse(r->body, ec);
    EXPECT_FALSE(ec) << "not JSON: " << r->body;
    return v;
  }
  json::value get(const std::string& target, int status = 200) {
    return admin_json("GET", target, status);
  }
  json::value post(const std::string& target, int status = 200, const std::string& body = "") {
    return admin_json("POST", target, status, body);
  }

  // Posts {"id": id} to the generic "app" source; returns the stored event id.
  std::string post_app(const std::string& id, const std::string& type = "app.created") {
    if (!ingest_client_) ingest_client_ = std::make_unique<HttpClient>(daemon_.port());
    auto r =
        ingest_client_->post("/event/app", R"({"id":")" + id + R"("})", {{"X-Event-Type", type}});
    if (!r || r->status != 200) {
      ADD_FAILURE() << "ingest failed: " << (r ? r->body : ingest_client_->error());
      return {};
    }
    return std::string(json::parse(r->body).at("ids").at(0).as_string());
  }

  // The real hookctl against this daemon's admin listener, through env(1) so
  // that the runner's HOOKCTL_TOKEN and CREDENTIALS_DIRECTORY never leak in;
  // fails the test if the token shows up in its output.
  RunResult hookctl(std::vector<std::string> args, const std::string& token = kAdminToken) {
    std::vector<std::string> argv = {"/usr/bin/env",
                                     "-u",
                                     "HOOKCTL_TOKEN",
                                     "-u",
                                     "CREDENTIALS_DIRECTORY",
                                     "HOOKCTL_TOKEN=" + token,
                                     HOOKCTL_BINARY,
                                     "--admin",
                                     "http://127.0.0.1:" + std::to_string(daemon_.admin_port())};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv, std::chrono::seconds(20));
    EXPECT_EQ(r.output.find(kAdminToken), std::string::npos) << "token printed: " << r.output;
    return r;
  }
  static bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
  }

  // Polls `cond` every 20 ms for up to `timeout`.
  static bool eventually(const std::function<bool()>& cond,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return cond();
  }

  // The state of delivery `id` as the admin API shows it.
  std::string delivery_state(const std::string& id) {
    auto v = get("/v1/deliveries/" + id);
    if (!v.is_object()) return {};
    return std::string(v.at("delivery").at("state").as_string());
  }

  // The subscription object of `name` from GET /v1/subscriptions.
  json::object subscription(const std::string& name) {
    auto v = get("/v1/subscriptions");
    for (const auto& s : v.at("subscriptions").as_array())
      if (s.at("name").as_string() == name) return s.as_object();
    ADD_FAILURE() << "no subscription " << name;
    return {};
  }

  std::unique_ptr<HttpClient> admin_client_;
  std::unique_ptr<HttpClient> ingest_client_;
};

}  // namespace hookd::test
