// The admin API's read endpoints, authentication and error answers
// (docs/admin-api.md), against the real daemon.
#include "tests/integration/admin_fixture.hpp"

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

class AdminApiTest : public AdminTest {
 protected:
  void start_default() {
    start_admin(sink_sub("s", http_url(sink_), "\"app.*\"", kQuickRetry) +
                sink_sub("other", http_url(sink_, "/other?k=v"), "\"s3:ObjectCreated:*\""));
  }
  SinkServer sink_;
};

TEST_F(AdminApiTest, HealthReadinessAndMetricsAreOpen) {
  start_default();
  auto h = admin("GET", "/healthz", "", "");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->body, R"({"status":"ok"})");
  auto r = admin("GET", "/readyz", "", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"status":"ready"})");
  auto m = admin("GET", "/metrics", "", "");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(m->headers["content-type"], "text/plain; version=0.0.4");
  EXPECT_NE(m->body.find("# TYPE hookd_build_info gauge"), std::string::npos);

  auto wrong = admin("POST", "/healthz", "{}", "");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->headers["allow"], "GET, HEAD");
  auto missing = admin("GET", "/nope", "", "");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(AdminApiTest, EveryV1EndpointNeedsTheToken) {
  start_default();
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"GET", "/v1/subscriptions"},
      {"GET", "/v1/subscriptions/s"},
      {"GET", "/v1/events"},
      {"GET", "/v1/events/01HZZZZZZZZZZZZZZZZZZZZZZZ"},
      {"GET", "/v1/deliveries"},
      {"GET", "/v1/deliveries/x.0"},
      {"POST", "/v1/deliveries/x.0/retry"},
      {"POST", "/v1/subscriptions/s/pause"},
      {"POST", "/v1/subscriptions/s/resume"},
      {"POST", "/v1/subscriptions/s/replay"},
      {"POST", "/v1/dead/redeliver?subscription=s"},
      {"GET", "/v1/no-such-endpoint"},
  };
  for (const auto& [method, target] : endpoints) {
    SCOPED_TRACE(method + " " + target);
    auto none = admin(method, target, "", "");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401) << none->body;
    EXPECT_EQ(none->headers["www-authenticate"], "Bearer");
    auto wrong = admin(method, target, "", "wrong-token-0000");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401);
    auto prefix = admin(method, target, "", std::string(kAdminToken).substr(0, 5));
    ASSERT_TRUE(prefix);
    EXPECT_EQ(prefix->status, 401);
    auto right = admin(method, target, "", kAdminToken);
    ASSERT_TRUE(right);
    EXPECT_NE(right->status, 401) << right->body;
    EXPECT_NE(right->status, 403) << right->body;
  }
  HttpClient basic(daemon_.admin_port());
  auto b = basic.request("GET", "/v1/subscriptions", "",
                         {{"Authorization", std::string("Basic ") + kAdminToken}});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 401);
  std::string log = daemon_.log();
  EXPECT_EQ(log.find(kAdminToken), std::string::npos) << "the token must never be logged";
  EXPECT_EQ(log.find("wrong-token-0000"), std::string::npos);
}

TEST_F(AdminApiTest, WithoutAConfiguredTokenV1IsForbidden) {
  start_admin(sink_sub("s", http_url(sink_), "\"app.*\""), /*with_token=*/false);
  auto r = admin("GET", "/v1/subscriptions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->body, R"({"error":"admin API disabled: set [admin] token"})");
  auto h = admin("GET", "/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST_F(AdminApiTest, SubscriptionsShowStateUrlAndCounts) {
  start_default();
  post_app("a1");
  ASSERT_TRUE(sink_.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return subscription("s").at("delivered").as_int64() == 1; }));
  auto s = subscription("s");
  EXPECT_EQ(s.at("url").as_string(), http_url(sink_));
  EXPECT_EQ(s.at("state").as_string(), "enabled");
  EXPECT_TRUE(s.at("paused_reason").is_null());
  EXPECT_EQ(s.at("pending").as_int64(), 0);
  EXPECT_EQ(s.at("in_flight").as_int64(), 0);
  EXPECT_EQ(s.at("dead").as_int64(), 0);
  auto other = subscription("other");
  EXPECT_EQ(other.at("url").as_string(), http_url(sink_, "/other")) << "no query string";
  EXPECT_EQ(get("/v1/subscriptions/other").at("subscription").as_object(), other);
  get("/v1/subscriptions/nope", 404);
}

TEST_F(AdminApiTest, EventsPaginateInIdOrderWithNext) {
  start_default();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(post_app("p" + std::to_string(i)));
  std::vector<std::string> seen;
  std::string target = "/v1/events?limit=2";
  for (int page = 0; page < 5; ++page) {
    auto v = get(target);
    for (const auto& e : v.at("events").as_array()) seen.emplace_back(e.at("id").as_string());
    if (v.at("next").is_null()) break;
    EXPECT_LE(v.at("events").as_array().size(), 2u);
    target = "/v1/events?limit=2&after=" + std::string(v.at("next").as_string());
  }
  EXPECT_EQ(seen, ids);
  auto all = get("/v1/events");
  EXPECT_EQ(all.at("events").as_array().size(), 5u);
  EXPECT_TRUE(all.at("next").is_null());
  auto last = get("/v1/events?limit=5");
  EXPECT_TRUE(last.at("next").is_null()) << "an exactly full last page has no next";
  auto e = all.at("events").at(0).as_object();
  EXPECT_EQ(e.at("source").as_string(), "app");
  EXPECT_EQ(e.at("type").as_string(), "app.created");
  EXPECT_EQ(e.at("idempotency_key").as_string(), "p0");
  EXPECT_EQ(e.at("received").as_string().size(), 24u);  // 2026-11-26T08:00:00.000Z
  EXPECT_EQ(e.at("time").as_string().back(), 'Z');
}

TEST_F(AdminApiTest, EventsFilterBySourceAndTypePattern) {
  start_default();
  HttpClient c(daemon_.port());
  ASSERT_EQ(post_minio(c, test_data("minio/01-put-small.json"))->status, 200);
  std::string created = post_app("f1", "app.created");
  std::string deleted = post_app("f2", "app.deleted");
  auto by_source = get("/v1/events?source=minio").at("events").as_array();
  ASSERT_EQ(by_source.size(), 1u);
  EXPECT_EQ(by_source[0].at("type").as_string(), "s3:ObjectCreated:Put");
  auto by_type = get("/v1/events?type=app.deleted").at("events").as_array();
  ASSERT_EQ(by_type.size(), 1u);
  EXPECT_EQ(by_type[0].at("id").as_string(), deleted);
  auto pattern = get("/v1/events?source=app&type=app.*&limit=1");
  ASSERT_EQ(pattern.at("events").as_array().size(), 1u);
  EXPECT_EQ(pattern.at("events").at(0).at("id").as_string(), created);
  auto rest =
      get("/v1/events?source=app&type=app.*&after=" + std::string(pattern.at("next").as_string()));
  ASSERT_EQ(rest.at("events").as_array().size(), 1u);
  EXPECT_EQ(rest.at("events").at(0).at("id").as_string(), deleted);
  EXPECT_TRUE(rest.at("next").is_null());
  EXPECT_TRUE(get("/v1/events?source=nobody").at("events").as_array().empty());
}

TEST_F(AdminApiTest, EventAndDeliveryDetails) {
  sink_.push(SinkAction::reply(500, {}, "try later"));
  start_default();
  std::string id = post_app("d1");
  ASSERT_TRUE(sink_.wait_for_requests(2, 10s));
  ASSERT_TRUE(eventually([&] { return delivery_state(id + ".0") == "delivered"; }));
  auto ev = get("/v1/events/" + id);
  EXPECT_EQ(ev.at("event").at("id").as_string(), id);
  EXPECT_EQ(ev.at("body").as_string(), R"({"id":"d1"})");
  ASSERT_EQ(ev.at("deliveries").as_array().size(), 1u);
  auto d = ev.at("deliveries").at(0).as_object();
  EXPECT_EQ(d.at("id").as_string(), id + ".0");
  EXPECT_EQ(d.at("event_id").as_string(), id);
  EXPECT_EQ(d.at("subscription").as_string(), "s");
  EXPECT_EQ(d.at("attempts").as_int64(), 2);
  EXPECT_TRUE(d.at("next_attempt").is_null());
  EXPECT_TRUE(d.contains("created") && d.contains("updated") && d.contains("last_error"));

  auto del = get("/v1/deliveries/" + id + ".0");
  auto attempts = del.at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].at("number").as_int64(), 1);
  EXPECT_EQ(attempts[0].at("status").as_int64(), 500);
  EXPECT_EQ(attempts[0].at("response_excerpt").as_string(), "try later");
  EXPECT_TRUE(attempts[0].at("latency_ms").is_int64());
  EXPECT_EQ(attempts[1].at("status").as_int64(), 204);
  EXPECT_TRUE(attempts[1].at("error").is_null());

  get("/v1/events/01HZZZZZZZZZZZZZZZZZZZZZZZ", 404);
  get("/v1/deliveries/" + id + ".7", 404);
}

TEST_F(AdminApiTest, DeliveriesFilterByStateAndSubscriptionAndPaginate) {
  SinkServer failing;
  failing.set_default(SinkAction::reply(500));
  start_admin(sink_sub("s", http_url(sink_), "\"app.*\"", kQuickRetry) +
              sink_sub("t", http_url(failing), "\"app.deleted\"", kQuickRetry));
  for (int i = 0; i < 3; ++i) post_app("x" + std::to_string(i));
  std::string both = post_app("y", "app.deleted");
  ASSERT_TRUE(eventually([&] {
    return get("/v1/deliveries?state=delivered").at("deliveries").as_array().size() == 4 &&
           get("/v1/deliveries?state=dead").at("deliveries").as_array().size() == 1;
  })) << json::serialize(get("/v1/deliveries"));
  auto dead = get("/v1/deliveries?state=dead").at("deliveries").as_array();
  EXPECT_EQ(dead[0].at("id").as_string(), both + ".1");
  EXPECT_TRUE(dead[0].at("last_error").is_string());
  auto t = get("/v1/deliveries?subscription=t").at("deliveries").as_array();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].at("state").as_string(), "dead");
  EXPECT_TRUE(
      get("/v1/deliveries?subscription=t&state=pending").at("deliveries").as_array().empty());
  EXPECT_TRUE(get("/v1/deliveries?subscription=nobody").at("deliveries").as_array().empty());
  EXPECT_EQ(get("/v1/deliveries").at("deliveries").as_array().size(), 5u);
  std::vector<std::string> seen;
  std::string target = "/v1/deliveries?subscription=s&state=delivered&limit=3";
  for (int page = 0; page < 4; ++page) {
    auto v = get(target);
    for (const auto& d : v.at("deliveries").as_array()) seen.emplace_back(d.at("id").as_string());
    if (v.at("next").is_null()) break;
    target = "/v1/deliveries?subscription=s&state=delivered&limit=3&after=" +
             std::string(v.at("next").as_string());
  }
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
}

TEST_F(AdminApiTest, BadParametersAre400AndWrongMethods405) {
  start_default();
  for (const char* target :
       {"/v1/events?limit=0", "/v1/events?limit=1001", "/v1/events?limit=ten",
        "/v1/events?limit=-1", "/v1/events?bogus=1", "/v1/events?source=a&source=b",
        "/v1/deliveries?state=lost", "/v1/deliveries?limit=", "/v1/subscriptions?x=1"}) {
    auto v = get(target, 400);
    EXPECT_TRUE(v.at("error").is_string()) << target;
  }
  EXPECT_EQ(get("/v1/events?limit=1000").at("events").as_array().size(), 0u);
  post("/v1/subscriptions/s/replay", 400, R"({"since":"yesterday"})");
  post("/v1/subscriptions/s/replay", 400, R"({"until":"2026-01-01T00:00:00Z"})");
  post("/v1/subscriptions/s/replay", 400, "not json");
  post("/v1/subscriptions/s/replay", 400, R"({"since":"2026-01-01T00:00:00Z","from":"x"})");
  post("/v1/subscriptions/s/replay", 400,
       R"({"since":"2026-01-02T00:00:00Z","until":"2026-01-01T00:00:00Z"})");
  post("/v1/dead/redeliver", 400);

  auto r = admin("GET", "/v1/deliveries/x.0/retry");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->headers["allow"], "POST");
  auto l = admin("POST", "/v1/events", "{}");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->status, 405);
  EXPECT_EQ(l->headers["allow"], "GET, HEAD");
  get("/v1/nothing-here", 404);
  get("/v1/subscriptions/s/nothing", 404);
}

TEST_F(AdminApiTest, UnknownNamesAndIdsAre404) {
  start_default();
  post("/v1/subscriptions/nope/pause", 404);
  post("/v1/subscriptions/nope/resume", 404);
  post("/v1/subscriptions/nope/replay", 404, R"({"since":"2026-01-01T00:00:00Z"})");
  post("/v1/dead/redeliver?subscription=nope", 404);
  post("/v1/deliveries/01HZZZZZZZZZZZZZZZZZZZZZZZ.0/retry", 404);
}

}  // namespace
}  // namespace hookd::test
