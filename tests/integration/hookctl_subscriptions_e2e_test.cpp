// hookctl's subscription commands against the real daemon: every change
// round-trips through the admin API, and its effect is seen where it
// matters (the request a sink receives, its signature, the deliveries
// listing). API subscriptions reach 127.0.0.1 here only because the config
// opens it ([admin] allow_destinations).
#include "tests/integration/admin_fixture.hpp"

#include <chrono>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kReadToken = "admin-read-token-9012";
constexpr const char* kApiSecret = "whsec_aG9va2N0bC1lMmUtc2VjcmV0LTI0Ynl0";

class HookctlSubscriptionsTest : public AdminTest {
 protected:
  void SetUp() override {
    // "file-sub" is the config file's own; its events never occur here.
    start_with(
        delivery_config(db_path(), sink_sub("file-sub", http_url(sink_, "/file"), "\"never.*\"")) +
        admin_table() + "read_token = \"" + kReadToken + "\"\n" +
        "allow_destinations = [\"127.0.0.1/32\"]\n");
    ASSERT_NE(daemon_.admin_port(), 0) << daemon_.log();
    write_file(dir_.file("secret"), std::string(kApiSecret) + "\n");
  }

  // The requests the sink received at `target`.
  std::vector<ReceivedRequest> requests_to(const std::string& target) const {
    std::vector<ReceivedRequest> out;
    for (auto& r : sink_.requests())
      if (r.target == target) out.push_back(std::move(r));
    return out;
  }
  // The value after "LABEL  " on a line of hookctl's key/value output.
  static std::string row(const std::string& output, const std::string& label) {
    auto at = output.find("\n" + label + " ");
    if (at == std::string::npos) return {};
    auto start = output.find_first_not_of(' ', at + 1 + label.size());
    return output.substr(start, output.find('\n', start) - start);
  }

  SinkServer sink_;
};

TEST_F(HookctlSubscriptionsTest, CreateShowUpdateDisableEnableRotateTestDelete) {
  const std::string url = http_url(sink_, "/api");
  auto created = hookctl({"subscription", "create", "--name", "api-orders", "--url", url, "--event",
                          "app.*", "--header", "X-Tenant=acme", "--label", "user_id=1",
                          "--secret-file", dir_.file("secret")});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  EXPECT_TRUE(contains(created.output, "subscription api-orders created\n")) << created.output;
  EXPECT_EQ(row(created.output, "labels"), "user_id=1") << created.output;
  EXPECT_FALSE(contains(created.output, "whsec_")) << "a given secret is never echoed";

  auto shown = hookctl({"subscription", "show", "api-orders"});
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_EQ(row("\n" + shown.output, "origin"), "api") << shown.output;
  EXPECT_EQ(row(shown.output, "url"), url);
  EXPECT_EQ(row(shown.output, "headers"), "X-Tenant") << "names only";
  EXPECT_EQ(row(shown.output, "secrets"), "1");
  EXPECT_NE(row(shown.output, "created"), "-");

  auto by_label = hookctl({"subscription", "list", "--label", "user_id=1"});
  EXPECT_TRUE(contains(by_label.output, "api-orders  api")) << by_label.output;
  EXPECT_FALSE(contains(by_label.output, "file-sub"));
  auto from_file = hookctl({"subscription", "list", "--origin", "config"});
  EXPECT_TRUE(contains(from_file.output, "file-sub  config")) << from_file.output;
  EXPECT_FALSE(contains(from_file.output, "api-orders"));

  // An event reaches it, with its header and signed with the given secret.
  post_app("e1");
  ASSERT_TRUE(sink_.wait_for_requests(1, 10s));
  auto first = requests_to("/api").at(0);
  EXPECT_EQ(first.header("x-tenant"), "acme");
  EXPECT_EQ(first.header("webhook-signature"),
            expected_signature(kApiSecret, first.header("webhook-id"),
                               first.header("webhook-timestamp"), first.body));

  auto updated = hookctl({"subscription", "update", "api-orders", "--header", "X-Tenant=beta"});
  EXPECT_EQ(updated.exit_code, 0) << updated.output;
  EXPECT_EQ(updated.output, "subscription api-orders updated: enabled\n");
  post_app("e2");
  ASSERT_TRUE(sink_.wait_for_requests(2, 10s));
  EXPECT_EQ(requests_to("/api").at(1).header("x-tenant"), "beta") << "the next event";

  EXPECT_EQ(hookctl({"subscription", "disable", "api-orders"}).output,
            "subscription api-orders: disabled\n");
  EXPECT_EQ(row(hookctl({"subscription", "show", "api-orders"}).output, "enabled"), "false");
  auto refused_test = hookctl({"subscription", "test", "api-orders"});
  EXPECT_EQ(refused_test.exit_code, 1);
  EXPECT_EQ(refused_test.output, "hookctl: the subscription is disabled; enable it first (409)\n");
  EXPECT_EQ(hookctl({"subscription", "enable", "api-orders"}).output,
            "subscription api-orders: enabled\n");

  auto rotated = hookctl({"subscription", "rotate-secret", "api-orders", "--grace", "1h"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.output;
  EXPECT_TRUE(contains(rotated.output, "subscription api-orders: secret rotated\n"));
  EXPECT_TRUE(contains(rotated.output, "the secret is shown only now")) << rotated.output;
  const std::string fresh = row(rotated.output, "secret");
  ASSERT_EQ(fresh.rfind("whsec_", 0), 0u) << rotated.output;
  EXPECT_EQ(row(rotated.output, "previous secrets").rfind("sign beside it until 20", 0), 0u);

  auto tested = hookctl({"subscription", "test", "api-orders"});
  ASSERT_EQ(tested.exit_code, 0) << tested.output;
  EXPECT_TRUE(contains(tested.output, "test delivery ")) << tested.output;
  ASSERT_TRUE(sink_.wait_for_requests(3, 10s));
  auto test = requests_to("/api").at(2);
  EXPECT_TRUE(contains(test.body, "\"type\":\"hookd.test\"")) << test.body;
  EXPECT_TRUE(contains(tested.output, test.header("webhook-id"))) << "the delivery id printed";
  const std::string id = test.header("webhook-id"), ts = test.header("webhook-timestamp");
  EXPECT_EQ(test.header("webhook-signature"), expected_signature(fresh, id, ts, test.body) + " " +
                                                  expected_signature(kApiSecret, id, ts, test.body))
      << "both secrets sign during the grace period";

  // A delivery left pending is cancelled by the delete, and listed so.
  auto slow =
      hookctl({"subscription", "update", "api-orders", "--retry-base", "1h", "--retry-cap", "1h"});
  ASSERT_EQ(slow.exit_code, 0) << slow.output;
  sink_.set_default(SinkAction::reply(500));
  post_app("e3");
  ASSERT_TRUE(sink_.wait_for_requests(4, 10s));
  ASSERT_TRUE(eventually([&] {
    auto v = get("/v1/deliveries?subscription=api-orders&state=pending");
    const auto& list = v.at("deliveries").as_array();
    return list.size() == 1 && list.at(0).at("attempts").as_int64() >= 1;
  }));
  auto deleted = hookctl({"subscription", "delete", "api-orders"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_EQ(deleted.output, "subscription api-orders deleted; 1 pending deliveries cancelled\n");
  auto cancelled = hookctl({"deliveries", "--subscription", "api-orders", "--state", "cancelled"});
  EXPECT_TRUE(contains(cancelled.output, "api-orders    cancelled")) << cancelled.output;
  auto gone = hookctl({"subscription", "show", "api-orders"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_EQ(gone.output, "hookctl: no such subscription 'api-orders'\n");
}

TEST_F(HookctlSubscriptionsTest, BareUrlCreateGeneratesANameAndASecretShownOnce) {
  auto created = hookctl({"subscription", "create", "--url", "https://hooks.example.com/in"});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const std::string name = row("\n" + created.output, "name");
  EXPECT_EQ(name.rfind("sub-", 0), 0u) << created.output;
  EXPECT_EQ(name.size(), 20u);
  EXPECT_EQ(row(created.output, "secret").rfind("whsec_", 0), 0u) << created.output;
  EXPECT_TRUE(contains(created.output, "the secret is shown only now"));
  auto shown = hookctl({"subscription", "show", name});
  EXPECT_FALSE(contains(shown.output, "whsec_")) << shown.output;
  EXPECT_EQ(row(shown.output, "events"), "every event");

  auto json = hookctl({"--json", "subscription", "show", name});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  auto s = json::parse(json.output).at("subscription").as_object();
  EXPECT_EQ(s.at("origin"), "api");
  EXPECT_EQ(s.at("secrets"), 1);
}

TEST_F(HookctlSubscriptionsTest, InvalidCreatePrintsEveryProblemAndStoresNothing) {
  auto r = hookctl({"subscription", "create", "--name", "bad", "--url", "http://10.1.2.3/h",
                    "--retry-base", "soon", "--label", "user id=1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "hookctl: retry.base: invalid duration \"soon\"")) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "hookctl: url: destination not allowed: private (RFC 1918) address "
                       "10.1.2.3 (400)\n"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "hookctl: labels: a key must be")) << r.output;
  EXPECT_EQ(hookctl({"subscription", "show", "bad"}).output,
            "hookctl: no such subscription 'bad'\n");
}

TEST_F(HookctlSubscriptionsTest, ConfigFileSubscriptionsAreReadOnlyButTestable) {
  auto r = hookctl({"subscription", "update", "file-sub", "--url", "https://example.com/h"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "is defined in " + dir_.file("hookd.toml"))) << r.output;
  EXPECT_TRUE(contains(r.output, "(409)")) << r.output;
  EXPECT_EQ(hookctl({"subscription", "delete", "file-sub"}).exit_code, 1);

  auto tested = hookctl({"subscription", "test", "file-sub"});
  EXPECT_EQ(tested.exit_code, 0) << tested.output;
  ASSERT_TRUE(sink_.wait_for_requests(1, 10s));
  EXPECT_EQ(sink_.requests().at(0).target, "/file");
}

TEST_F(HookctlSubscriptionsTest, ReadTokenListsButCannotCreate) {
  auto listed = hookctl({"subscription", "list"}, kReadToken);
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_TRUE(contains(listed.output, "file-sub")) << listed.output;
  auto r = hookctl({"subscription", "create", "--url", "https://example.com/h"}, kReadToken);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "hookctl: the read-only token allows GET and HEAD only (403)\n");
  auto after = json::parse(hookctl({"--json", "subscription", "list"}).output);
  EXPECT_EQ(after.at("subscriptions").as_array().size(), 1u) << "nothing created";
}

}  // namespace
}  // namespace hookd::test
