// Start-up with a backlog: after kill -9 with many pending deliveries, the
// daemon answers ingest while it loads them in the background, and every
// delivery, loaded or new, reaches the subscriber exactly once.
#include "tests/integration/admin_fixture.hpp"

#include <set>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

class StartupBacklogTest : public AdminTest {
 protected:
  SinkServer sink_;
};

TEST_F(StartupBacklogTest, IngestDuringLoadAndEveryDeliveryExactlyOnce) {
  constexpr int kRequests = 120, kRecords = 100;  // 12,000 pending deliveries
  start_admin(sink_sub("s", http_url(sink_), "\"s3:ObjectCreated:*\""));
  post("/v1/subscriptions/s/pause");
  HttpClient c(daemon_.port());
  for (int r = 0; r < kRequests; ++r) {
    auto res = post_minio(c, minio_records("r" + std::to_string(r), kRecords));
    ASSERT_TRUE(res) << c.error();
    ASSERT_EQ(res->status, 200) << res->body;
  }
  daemon_.kill9();
  admin_client_.reset();
  c.close();

  ASSERT_TRUE(daemon_.start(dir_.file("hookd.toml"), dir_.file("hookd.log"))) << daemon_.error();
  // Ingest is answered at once, whether or not the load has finished.
  HttpClient c2(daemon_.port());
  auto fresh = post_minio(c2, minio_records("fresh", 1));
  ASSERT_TRUE(fresh) << c2.error();
  ASSERT_EQ(fresh->status, 200) << fresh->body;
  post("/v1/subscriptions/s/resume");

  const std::size_t total = kRequests * kRecords + 1;
  ASSERT_TRUE(sink_.wait_for_requests(total, 60s)) << sink_.request_count() << " of " << total;
  std::this_thread::sleep_for(300ms);  // a second copy of anything would arrive by now
  auto requests = sink_.requests();
  EXPECT_EQ(requests.size(), total);
  std::set<std::string> ids;
  for (const auto& r : requests) ids.insert(r.header("webhook-id"));
  EXPECT_EQ(ids.size(), total) << "a delivery was POSTed twice";
  EXPECT_NE(daemon_.log().find("delivery.loaded"), std::string::npos) << daemon_.log();
}

}  // namespace
}  // namespace hookd::test
