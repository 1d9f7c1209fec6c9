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

constexpr const char* kCreatedJson = R"({"subscription":{"name":"sub-0123456789abcdef",
  "origin":"api","file":null,"url":"https://hooks.example.com/in","url_has_query":false,
  "state":"enabled","paused_reason":null,"pending":0,"in_flight":0,"delivered":0,"dead":0,
  "events":[],"sources":[],"filter":{},"headers":[],"basic_auth":null,"secrets":1,
  "body":"original","extra":{},"timeout":"10s","retry":{"attempts":10,"base":"1s","cap":"1h"},
  "max_in_flight":16,"enabled":true,"tls":null,"labels":{"user_id":"1"},
  "created":"2026-12-01T10:00:00.000Z","updated":"2026-12-01T10:00:00.000Z"},
  "secret":"whsec_aG9va2N0bC1lMmUtc2VjcmV0LTI0Ynl0"})";

TEST_F(HookctlTest, SubscriptionCreatePostsTheFieldsAndShowsTheSecretOnce) {
  sink_.set_default(json_reply(201, kCreatedJson));
  auto r = hookctl({"subscription", "create", "--url", "https://hooks.example.com/in", "--event",
                    "order.*", "--header", "X-Tenant=acme", "--label", "user_id=1"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto req = only_request();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1/subscriptions");
  EXPECT_EQ(req.header("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(req.body), json::parse(R"({"url":"https://hooks.example.com/in",
    "events":["order.*"],"headers":{"X-Tenant":"acme"},"labels":{"user_id":"1"}})"));
  EXPECT_EQ(r.output,
            "subscription sub-0123456789abcdef created\n"
            "name     sub-0123456789abcdef\n"
            "state    enabled\n"
            "url      https://hooks.example.com/in\n"
            "events   every event\n"
            "labels   user_id=1\n"
            "created  2026-12-01T10:00:00.000Z\n"
            "updated  2026-12-01T10:00:00.000Z\n"
            "secret   whsec_aG9va2N0bC1lMmUtc2VjcmV0LTI0Ynl0\n"
            "\n"
            "the secret is shown only now: store it to verify the webhook-signature header\n");
  auto j = hookctl({"--json", "subscription", "create", "--url", "https://hooks.example.com/in"});
  EXPECT_EQ(j.output, std::string(kCreatedJson) + "\n");
}

TEST_F(HookctlTest, SubscriptionShowPrintsEveryFieldWithoutSecrets) {
  sink_.set_default(json_reply(200, R"({"subscription":{"name":"orders","origin":"config",
    "file":"/etc/hookd/hookd.toml","url":"https://orders.example/hook","url_has_query":true,
    "state":"paused","paused_reason":"410 Gone","pending":2,"in_flight":0,"delivered":5,"dead":1,
    "events":["order.*","invoice.paid"],"sources":["app"],"filter":{"bucket":"b"},
    "headers":["X-Tenant","X-Env"],"basic_auth":{"user":"alice","password":"set"},"secrets":2,
    "body":"cloudevents","extra":{"k":"v"},"timeout":"5s",
    "retry":{"attempts":3,"base":"1s","cap":"1m"},"max_in_flight":4,"enabled":true,
    "tls":{"ca":"/etc/ssl/ca.pem","client_certificate":false},"labels":{},
    "created":null,"updated":null}})"));
  auto r = hookctl({"subscription", "show", "orders"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(only_request().target, "/v1/subscriptions/orders");
  EXPECT_EQ(r.output,
            "name           orders\n"
            "origin         config (/etc/hookd/hookd.toml)\n"
            "state          paused (410 Gone)\n"
            "url            https://orders.example/hook (query not shown)\n"
            "events         order.*, invoice.paid\n"
            "sources        app\n"
            "filter         bucket=b\n"
            "headers        X-Tenant, X-Env\n"
            "basic auth     user alice, password set\n"
            "secrets        2\n"
            "body           cloudevents\n"
            "extra          {\"k\":\"v\"}\n"
            "timeout        5s\n"
            "retry          3 attempts, base 1s, cap 1m\n"
            "max in flight  4\n"
            "enabled        true\n"
            "tls            ca /etc/ssl/ca.pem\n"
            "labels         -\n"
            "pending        2\n"
            "in flight      0\n"
            "delivered      5\n"
            "dead           1\n"
            "created        -\n"
            "updated        -\n");
}

TEST_F(HookctlTest, SubscriptionListFiltersByOriginAndLabel) {
  sink_.set_default(json_reply(200, R"({"subscriptions":[{"name":"sub-1","origin":"api",
    "state":"invalid","error":"sources[0]: unknown source \"gone\"",
    "created":"2026-12-01T10:00:00.000Z","updated":"2026-12-01T10:00:00.000Z"}]})"));
  auto r = hookctl({"subscription", "list", "--origin", "api", "--label", "user_id=1"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(only_request().target, "/v1/subscriptions?origin=api&label=user_id%3D1");
  EXPECT_EQ(r.output,
            "NAME   ORIGIN  STATE    PENDING  DEAD  URL  LABELS\n"
            "sub-1  api     invalid        -     -  -    -\n");
}

TEST_F(HookctlTest, SubscriptionUpdateSendsAMergePatchOfTheGivenFields) {
  write_file(dir_.file("password"), "s3cret pass\n");
  sink_.set_default(json_reply(
      200, R"({"subscription":{"name":"a b","state":"disabled","paused_reason":null}})"));
  auto r = hookctl({"subscription", "update", "a b", "--unset", "headers.X-Env",
                    "--basic-auth-user", "alice", "--basic-auth-password-file",
                    dir_.file("password"), "--enabled", "false", "--retry-attempts", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto req = only_request();
  EXPECT_EQ(req.method, "PATCH");
  EXPECT_EQ(req.target, "/v1/subscriptions/a%20b");
  EXPECT_EQ(json::parse(req.body), json::parse(R"({"headers":{"X-Env":null},
    "basic_auth":{"user":"alice","password":"s3cret pass"},"enabled":false,
    "retry":{"attempts":3}})"));
  EXPECT_EQ(r.output, "subscription a b updated: disabled\n");
  EXPECT_FALSE(contains(r.output, "s3cret"));
}

TEST_F(HookctlTest, SubscriptionReplaceSendsTheFileAsAPut) {
  write_file(dir_.file("sub.json"), R"({"url":"https://example.com/a","labels":{"team":"x"}})");
  sink_.set_default(json_reply(200, R"({"subscription":{"name":"s","state":"enabled"}})"));
  auto r =
      hookctl({"subscription", "replace", "s", "--file", dir_.file("sub.json"), "--event", "a.*"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto req = only_request();
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(req.target, "/v1/subscriptions/s");
  EXPECT_EQ(json::parse(req.body), json::parse(R"({"url":"https://example.com/a",
    "labels":{"team":"x"},"events":["a.*"]})"));
}

TEST_F(HookctlTest, SubscriptionActionsUseTheirEndpoints) {
  write_file(dir_.file("secret"), "whsec_aG9va2N0bC1lMmUtc2VjcmV0LTI0Ynl0\n");
  sink_.push(json_reply(200, R"({"deleted":"s","cancelled":3})"));
  sink_.push(json_reply(200, R"({"subscription":{"name":"s","state":"enabled"}})"));
  sink_.push(json_reply(200, R"({"subscription":{"name":"s","state":"disabled"}})"));
  sink_.push(json_reply(200, R"({"subscription":{"name":"s"},"secret":"whsec_bmV3",
    "previous_valid_until":"2026-12-02T10:00:00.000Z"})"));
  sink_.push(json_reply(200, R"({"subscription":{"name":"s"},"previous_valid_until":null})"));
  sink_.push(json_reply(202, R"({"event_id":"01JTEST","delivery_id":"01JTEST.0"})"));
  auto deleted = hookctl({"subscription", "delete", "s"});
  auto enabled = hookctl({"subscription", "enable", "s"});
  auto disabled = hookctl({"subscription", "disable", "s"});
  auto rotated = hookctl({"subscription", "rotate-secret", "s", "--grace", "24h"});
  auto given = hookctl({"subscription", "rotate-secret", "s", "--grace", "0s", "--secret-file",
                        dir_.file("secret")});
  auto tested = hookctl({"subscription", "test", "s"});
  auto requests = sink_.requests();
  ASSERT_EQ(requests.size(), 6u);
  EXPECT_EQ(requests[0].method + " " + requests[0].target, "DELETE /v1/subscriptions/s");
  EXPECT_EQ(requests[1].method + " " + requests[1].target, "POST /v1/subscriptions/s/enable");
  EXPECT_EQ(requests[2].method + " " + requests[2].target, "POST /v1/subscriptions/s/disable");
  EXPECT_EQ(requests[3].method + " " + requests[3].target,
            "POST /v1/subscriptions/s/rotate-secret");
  EXPECT_EQ(json::parse(requests[3].body), json::parse(R"({"grace":"24h"})"));
  EXPECT_EQ(json::parse(requests[4].body),
            json::parse(R"({"grace":"0s","secret":"whsec_aG9va2N0bC1lMmUtc2VjcmV0LTI0Ynl0"})"));
  EXPECT_EQ(requests[5].method + " " + requests[5].target, "POST /v1/subscriptions/s/test");
  EXPECT_EQ(deleted.output, "subscription s deleted; 3 pending deliveries cancelled\n");
  EXPECT_EQ(enabled.output, "subscription s: enabled\n");
  EXPECT_EQ(disabled.output, "subscription s: disabled\n");
  EXPECT_EQ(rotated.output,
            "subscription s: secret rotated\n"
            "secret            whsec_bmV3\n"
            "previous secrets  sign beside it until 2026-12-02T10:00:00.000Z\n"
            "\n"
            "the secret is shown only now: store it to verify the webhook-signature header\n");
  EXPECT_EQ(given.output,
            "subscription s: secret rotated\n"
            "previous secrets  no longer sign\n");
  EXPECT_EQ(tested.output,
            "test delivery 01JTEST.0 queued (event 01JTEST); hookctl delivery 01JTEST.0 shows its "
            "attempts\n");
}

TEST_F(HookctlTest, SubscriptionErrorsPrintEveryProblem) {
  sink_.set_default(json_reply(400, R"({"error":"retry.base: invalid duration \"soon\"",
    "errors":["retry.base: invalid duration \"soon\"","url: https or http URL required"]})"));
  auto r = hookctl({"subscription", "create", "--retry-base", "soon"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output,
            "hookctl: retry.base: invalid duration \"soon\" (400)\n"
            "hookctl: url: https or http URL required (400)\n");
  auto missing = hookctl({"subscription", "update", "s", "--secret-file", dir_.file("nope")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.output, "hookctl: --secret-file: cannot read ")) << missing.output;
  EXPECT_EQ(sink_.request_count(), 1u) << "nothing sent without the secret";
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
                                             {"events", "--source"},
                                             {"subscription"},
                                             {"subscription", "create", "--secret", "whsec_x"},
                                             {"subscription", "create", "--header", "X"},
                                             {"subscription", "update", "s"},
                                             {"subscription", "test"}}) {
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
