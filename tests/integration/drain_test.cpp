// SIGTERM: idle connections end at once, in-flight work gets drain_timeout,
// then is cancelled; a cancelled attempt stays pending and is delivered
// after the next start.
#include "tests/integration/admin_fixture.hpp"

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

class DrainTest : public AdminTest {
 protected:
  SinkServer sink_;
};

TEST_F(DrainTest, HangingAttemptIsCancelledAfterDrainTimeoutAndDeliveredAfterRestart) {
  sink_.set_default(SinkAction::hang_up());
  std::string subs = sink_sub("s", http_url(sink_), "\"app.*\"", "timeout = \"30s\"\n");
  std::string cfg = delivery_config(db_path(), subs) + admin_table();
  cfg.replace(cfg.find("[server]\n"), 9, "[server]\ndrain_timeout = \"1s\"\n");
  start_with(cfg);
  post_app("hang-1");
  ASSERT_TRUE(sink_.wait_for_requests(1, 10s));
  // An idle keep-alive connection does not hold the drain up either.
  HttpClient idle(daemon_.port());
  ASSERT_TRUE(idle.request("GET", "/healthz", "", {}));
  auto started = std::chrono::steady_clock::now();
  auto code = daemon_.stop(SIGTERM, 15s);
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(code) << "did not exit";
  EXPECT_EQ(*code, 0) << daemon_.log();
  EXPECT_GE(took, 900ms);  // the attempt was given its drain_timeout
  EXPECT_LT(took, 6s) << "drain_timeout 1s, then at most 2s for cancelled tasks";
  EXPECT_NE(daemon_.log().find("daemon.drain_expired"), std::string::npos) << daemon_.log();

  // The cancelled attempt's delivery is still pending: a healthy sink gets it.
  sink_.set_default(SinkAction::reply(204));
  admin_client_.reset();
  ingest_client_.reset();
  ASSERT_TRUE(daemon_.start(dir_.file("hookd.toml"), dir_.file("hookd.log"))) << daemon_.error();
  ASSERT_TRUE(sink_.wait_for_requests(2, 20s)) << sink_.request_count();
}

TEST_F(DrainTest, IdleDaemonStopsAtOnce) {
  std::string cfg = delivery_config(db_path(), sink_sub("s", http_url(sink_), "\"app.*\"")) +
                    admin_table();
  start_with(cfg);
  HttpClient idle(daemon_.port());
  ASSERT_TRUE(idle.request("GET", "/healthz", "", {}));
  auto started = std::chrono::steady_clock::now();
  auto code = daemon_.stop(SIGTERM, 15s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_EQ(daemon_.log().find("daemon.drain_expired"), std::string::npos) << daemon_.log();
}

}  // namespace
}  // namespace hookd::test
