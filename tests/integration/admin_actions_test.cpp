// The admin API's actions (docs/admin-api.md): retry, pause and resume,
// replay and redelivery of dead letters, seen from the sink's side.
#include "tests/integration/admin_fixture.hpp"

#include <csignal>
#include <set>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

class AdminActionsTest : public AdminTest {
 protected:
  void start_default(const std::string& extra = kQuickRetry) {
    start_admin(sink_sub("s", http_url(sink_), "\"app.*\"", extra));
  }
  // Every delivery in `ids` reaches `state`.
  bool all_in_state(const std::vector<std::string>& ids, const std::string& state) {
    return eventually([&] {
      for (const auto& id : ids)
        if (delivery_state(id + ".0") != state) return false;
      return true;
    });
  }
  SinkServer sink_;
};

TEST_F(AdminActionsTest, RetryOfADeadDeliverySendsItAgain) {
  sink_.set_default(SinkAction::reply(500));
  start_default();
  std::string id = post_app("r1");
  ASSERT_TRUE(all_in_state({id}, "dead"));
  EXPECT_EQ(subscription("s").at("dead").as_int64(), 1);
  std::size_t before = sink_.request_count();
  EXPECT_EQ(before, 2u) << "two attempts, then dead";

  sink_.set_default(SinkAction::reply(204));
  auto v = post("/v1/deliveries/" + id + ".0/retry");
  EXPECT_EQ(v.at("delivery").at("state").as_string(), "pending");
  EXPECT_EQ(v.at("delivery").at("id").as_string(), id + ".0");
  ASSERT_TRUE(sink_.wait_for_requests(before + 1, 10s));
  EXPECT_EQ(sink_.requests().back().header("webhook-id"), id + ".0");
  ASSERT_TRUE(all_in_state({id}, "delivered"));
  EXPECT_EQ(subscription("s").at("dead").as_int64(), 0);
  EXPECT_EQ(get("/v1/deliveries/" + id + ".0").at("attempts").as_array().size(), 3u);

  auto again = post("/v1/deliveries/" + id + ".0/retry", 409);
  EXPECT_TRUE(again.at("error").is_string());
}

TEST_F(AdminActionsTest, RetryOfAPendingDeliveryMakesItDueNow) {
  sink_.push(SinkAction::reply(500));
  start_default("retry = { attempts = 5, base = \"1h\", cap = \"1h\" }\n");
  std::string id = post_app("w1");
  ASSERT_TRUE(sink_.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually(
      [&] { return get("/v1/deliveries/" + id + ".0").at("attempts").as_array().size() == 1; }));
  auto v = post("/v1/deliveries/" + id + ".0/retry");
  EXPECT_EQ(v.at("delivery").at("state").as_string(), "pending");
  ASSERT_TRUE(sink_.wait_for_requests(2, 10s)) << "not an hour later";
  ASSERT_TRUE(all_in_state({id}, "delivered"));
}

TEST_F(AdminActionsTest, PauseStopsDeliveriesAndResumeRestartsThem) {
  start_default();
  auto paused = post("/v1/subscriptions/s/pause");
  EXPECT_EQ(paused.at("subscription").at("state").as_string(), "paused");
  EXPECT_TRUE(paused.at("subscription").at("paused_reason").is_string());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(post_app("p" + std::to_string(i)));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sink_.request_count(), 0u) << "a paused subscription receives nothing";
  EXPECT_EQ(subscription("s").at("pending").as_int64(), 3);
  EXPECT_EQ(get("/v1/deliveries?state=pending").at("deliveries").as_array().size(), 3u);

  auto resumed = post("/v1/subscriptions/s/resume");
  EXPECT_EQ(resumed.at("subscription").at("state").as_string(), "enabled");
  EXPECT_TRUE(resumed.at("subscription").at("paused_reason").is_null());
  ASSERT_TRUE(sink_.wait_for_requests(3, 10s));
  ASSERT_TRUE(all_in_state(ids, "delivered"));
}

TEST_F(AdminActionsTest, PauseSurvivesARestart) {
  start_default();
  post("/v1/subscriptions/s/pause");
  ASSERT_EQ(daemon_.stop(SIGTERM), 0);
  admin_client_.reset();
  ingest_client_.reset();
  ASSERT_TRUE(daemon_.start(dir_.file("hookd.toml"), dir_.file("hookd.log"))) << daemon_.error();
  EXPECT_EQ(subscription("s").at("state").as_string(), "paused");
  post_app("after-restart");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink_.request_count(), 0u);
  post("/v1/subscriptions/s/resume");
  EXPECT_TRUE(sink_.wait_for_requests(1, 10s));
}

TEST_F(AdminActionsTest, ReplayRedeliversTheEventsOfATimeRange) {
  start_default();
  std::int64_t t0 = wall_now_ms() - 1;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(post_app("e" + std::to_string(i)));
  ASSERT_TRUE(sink_.wait_for_requests(3, 10s));
  ASSERT_TRUE(all_in_state(ids, "delivered"));
  std::this_thread::sleep_for(20ms);
  std::int64_t t1 = wall_now_ms();
  post_app("later");
  ASSERT_TRUE(sink_.wait_for_requests(4, 10s));

  auto v = post(
      "/v1/subscriptions/s/replay", 200,
      R"({"since":")" + format_rfc3339_ms(t0) + R"(","until":")" + format_rfc3339_ms(t1) + R"("})");
  EXPECT_EQ(v.at("replayed").as_int64(), 3);
  ASSERT_TRUE(sink_.wait_for_requests(7, 10s));
  std::set<std::string> replayed;
  auto reqs = sink_.requests();
  for (std::size_t i = 4; i < reqs.size(); ++i) replayed.insert(reqs[i].header("webhook-id"));
  EXPECT_EQ(replayed, (std::set<std::string>{ids[0] + ".1", ids[1] + ".1", ids[2] + ".1"}));
  EXPECT_EQ(get("/v1/events/" + ids[0]).at("deliveries").as_array().size(), 2u);

  auto none = post("/v1/subscriptions/s/replay", 200,
                   R"({"since":"2001-01-01T00:00:00Z","until":"2001-01-02T00:00:00Z"})");
  EXPECT_EQ(none.at("replayed").as_int64(), 0);
  auto open = post("/v1/subscriptions/s/replay", 200,
                   R"({"since":")" + format_rfc3339_ms(t1) + R"(","until":null})");
  EXPECT_EQ(open.at("replayed").as_int64(), 1) << "until defaults to now";
  EXPECT_TRUE(sink_.wait_for_requests(8, 10s));
}

TEST_F(AdminActionsTest, RedeliverDeadMakesEveryDeadDeliveryPendingAgain) {
  sink_.set_default(SinkAction::reply(503));
  // One attempt each: all three fail together and go dead at once.
  start_default("retry = { attempts = 1, base = \"50ms\", cap = \"100ms\" }\n");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(post_app("d" + std::to_string(i)));
  ASSERT_TRUE(all_in_state(ids, "dead"));
  EXPECT_EQ(subscription("s").at("dead").as_int64(), 3);
  std::size_t before = sink_.request_count();

  sink_.set_default(SinkAction::reply(200));
  auto v = post("/v1/dead/redeliver?subscription=s");
  EXPECT_EQ(v.at("redelivered").as_int64(), 3);
  ASSERT_TRUE(sink_.wait_for_requests(before + 3, 10s));
  ASSERT_TRUE(all_in_state(ids, "delivered"));
  EXPECT_EQ(subscription("s").at("dead").as_int64(), 0);
  EXPECT_TRUE(get("/v1/deliveries?state=dead").at("deliveries").as_array().empty());
  EXPECT_EQ(post("/v1/dead/redeliver?subscription=s").at("redelivered").as_int64(), 0);
}

}  // namespace
}  // namespace hookd::test
