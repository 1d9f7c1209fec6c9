// GET /metrics after a known workload: the counts are right and the page is
// valid Prometheus text exposition (promtool check metrics, when installed).
#include "tests/integration/admin_fixture.hpp"

#include <filesystem>
#include <map>
#include <sstream>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

// Sample lines "name{labels} value" by series (name and labels as written).
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.rfind(' ');
    out[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return out;
}

class AdminMetricsTest : public AdminTest {
 protected:
  void start_default() {
    start_admin(sink_sub("s", http_url(sink_), "\"app.*\"", kQuickRetry) +
                sink_sub("gone", http_url(failing_), "\"app.failed\"", kQuickRetry));
    failing_.set_default(SinkAction::reply(500));
  }
  std::string metrics() {
    auto r = admin("GET", "/metrics", "", "");
    if (!r || r->status != 200) {
      ADD_FAILURE() << "GET /metrics failed";
      return {};
    }
    return r->body;
  }
  SinkServer sink_, failing_;
};

TEST_F(AdminMetricsTest, CountsMatchAKnownWorkload) {
  start_default();
  for (int i = 0; i < 5; ++i) post_app("m" + std::to_string(i));
  post_app("m0");                 // duplicate
  post_app("f0", "app.failed");   // to s and to the failing sink
  post_app("u0", "other.thing");  // unrouted
  HttpClient c(daemon_.port());
  auto bad = c.post("/event/minio", test_data("minio/01-put-small.json"),
                    {{"Authorization", "Bearer wrong"}});
  ASSERT_TRUE(bad);
  ASSERT_EQ(bad->status, 401);
  auto bad_json = c.post("/event/app", "{not json");
  ASSERT_TRUE(bad_json);
  ASSERT_EQ(bad_json->status, 400);
  ASSERT_TRUE(sink_.wait_for_requests(6, 10s));
  ASSERT_TRUE(eventually([&] { return subscription("gone").at("dead").as_int64() == 1; }));
  ASSERT_TRUE(eventually([&] { return subscription("s").at("delivered").as_int64() == 6; }));

  std::string text = metrics();
  auto m = samples(text);
  EXPECT_EQ(m[R"(hookd_events_received_total{source="app",result="routed"})"], "6");
  EXPECT_EQ(m[R"(hookd_events_received_total{source="app",result="duplicate"})"], "1");
  EXPECT_EQ(m[R"(hookd_events_received_total{source="app",result="unrouted"})"], "1");
  EXPECT_EQ(m[R"(hookd_ingest_requests_total{source="app",result="ok"})"], "8");
  EXPECT_EQ(m[R"(hookd_ingest_requests_total{source="app",result="rejected"})"], "1");
  EXPECT_EQ(m[R"(hookd_ingest_requests_total{source="app",result="unavailable"})"], "0");
  EXPECT_EQ(m[R"(hookd_ingest_requests_total{source="minio",result="rejected"})"], "1");
  EXPECT_EQ(m[R"(hookd_events_received_total{source="catalog",result="routed"})"], "0")
      << "configured sources have series before their first event";
  EXPECT_EQ(m[R"(hookd_deliveries_total{subscription="s",outcome="delivered"})"], "6");
  EXPECT_EQ(m[R"(hookd_deliveries_total{subscription="s",outcome="dead"})"], "0");
  EXPECT_EQ(m[R"(hookd_deliveries_total{subscription="gone",outcome="failed"})"], "2");
  EXPECT_EQ(m[R"(hookd_deliveries_total{subscription="gone",outcome="dead"})"], "1");
  EXPECT_EQ(m[R"(hookd_deliveries_dead{subscription="gone"})"], "1");
  EXPECT_EQ(m[R"(hookd_deliveries_pending{subscription="s"})"], "0");
  EXPECT_EQ(m[R"(hookd_deliveries_in_flight{subscription="s"})"], "0");
  EXPECT_EQ(m[R"(hookd_delivery_duration_seconds_count{subscription="s"})"], "6");
  EXPECT_EQ(m[R"(hookd_delivery_duration_seconds_bucket{subscription="s",le="+Inf"})"], "6");
  EXPECT_EQ(m[R"(hookd_delivery_duration_seconds_count{subscription="gone"})"], "2");
  EXPECT_EQ(m[R"(hookd_pool_connections_opened_total)"].empty(), false);
  EXPECT_GE(std::stoll(m["hookd_pool_connections_opened_total"]), 1);
  EXPECT_GE(std::stoll(m["hookd_pool_origins"]), 1);  // the sink's, connected
  EXPECT_GE(std::stoll(m["hookd_storage_bytes"]), 1);
  EXPECT_EQ(m["hookd_storage_write_queue"], "0");
  EXPECT_NE(text.find("hookd_pool_connections{origin=\"http://127.0.0.1:" +
                      std::to_string(sink_.port()) + "\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hookd_build_info{version=\""), std::string::npos);
  EXPECT_NE(text.find("boost=\"1.81.0\""), std::string::npos);

  // Buckets are cumulative and never decrease.
  std::uint64_t prev = 0;
  for (const char* le :
       {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"}) {
    auto key =
        std::string(R"(hookd_delivery_duration_seconds_bucket{subscription="s",le=")") + le + "\"}";
    ASSERT_TRUE(m.count(key)) << key;
    auto n = std::stoull(m[key]);
    EXPECT_GE(n, prev) << key;
    prev = n;
  }
  // Every family has HELP and TYPE.
  for (const char* family :
       {"hookd_build_info", "hookd_events_received_total", "hookd_ingest_requests_total",
       "hookd_connections_total", "hookd_deliveries_total",
        "hookd_delivery_duration_seconds", "hookd_deliveries_pending", "hookd_deliveries_in_flight",
        "hookd_deliveries_dead", "hookd_pool_connections", "hookd_pool_connections_opened_total",
        "hookd_pool_origins", "hookd_storage_bytes", "hookd_storage_write_queue"}) {
    EXPECT_NE(text.find(std::string("# HELP ") + family + " "), std::string::npos) << family;
    EXPECT_NE(text.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
  }
}

TEST_F(AdminMetricsTest, PassesPromtoolCheckMetrics) {
  if (!std::filesystem::exists("/usr/bin/promtool"))
    GTEST_SKIP() << "/usr/bin/promtool missing: apt-get install --no-install-recommends "
                    "prometheus to check the exposition format";
  start_default();
  post_app("c1");
  ASSERT_TRUE(sink_.wait_for_requests(1, 10s));
  write_file(dir_.file("metrics.txt"), metrics());
  auto r = run_command(
      {"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + dir_.file("metrics.txt")});
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n" << read_file(dir_.file("metrics.txt"));
  EXPECT_EQ(r.output, "") << "promtool lint findings";
}

}  // namespace
}  // namespace hookd::test
