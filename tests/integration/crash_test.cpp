// Crash safety: kill -9 the real daemon while requests are in flight; every
// event it had acknowledged must be a duplicate after the restart.
#include "tests/integration/daemon_fixture.hpp"

#include <boost/json/parse.hpp>

#include <atomic>
#include <thread>

namespace hookd::test {
namespace {

namespace json = boost::json;

struct Sent {
  std::string body;
  bool acked = false;
};

TEST_F(DaemonTest, Kill9WhileInFlightLosesNothingAcknowledged) {
  for (int round = 0; round < 3; ++round) {
    start();
    constexpr int kThreads = 8;
    std::atomic<bool> stop{false};
    std::vector<std::vector<Sent>> sent(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        HttpClient c(daemon_.port());
        for (int i = 0; !stop; ++i) {
          Sent s;
          s.body = R"({"id":"r)" + std::to_string(round) + "-" + std::to_string(t) + "-" +
                   std::to_string(i) + R"(","pad":")" + std::string(512, 'x') + "\"}";
          auto r = c.post("/event/app", s.body, {{"X-Event-Type", "load.test"}});
          s.acked = r && r->status == 200 &&
                    json::parse(r->body).as_object().at("accepted").as_int64() == 1;
          sent[t].push_back(std::move(s));
          if (!r) break;  // the daemon is gone
        }
      });
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + 150 * round));
    daemon_.kill9();
    stop = true;
    for (auto& th : threads) th.join();

    start();  // same database, no repair step
    HttpClient c(daemon_.port());
    std::size_t acked = 0;
    for (const auto& per_thread : sent)
      for (const auto& s : per_thread) {
        auto r = c.post("/event/app", s.body, {{"X-Event-Type", "load.test"}});
        ASSERT_TRUE(r) << c.error();
        ASSERT_EQ(r->status, 200) << r->body;
        auto o = json::parse(r->body).as_object();
        if (s.acked) {
          ++acked;
          EXPECT_EQ(o.at("duplicates").as_int64(), 1) << "acknowledged event lost: " << s.body;
        }
      }
    EXPECT_GT(acked, 0u) << "round " << round << " acknowledged nothing before the kill";
    daemon_.kill9();
  }
}

}  // namespace
}  // namespace hookd::test
