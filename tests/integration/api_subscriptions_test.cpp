// Subscriptions over the admin API (issue 12, docs/admin-api.md), end to end
// with the real daemon: create, route, sign, update, enable/disable, rotate,
// delete (cancelling), restart and reload survival, name collisions with the
// config file, the destination guard, the read-only token and bad input.
#include "tests/integration/admin_fixture.hpp"

#include <signal.h>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kReadToken = "read-only-test-token-1234";

class ApiSubscriptionsTest : public AdminTest {
 protected:
  // `allow_loopback`: [admin] allow_destinations opens 127.0.0.1 for API subscriptions.
  std::string config(bool allow_loopback = true, const std::string& extra_admin = "",
                     const std::string& subs = "") {
    std::string admin = admin_table() + "read_token = \"" + kReadToken + "\"\n";
    if (allow_loopback) admin += "allow_destinations = [\"127.0.0.1/32\"]\n";
    return delivery_config(db_path(), subs) + admin + extra_admin;
  }
  void start_api(bool allow_loopback = true, const std::string& extra_admin = "",
                 const std::string& subs = "") {
    start_with(config(allow_loopback, extra_admin, subs));
    ASSERT_NE(daemon_.admin_port(), 0) << daemon_.log();
  }
  // Creates an API subscription; returns the answer's JSON.
  json::value create(const std::string& body, int status = 201) {
    return admin_json("POST", "/v1/subscriptions", status, body);
  }
  std::string sink_spec(const SinkServer& sink, const std::string& name,
                        const std::string& more = "") {
    return R"({"name":")" + name + R"(","url":")" + http_url(sink) +
           R"(","events":["order.*"],"sources":["app"])" + more + "}";
  }
  bool signed_by(const ReceivedRequest& m, const std::string& secret) {
    std::string want = expected_signature(secret, m.header("webhook-id"),
                                          m.header("webhook-timestamp"), m.body);
    std::string sig = m.header("webhook-signature");
    for (std::size_t at = 0; at < sig.size();) {
      std::size_t end = sig.find(' ', at);
      if (end == std::string::npos) end = sig.size();
      if (sig.substr(at, end - at) == want) return true;
      at = end + 1;
    }
    return false;
  }
  std::size_t signatures(const ReceivedRequest& m) {
    std::string sig = m.header("webhook-signature");
    return sig.empty() ? 0 : 1 + static_cast<std::size_t>(std::count(sig.begin(), sig.end(), ' '));
  }
  std::string restart(const std::string& log_name) {
    EXPECT_TRUE(daemon_.start(dir_.file("hookd.toml"), dir_.file(log_name))) << daemon_.error();
    admin_client_.reset();
    ingest_client_.reset();
    return daemon_.log();
  }
};

TEST_F(ApiSubscriptionsTest, CreatedSubscriptionRoutesAndSignsWithTheReturnedSecret) {
  SinkServer sink;
  start_api();
  auto made = create(sink_spec(sink, "orders", R"(,"labels":{"user_id":"1"},"headers":{"X-Tenant":"t1"},"extra":{"k":"v"})"));
  ASSERT_TRUE(made.is_object());
  std::string secret(made.at("secret").as_string());
  EXPECT_TRUE(secret.starts_with("whsec_"));
  const auto& sub = made.at("subscription").as_object();
  EXPECT_EQ(sub.at("origin").as_string(), "api");
  EXPECT_EQ(sub.at("labels").at("user_id").as_string(), "1");
  EXPECT_EQ(sub.at("secrets").as_int64(), 1);
  EXPECT_FALSE(sub.at("created").is_null());
  // The secret is shown once: never again in reads.
  auto read = get("/v1/subscriptions/orders");
  EXPECT_EQ(json::serialize(read).find(secret.substr(6)), std::string::npos);
  EXPECT_EQ(read.at("subscription").at("headers").at(0).as_string(), "X-Tenant");

  post_app("o1", "order.created");
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  auto m = sink.requests().at(0);
  EXPECT_TRUE(signed_by(m, secret)) << m.header("webhook-signature");
  EXPECT_EQ(m.header("x-tenant"), "t1");
  // Not matching its pattern: not routed.
  post_app("u1", "user.created");
  post_app("o2", "order.paid");
  ASSERT_TRUE(sink.wait_for_requests(2, 10s));
  EXPECT_NE(sink.requests().at(1).body.find("o2"), std::string::npos);
  // Listing by label.
  auto by_label = get("/v1/subscriptions?label=user_id=1");
  EXPECT_EQ(by_label.at("subscriptions").as_array().size(), 1U);
  EXPECT_EQ(get("/v1/subscriptions?label=user_id=2").at("subscriptions").as_array().size(), 0U);
}

TEST_F(ApiSubscriptionsTest, UpdateTakesEffectForTheNextEvent) {
  SinkServer a, b;
  start_api();
  create(sink_spec(a, "s1"));
  post_app("e1", "order.created");
  ASSERT_TRUE(a.wait_for_requests(1, 10s));
  // PATCH: only the URL changes; the events pattern stays.
  auto patched = admin_json("PATCH", "/v1/subscriptions/s1", 200,
                            R"({"url":")" + http_url(b) + R"(","headers":{"X-New":"1"}})");
  EXPECT_EQ(patched.at("subscription").at("events").at(0).as_string(), "order.*");
  post_app("e2", "order.created");
  ASSERT_TRUE(b.wait_for_requests(1, 10s));
  EXPECT_EQ(b.requests().at(0).header("x-new"), "1");
  EXPECT_EQ(a.request_count(), 1U);
  // PUT replaces the whole: the events pattern is gone (every event matches).
  admin_json("PUT", "/v1/subscriptions/s1", 200, R"({"url":")" + http_url(b) + R"("})");
  post_app("e3", "user.created");
  ASSERT_TRUE(b.wait_for_requests(2, 10s));
  EXPECT_EQ(b.requests().at(1).header("x-new"), "");
  // A name cannot change.
  admin_json("PATCH", "/v1/subscriptions/s1", 400, R"({"name":"other"})");
}

TEST_F(ApiSubscriptionsTest, DisableStopsNewDeliveriesAndEnableResumes) {
  SinkServer sink;
  start_api();
  create(sink_spec(sink, "s1"));
  auto off = post("/v1/subscriptions/s1/disable");
  EXPECT_EQ(off.at("subscription").at("state").as_string(), "disabled");
  EXPECT_FALSE(off.at("subscription").at("enabled").as_bool());
  // Disabled (docs/config.md, enabled = false): no new deliveries.
  std::string id = post_app("e1", "order.created");
  EXPECT_EQ(get("/v1/events/" + id).at("deliveries").as_array().size(), 0U);
  auto on = post("/v1/subscriptions/s1/enable");
  EXPECT_EQ(on.at("subscription").at("state").as_string(), "enabled");
  post_app("e2", "order.created");
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  EXPECT_NE(sink.requests().at(0).body.find("e2"), std::string::npos);
  // Persistent: the document says so after a restart.
  post("/v1/subscriptions/s1/disable");
  ASSERT_EQ(daemon_.stop(SIGTERM), 0);
  restart("hookd2.log");
  EXPECT_EQ(get("/v1/subscriptions/s1").at("subscription").at("state").as_string(), "disabled");
  post("/v1/subscriptions/s1/enable");
  // A test event through the normal path.
  auto t = post("/v1/subscriptions/s1/test", 202);
  std::string delivery(t.at("delivery_id").as_string());
  ASSERT_TRUE(sink.wait_for_requests(2, 10s));
  EXPECT_EQ(sink.requests().at(1).header("hookd-event-type"), "hookd.test");
  EXPECT_EQ(sink.requests().at(1).header("hookd-source"), "hookd");
  ASSERT_TRUE(eventually([&] { return delivery_state(delivery) == "delivered"; }));
}

TEST_F(ApiSubscriptionsTest, DeleteCancelsPendingDeliveries) {
  SinkServer sink;
  start_api();
  create(sink_spec(sink, "s1"));
  post("/v1/subscriptions/s1/pause");
  std::vector<std::string> events;
  for (int i = 0; i < 5; ++i) events.push_back(post_app("e" + std::to_string(i), "order.created"));
  auto del = admin_json("DELETE", "/v1/subscriptions/s1");
  EXPECT_EQ(del.at("cancelled").as_int64(), 5);
  for (const auto& e : events) {
    auto ev = get("/v1/events/" + e);
    const auto& d = ev.at("deliveries").at(0);
    EXPECT_EQ(d.at("state").as_string(), "cancelled");
    EXPECT_EQ(d.at("last_error").as_string(), "subscription deleted");
  }
  EXPECT_EQ(get("/v1/deliveries?state=cancelled").at("deliveries").as_array().size(), 5U);
  get("/v1/subscriptions/s1", 404);
  // The name is free again, without the old pause.
  auto again = create(sink_spec(sink, "s1"));
  EXPECT_EQ(again.at("subscription").at("state").as_string(), "enabled");
  post_app("e9", "order.created");
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  EXPECT_NE(sink.requests().at(0).body.find("e9"), std::string::npos);
}

TEST_F(ApiSubscriptionsTest, RotateSignsWithBothDuringTheGraceThenOnlyTheNew) {
  SinkServer sink;
  start_api();
  std::string old_secret(create(sink_spec(sink, "s1")).at("secret").as_string());
  auto rotated = post("/v1/subscriptions/s1/rotate-secret", 200, R"({"grace":"3s"})");
  std::string new_secret(rotated.at("secret").as_string());
  ASSERT_NE(new_secret, old_secret);
  EXPECT_EQ(rotated.at("subscription").at("secrets").as_int64(), 2);
  post_app("e1", "order.created");
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  auto during = sink.requests().at(0);
  EXPECT_EQ(signatures(during), 2U);
  EXPECT_TRUE(signed_by(during, new_secret));
  EXPECT_TRUE(signed_by(during, old_secret));
  // After the grace: only the new one (the registry drops the old at its end).
  ASSERT_TRUE(eventually([&] { return subscription("s1").at("secrets").as_int64() == 1; }, 10s));
  post_app("e2", "order.created");
  ASSERT_TRUE(sink.wait_for_requests(2, 10s));
  auto after = sink.requests().at(1);
  EXPECT_EQ(signatures(after), 1U);
  EXPECT_TRUE(signed_by(after, new_secret));
  EXPECT_FALSE(signed_by(after, old_secret));
}

TEST_F(ApiSubscriptionsTest, RotationsKeepAtMostEightSigningSecrets) {
  SinkServer sink;
  start_api();
  create(sink_spec(sink, "s1"));
  std::string newest;
  for (int i = 0; i < 10; ++i)
    newest = post("/v1/subscriptions/s1/rotate-secret", 200, R"({"grace":"1h"})").at("secret").as_string();
  EXPECT_EQ(subscription("s1").at("secrets").as_int64(), 8);
  post_app("e1", "order.created");
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  EXPECT_EQ(signatures(sink.requests().at(0)), 8U);
  EXPECT_TRUE(signed_by(sink.requests().at(0), newest));
}

TEST_F(ApiSubscriptionsTest, SurviveKillAndReload) {
  SinkServer sink;
  start_api();
  std::string secret(create(sink_spec(sink, "kept")).at("secret").as_string());
  daemon_.kill9();
  restart("hookd2.log");
  auto s = get("/v1/subscriptions/kept");
  EXPECT_EQ(s.at("subscription").at("origin").as_string(), "api");
  post_app("e1", "order.created");
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  EXPECT_TRUE(signed_by(sink.requests().at(0), secret));
  // SIGHUP with an unchanged file keeps it.
  ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  ASSERT_TRUE(eventually([&] { return daemon_.log().find("config.reloaded") != std::string::npos; }));
  get("/v1/subscriptions/kept");
  post_app("e2", "order.created");
  ASSERT_TRUE(sink.wait_for_requests(2, 10s));
}

TEST_F(ApiSubscriptionsTest, NamesAreUniqueAcrossConfigAndApi) {
  SinkServer sink;
  start_api(true, "", sink_sub("filed", http_url(sink), "\"order.*\""));
  // A config-file subscription is read-only over the API, with the file named.
  auto r = admin("PATCH", "/v1/subscriptions/filed", R"({"enabled":false})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_NE(r->body.find("hookd.toml"), std::string::npos) << r->body;
  EXPECT_EQ(admin("DELETE", "/v1/subscriptions/filed")->status, 409);
  auto clash = admin("POST", "/v1/subscriptions", sink_spec(sink, "filed"));
  EXPECT_EQ(clash->status, 409) << clash->body;
  EXPECT_EQ(get("/v1/subscriptions/filed").at("subscription").at("origin").as_string(), "config");
  // A reload that adds a name an API subscription holds is rejected.
  create(sink_spec(sink, "api1"));
  write_file(dir_.file("hookd.toml"),
             config(true, "", sink_sub("filed", http_url(sink), "\"order.*\"") +
                                  sink_sub("api1", http_url(sink), "\"x.*\"")));
  ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  ASSERT_TRUE(eventually([&] { return daemon_.log().find("config.reload_rejected") != std::string::npos; }));
  EXPECT_NE(daemon_.log().find("held by an API subscription"), std::string::npos);
  EXPECT_EQ(get("/v1/subscriptions/api1").at("subscription").at("origin").as_string(), "api");
}

TEST_F(ApiSubscriptionsTest, GuardRefusesLoopbackUnlessAllowed) {
  SinkServer sink;
  start_api(false);
  // An IP literal: refused at create.
  auto literal = admin("POST", "/v1/subscriptions", sink_spec(sink, "lit"));
  ASSERT_TRUE(literal);
  EXPECT_EQ(literal->status, 400);
  EXPECT_NE(literal->body.find("destination not allowed: loopback"), std::string::npos) << literal->body;
  // A name that resolves to it: refused at connect, never sent, not retried.
  std::string url = "http://localhost:" + std::to_string(sink.port()) + "/hook";
  create(R"({"name":"named","url":")" + url + R"(","events":["order.*"]})");
  std::string id = post_app("e1", "order.created");
  std::string delivery = id + ".0";
  ASSERT_TRUE(eventually([&] { return delivery_state(delivery) == "dead"; }));
  auto d = get("/v1/deliveries/" + delivery);
  EXPECT_EQ(d.at("delivery").at("attempts").as_int64(), 1);
  EXPECT_NE(std::string(d.at("attempts").at(0).at("error").as_string()).find("destination_not_allowed"),
            std::string::npos);
  EXPECT_EQ(sink.request_count(), 0U);
}

TEST_F(ApiSubscriptionsTest, ReadTokenAllowsGetsOnly) {
  SinkServer sink;
  start_api();
  auto list = admin("GET", "/v1/subscriptions", "", kReadToken);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  auto refused = admin("POST", "/v1/subscriptions", sink_spec(sink, "x"), kReadToken);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(admin("DELETE", "/v1/subscriptions/x", "", kReadToken)->status, 403);
  EXPECT_EQ(admin("GET", "/v1/subscriptions", "", "wrong-token-123456")->status, 401);
  get("/v1/subscriptions/x", 404);  // nothing was created
}

TEST_F(ApiSubscriptionsTest, BadInputIsRefusedAndNothingIsStored) {
  SinkServer sink;
  start_api(true, "max_subscriptions = 2\n");
  auto refused = [&](const std::string& body, const std::string& message, int status = 400) {
    auto r = admin("POST", "/v1/subscriptions", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << body << " -> " << r->body;
    EXPECT_NE(r->body.find(message), std::string::npos) << body << " -> " << r->body;
  };
  const std::string url = http_url(sink);
  refused(R"({"url":")" + url + R"(","colour":"red"})", "unknown key 'colour'");
  refused(R"({"url":")" + url + R"(","max_in_flight":"lots"})", "max_in_flight: expected");
  refused(R"({"url":"http://user:pw@example.com/"})", "credentials in the URL");
  refused(R"({"url":"ftp://example.com/"})", "url: https or http URL required");
  refused(R"({"url":")" + url + R"(","events":["order.*x"]})", "events[0]:");
  refused(R"({"url":")" + url + R"(","retry":{"base":"soon"}})", R"(retry.base: invalid duration \"soon\")");
  refused(R"({"url":")" + url + R"(","headers":{"Bad Name":"x"}})", "not a valid header name");
  refused(R"({"url":")" + url + R"(","headers":{"Host":"x"}})", "hookd sets this header itself");
  refused(R"({"url":")" + url + R"(","secret":"env:HOME"})", "read only from the config file");
  refused(R"({"url":")" + url + R"(","secret":"not-whsec"})", "whsec_");
  refused(R"({"url":")" + url + R"(","sources":["nope"]})", R"(unknown source \"nope\")");
  refused(R"({"url":")" + url + R"(","labels":{"k":7}})", "labels.k: expected a string");
  refused(R"({"url":")" + url + R"(","tls":{"cert":"/etc/x","key":"/etc/y"}})", "config file");
  refused("[1,2]", "body must be a JSON object");
  refused(R"({"name":"bad name","url":")" + url + R"("})", "name: must be");
  refused(std::string(70 * 1024, ' ') + "{}", "", 413);
  admin_client_.reset();  // the server closed that connection
  EXPECT_EQ(get("/v1/subscriptions?origin=api").at("subscriptions").as_array().size(), 0U);
  create(sink_spec(sink, "one"));
  create(sink_spec(sink, "two"));
  refused(sink_spec(sink, "three"), "max_subscriptions", 409);
  refused(sink_spec(sink, "one"), "exists", 409);
  EXPECT_EQ(get("/v1/subscriptions?origin=api").at("subscriptions").as_array().size(), 2U);
}

}  // namespace
}  // namespace hookd::test
