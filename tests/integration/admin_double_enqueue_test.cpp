// Concurrent admin retries and redeliveries of one delivery, or a retry of a
// delivery already queued or in flight, never POST it twice: the scheduler
// keeps at most one in-memory item per delivery id, and a transition being
// written makes a concurrent one a no-op.
#include "tests/integration/admin_fixture.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOneAttempt = "retry = { attempts = 1, base = \"50ms\", cap = \"50ms\" }\n";

class DoubleEnqueueTest : public AdminTest {
 protected:
  // Sends every request at once, each on its own connection; the statuses.
  std::vector<int> concurrently(const std::vector<std::string>& targets) {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t connected = 0;
    std::vector<int> statuses(targets.size(), 0);
    std::vector<std::thread> callers;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      callers.emplace_back([&, i] {
        HttpClient c(daemon_.admin_port());
        {
          std::unique_lock lock(mu);
          ++connected;
          cv.notify_all();
          cv.wait_for(lock, 5s, [&] { return connected == targets.size(); });
        }
        auto r = c.request("POST", targets[i], "",
                           {{"Authorization", std::string("Bearer ") + kAdminToken}});
        statuses[i] = r ? r->status : 0;
      });
    }
    for (auto& t : callers) t.join();
    return statuses;
  }
};

TEST_F(DoubleEnqueueTest, ConcurrentRetriesAndRedeliveriesOfADeadDeliveryPostItOnce) {
  SinkServer sink;
  sink.push(SinkAction::reply(500));
  SinkAction slow = SinkAction::reply(204);
  slow.delay = 300ms;  // the revived attempt is still in flight when the next calls land
  sink.set_default(slow);
  start_admin(sink_sub("s", http_url(sink), "\"app.*\"", kOneAttempt));
  std::string id = post_app("d1") + ".0";
  ASSERT_TRUE(eventually([&] { return delivery_state(id) == "dead"; })) << daemon_.log();

  const std::string retry = "/v1/deliveries/" + id + "/retry";
  const std::string redeliver = "/v1/dead/redeliver?subscription=s";
  auto statuses = concurrently({retry, retry, retry, redeliver, redeliver, retry});
  for (int s : statuses) EXPECT_EQ(s, 200);
  ASSERT_TRUE(sink.wait_for_requests(2, 10s));

  // Queued or in flight now: more retries are no-ops.
  statuses = concurrently({retry, retry, redeliver});
  for (int s : statuses) EXPECT_EQ(s, 200);

  ASSERT_TRUE(eventually([&] { return delivery_state(id) == "delivered"; })) << daemon_.log();
  EXPECT_EQ(sink.request_count(), 2u) << "the failed attempt, then one retry";
  EXPECT_EQ(get("/v1/deliveries/" + id).at("attempts").as_array().size(), 2u);
  auto again = admin("POST", retry);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
}

TEST_F(DoubleEnqueueTest, RetryOfAPendingDeliveryWaitingForItsRetryPostsItOnce) {
  SinkServer sink;
  sink.push(SinkAction::reply(503, {{"Retry-After", "3600"}}));  // the retry waits an hour
  SinkAction slow = SinkAction::reply(204);
  slow.delay = 300ms;  // every retry call lands while the retried attempt is in flight
  sink.set_default(slow);
  start_admin(sink_sub("s", http_url(sink), "\"app.*\"",
                       "retry = { attempts = 5, base = \"50ms\", cap = \"1h\" }\n"));
  std::string id = post_app("w1") + ".0";
  ASSERT_TRUE(eventually([&] { return get("/v1/deliveries/" + id).at("attempts").as_array().size() == 1; }));
  ASSERT_EQ(delivery_state(id), "pending");

  const std::string retry = "/v1/deliveries/" + id + "/retry";
  auto statuses = concurrently({retry, retry, retry, retry});
  for (int s : statuses) EXPECT_EQ(s, 200);
  ASSERT_TRUE(eventually([&] { return delivery_state(id) == "delivered"; })) << daemon_.log();
  EXPECT_EQ(sink.request_count(), 2u);
  EXPECT_EQ(get("/v1/deliveries/" + id).at("attempts").as_array().size(), 2u);
}

}  // namespace
}  // namespace hookd::test
