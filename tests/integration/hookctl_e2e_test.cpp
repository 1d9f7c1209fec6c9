// hookctl against the real daemon's admin API: the contract of
// docs/admin-api.md as both sides implement it.
#include "tests/integration/admin_fixture.hpp"

#include <chrono>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

class HookctlE2eTest : public AdminTest {
 protected:
  SinkServer sink_;
};

TEST_F(HookctlE2eTest, ReadsAndActsOnTheRealDaemon) {
  start_admin(sink_sub("s", http_url(sink_), "\"app.*\"", kQuickRetry));
  std::string id = post_app("h1");
  ASSERT_TRUE(sink_.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return delivery_state(id + ".0") == "delivered"; }));

  auto status = hookctl({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_TRUE(contains(status.output, "1 subscription (1 enabled)")) << status.output;

  auto events = hookctl({"events", "--source", "app"});
  EXPECT_EQ(events.exit_code, 0) << events.output;
  EXPECT_TRUE(contains(events.output, id)) << events.output;

  auto event = hookctl({"event", id});
  EXPECT_EQ(event.exit_code, 0) << event.output;
  EXPECT_TRUE(contains(event.output, "\"id\":\"h1\"")) << event.output;

  auto delivered = hookctl({"deliveries", "--subscription", "s", "--state", "delivered"});
  EXPECT_EQ(delivered.exit_code, 0) << delivered.output;
  EXPECT_TRUE(contains(delivered.output, id + ".0")) << delivered.output;

  auto delivery = hookctl({"delivery", id + ".0"});
  EXPECT_EQ(delivery.exit_code, 0) << delivery.output;
  EXPECT_TRUE(contains(delivery.output, "state         delivered")) << delivery.output;

  auto retry = hookctl({"retry", id + ".0"});
  EXPECT_EQ(retry.exit_code, 1) << "retrying a delivered delivery is a conflict";
  EXPECT_TRUE(contains(retry.output, "(409)")) << retry.output;

  EXPECT_EQ(hookctl({"pause", "s"}).output.rfind("subscription s: paused", 0), 0u);
  EXPECT_EQ(hookctl({"resume", "s"}).output, "subscription s: enabled\n");

  auto replay = hookctl({"replay", "s", "--since", "10m"});
  EXPECT_EQ(replay.exit_code, 0) << replay.output;
  EXPECT_TRUE(contains(replay.output, "replay s: 1 deliveries created")) << replay.output;
  EXPECT_TRUE(sink_.wait_for_requests(2, 10s));

  auto redeliver = hookctl({"redeliver-dead", "s"});
  EXPECT_EQ(redeliver.output, "redeliver-dead s: 0 dead deliveries pending again\n");

  auto missing = hookctl({"delivery", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.output, "hookctl: no such delivery 'nope'\n");
  auto unknown = hookctl({"pause", "ghost"});
  EXPECT_EQ(unknown.output, "hookctl: no such subscription 'ghost'\n");

  auto refused = hookctl({"subscriptions"}, "wrong-token");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.output, "hookctl: the admin API refused the token (401)\n");
}

}  // namespace
}  // namespace hookd::test
