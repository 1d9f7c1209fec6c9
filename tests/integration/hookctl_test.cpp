// hookctl (SPEC section 6) against a fake admin API (docs/admin-api.md): the
// requests it sends, what it prints, and its exit codes.
#include "tests/integration/hookctl_fixture.hpp"

#include "core/formats/parsers.hpp"

#include <boost/json/parse.hpp>

#include <chrono>

namespace hookd::test {
namespace {

namespace json = boost::json;

TEST_F(HookctlTest, SubscriptionsSendsTheBearerTokenAndPrintsATable) {
  sink_.set_default(json_reply(200, kSubscriptionsJson));
  auto r = hookctl({"subscriptions"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto req = only_request();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/v1/subscriptions");
  EXPECT_EQ(req.header("Authorization"), std::string("Bearer ") + kHookctlToken);
  EXPECT_TRUE(
      contains(r.output, "NAME    STATE              PENDING  IN FLIGHT  DELIVERED  DEAD  URL\n"))
      << r.output;
  EXPECT_TRUE(contains(r.output,
                       "orders  enabled                 12          1        340     2  "
                       "https://orders.example/hook\n"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "audit   paused (410 Gone)"));
}

TEST_F(HookctlTest, JsonPrintsTheApiAnswerUnchanged) {
  sink_.set_default(json_reply(200, kSubscriptionsJson));
  auto r = hookctl({"--json", "subscriptions"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, std::string(kSubscriptionsJson) + "\n");
}

TEST_F(HookctlTest, EventsPutsFiltersInTheQueryAndShowsTheNextPage) {
  sink_.set_default(json_reply(200, kEventsJson));
  auto r = hookctl({"events", "--source", "minio", "--type=s3:ObjectCreated:Put", "--limit", "5"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(only_request().target, "/v1/events?source=minio&type=s3%3AObjectCreated%3APut&limit=5");
  EXPECT_TRUE(contains(r.output, "ID                          SOURCE  TYPE")) << r.output;
  EXPECT_TRUE(contains(r.output, "s3:ObjectCreated:Put  2026-11-26T08:00:00.000Z"));
  EXPECT_TRUE(contains(r.output, "more: add --after 01JEVENT0000000000000000A1"));
}

TEST_F(HookctlTest, EventShowsItsDeliveriesAndBody) {
  sink_.set_default(json_reply(200, std::string(R"({"event":{"id":"01JEVENT0000000000000000A1",
    "source":"minio","type":"s3:ObjectCreated:Put","time":"2026-11-26T08:00:00.000Z",
    "received":"2026-11-26T08:00:00.120Z","idempotency_key":"k1"},
    "body":"{\"Records\":[]}","deliveries":[)") +
                                        kDeliveryJson + "]}"));
  auto r = hookctl({"event", "01JEVENT0000000000000000A1"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(only_request().target, "/v1/events/01JEVENT0000000000000000A1");
  EXPECT_TRUE(contains(r.output, "idempotency key  k1")) << r.output;
  EXPECT_TRUE(contains(r.output, "01JDELIV0000000000000000D1  orders        dead")) << r.output;
  EXPECT_TRUE(contains(r.output, "body:\n{\"Records\":[]}\n"));
}

TEST_F(HookctlTest, DeliveriesFiltersBySubscriptionAndState) {
  sink_.set_default(
      json_reply(200, std::string(R"({"deliveries":[)") + kDeliveryJson + R"(],"next":null})"));
  auto r = hookctl({"deliveries", "--subscription", "orders", "--state", "dead"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(only_request().target, "/v1/deliveries?subscription=orders&state=dead");
  EXPECT_TRUE(contains(r.output, "LAST ERROR")) << r.output;
  EXPECT_TRUE(contains(r.output, "HTTP 500"));
  EXPECT_FALSE(contains(r.output, "more:"));
}

TEST_F(HookctlTest, DeliveryListsEveryAttempt) {
  sink_.set_default(json_reply(200, delivery_detail_json()));
  auto r = hookctl({"delivery", "01JDELIV0000000000000000D1"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(only_request().target, "/v1/deliveries/01JDELIV0000000000000000D1");
  EXPECT_TRUE(contains(r.output, "subscription  orders")) << r.output;
  EXPECT_TRUE(contains(r.output, "#  STARTED                   STATUS  LATENCY  ERROR    RESPONSE"))
      << r.output;
  // Control characters from the receiver's answer never reach the terminal.
  EXPECT_TRUE(
      contains(r.output, "1  2026-11-26T08:00:00.140Z     500     12ms  -        oops line two"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "2  2026-11-26T08:01:00.000Z       -  10000ms  timeout  -"));
}

TEST_F(HookctlTest, RetryPostsAndPrintsTheNewState) {
  sink_.set_default(json_reply(200, R"({"delivery":{"id":"D1","state":"pending",
    "next_attempt":"2026-11-26T09:00:00.000Z"}})"));
  auto r = hookctl({"retry", "D1"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto req = only_request();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1/deliveries/D1/retry");
  EXPECT_EQ(r.output, "delivery D1: pending, next attempt 2026-11-26T09:00:00.000Z\n");
}

TEST_F(HookctlTest, PauseAndResumeEncodeTheName) {
  sink_.push(json_reply(200, R"({"subscription":{"name":"a b/c","state":"paused",
    "paused_reason":"paused by admin"}})"));
  sink_.push(json_reply(200, R"({"subscription":{"name":"a b/c","state":"enabled",
    "paused_reason":null}})"));
  auto paused = hookctl({"pause", "a b/c"});
  auto resumed = hookctl({"resume", "a b/c"});
  EXPECT_EQ(paused.exit_code, 0) << paused.output;
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  auto requests = sink_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/subscriptions/a%20b%2Fc/pause");
  EXPECT_EQ(requests[1].target, "/v1/subscriptions/a%20b%2Fc/resume");
  EXPECT_EQ(paused.output, "subscription a b/c: paused (paused by admin)\n");
  EXPECT_EQ(resumed.output, "subscription a b/c: enabled\n");
}

TEST_F(HookctlTest, ReplaySendsRelativeDurationsAsRfc3339) {
  sink_.set_default(json_reply(200, R"({"replayed":4})"));
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  auto before = now_ms();
  auto r = hookctl({"replay", "orders", "--since", "2h", "--until", "30m"});
  auto after = now_ms();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto req = only_request();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1/subscriptions/orders/replay");
  EXPECT_EQ(req.header("Content-Type"), "application/json");
  auto body = json::parse(req.body).as_object();
  auto since = parse_rfc3339_ms(body.at("since").as_string());
  auto until = parse_rfc3339_ms(body.at("until").as_string());
  ASSERT_TRUE(since && until) << req.body;
  EXPECT_GE(*since, before - 2 * 3600 * 1000);
  EXPECT_LE(*since, after - 2 * 3600 * 1000);
  EXPECT_EQ(*until - *since, 90 * 60 * 1000);
  EXPECT_TRUE(contains(r.output, "replay orders: 4 deliveries created")) << r.output;
}

TEST_F(HookctlTest, ReplayAcceptsTimestampsAndLeavesUntilToTheServer) {
  sink_.set_default(json_reply(200, R"({"replayed":0})"));
  auto r = hookctl({"replay", "orders", "--since", "2026-01-01T01:00:00+01:00"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(json::parse(only_request().body),
            json::parse(R"({"since":"2026-01-01T00:00:00.000Z"})"));
}

TEST_F(HookctlTest, RedeliverDeadNamesTheSubscriptionInTheQuery) {
  sink_.set_default(json_reply(200, R"({"redelivered":3})"));
  auto r = hookctl({"redeliver-dead", "orders"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto req = only_request();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1/dead/redeliver?subscription=orders");
  EXPECT_EQ(r.output, "redeliver-dead orders: 3 dead deliveries pending again\n");
}

TEST_F(HookctlTest, StatusSummarizesHealthReadinessAndSubscriptions) {
  sink_.push(json_reply(200, R"({"status":"ok"})"));
  sink_.push(json_reply(200, R"({"status":"ready"})"));
  sink_.push(json_reply(200, kSubscriptionsJson));
  auto r = hookctl({"status"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto requests = sink_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].target, "/healthz");
  EXPECT_EQ(requests[1].target, "/readyz");
  EXPECT_EQ(requests[2].target, "/v1/subscriptions");
  EXPECT_TRUE(contains(r.output, "health     ok\nready      ready\n")) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "2 subscriptions (1 enabled, 1 paused); 15 pending, 1 in flight, "
                       "2 dead"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "orders  enabled"));
}

TEST_F(HookctlTest, StatusWhenNotReadyFailsButStillReports) {
  sink_.push(json_reply(200, R"({"status":"ok"})"));
  sink_.push(json_reply(503, R"({"status":"not ready","reason":"storage closed"})"));
  sink_.push(json_reply(200, kSubscriptionsJson));
  auto r = hookctl({"status"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "ready      not ready: storage closed")) << r.output;
  EXPECT_TRUE(contains(r.output, "orders"));

  sink_.push(json_reply(200, R"({"status":"ok"})"));
  sink_.push(json_reply(503, R"({"status":"not ready","reason":"storage closed"})"));
  sink_.push(json_reply(200, kSubscriptionsJson));
  auto j = hookctl({"status", "--json"});
  EXPECT_EQ(j.exit_code, 1) << j.output;
  auto combined = json::parse(j.output).as_object();
  EXPECT_EQ(combined.at("readyz").as_object().at("status"), "not ready");
  EXPECT_EQ(combined.at("subscriptions").as_array().size(), 2u);
}

TEST_F(HookctlTest, DaemonDownIsARuntimeFailure) {
  std::uint16_t port;
  {
    SinkServer gone;
    port = gone.port();
  }
  auto r = run_command(
      {HOOKCTL_BINARY, "--admin", "http://127.0.0.1:" + std::to_string(port), "subscriptions"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "hookctl: cannot reach hookd admin API at http://127.0.0.1:" +
                          std::to_string(port) + ": Connection refused\n");
}

TEST_F(HookctlTest, RefusedTokenIsARuntimeFailureWithoutTheToken) {
  sink_.set_default(json_reply(401, R"({"error":"invalid token"})"));
  auto r = hookctl({"deliveries"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "hookctl: the admin API refused the token (401)\n");
}

TEST_F(HookctlTest, MissingTokenSaysWhereToPutOne) {
  sink_.set_default(json_reply(401, R"({"error":"missing token"})"));
  auto r = hookctl({"subscriptions"}, false);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(only_request().header("Authorization"), "");
  EXPECT_TRUE(contains(r.output, "needs a token (401): use --token-file")) << r.output;
}

TEST_F(HookctlTest, TokenComesFromTheEnvironmentOrTheCredentialsDirectory) {
  sink_.set_default(json_reply(200, kSubscriptionsJson));
  EXPECT_EQ(hookctl({"subscriptions"}, false, {"HOOKCTL_TOKEN=from-env"}).exit_code, 0);
  EXPECT_EQ(hookctl({"subscriptions"}, false, {"CREDENTIALS_DIRECTORY=" + dir_.path()}).exit_code,
            0);
  auto requests = sink_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer from-env");
  EXPECT_EQ(requests[1].header("Authorization"), std::string("Bearer ") + kHookctlToken);
}

TEST_F(HookctlTest, NotFoundNamesTheObject) {
  sink_.set_default(json_reply(404, R"({"error":"no such delivery"})"));
  auto r = hookctl({"delivery", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "hookctl: no such delivery 'nope'\n");
  auto p = hookctl({"pause", "ghost"});
  EXPECT_EQ(p.output, "hookctl: no such subscription 'ghost'\n");
}

TEST_F(HookctlTest, OtherApiErrorsPrintTheApiMessage) {
  sink_.set_default(json_reply(409, R"({"error":"delivery D1 is already delivered"})"));
  auto r = hookctl({"retry", "D1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "hookctl: delivery D1 is already delivered (409)\n");
}

TEST_F(HookctlTest, BadUsageExits64WithUsageAndSendsNothing) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{},
                                             {"frobnicate"},
                                             {"subscriptions", "--frobnicate"},
                                             {"delivery"},
                                             {"pause", "a", "b"},
                                             {"replay", "orders"},
                                             {"replay", "orders", "--since", "yesterday"},
                                             {"deliveries", "--state", "lost"},
                                             {"events", "--limit", "many"},
                                             {"events", "--source"}}) {
    auto r = hookctl(args);
    EXPECT_EQ(r.exit_code, 64) << r.output;
    EXPECT_TRUE(contains(r.output, "usage: hookctl")) << r.output;
  }
  EXPECT_EQ(sink_.request_count(), 0u);
}

TEST_F(HookctlTest, EveryNetworkStepIsBounded) {
  sink_.set_default(SinkAction::hang_up());
  auto start = std::chrono::steady_clock::now();
  auto r = hookctl({"--timeout", "300ms", "subscriptions"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "timed out after 300ms")) << r.output;
}

TEST_F(HookctlTest, AdminUrlPathIsAPrefix) {
  sink_.set_default(json_reply(200, kSubscriptionsJson));
  auto r = run_command({HOOKCTL_BINARY, "--admin", admin_url() + "/hookd/", "--token-file",
                        token_file(), "subscriptions"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(only_request().target, "/hookd/v1/subscriptions");
}

TEST(HookctlTlsTest, HttpsIsVerifiedAgainstTheGivenCa) {
  TempDir dir;
  auto certs = make_test_certs(dir.path());
  SinkServer sink(SinkOptions{certs.server_cert, certs.server_key, {}, {}});
  sink.set_default(json_reply(200, kSubscriptionsJson));
  std::string url = "https://127.0.0.1:" + std::to_string(sink.port());
  auto ok = run_command({HOOKCTL_BINARY, "--admin", url, "--ca", certs.ca_cert, "subscriptions"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(ok.output.find("orders") != std::string::npos) << ok.output;
  auto untrusted = run_command({HOOKCTL_BINARY, "--admin", url, "subscriptions"});
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_TRUE(untrusted.output.find("certificate verify failed") != std::string::npos)
      << untrusted.output;
}

}  // namespace
}  // namespace hookd::test
