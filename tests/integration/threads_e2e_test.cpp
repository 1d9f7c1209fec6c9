// End to end with several io threads (server.threads): concurrent clients on
// many connections post overlapping events while deliveries go out to two
// sinks; every event is stored once, every delivery arrives once, and the
// io threads exist and share the connections.
#include "tests/integration/delivery_fixture.hpp"

#include <boost/json/parse.hpp>

#include <dirent.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

namespace hookd::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Calls fn(task directory, tid) for each of the daemon's threads (/proc/PID/task/*).
template <class Fn>
void for_each_thread(pid_t pid, Fn fn) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') fn(dir + "/" + e->d_name, static_cast<pid_t>(std::stol(e->d_name)));
  }
  closedir(d);
}

// Names of the daemon's threads (/proc/PID/task/*/comm).
std::multiset<std::string> thread_names(pid_t pid) {
  std::multiset<std::string> out;
  for_each_thread(pid, [&](const std::string& task, pid_t) {
    std::ifstream comm(task + "/comm");
    std::string name;
    std::getline(comm, name);
    out.insert(name);
  });
  return out;
}

// Scheduling policy of each of the daemon's threads, by thread id.
std::map<pid_t, int> thread_policies(pid_t pid) {
  std::map<pid_t, int> out;
  for_each_thread(pid, [&](const std::string&, pid_t tid) { out[tid] = sched_getscheduler(tid); });
  return out;
}

class ThreadsTest : public DaemonTest {
 protected:
  std::string config(int threads, const SinkServer& a, const SinkServer& b,
                     const std::string& server_extra = "") {
    return "[server]\nlisten = [\"127.0.0.1:0\"]\nthreads = " + std::to_string(threads) +
           "\n" + server_extra + "[storage]\npath = \"" + db_path() + "\"\n" + sources_toml() +
           sink_sub("a", http_url(a), "\"app.*\"") + sink_sub("b", http_url(b), "\"app.*\"");
  }
};

TEST_F(ThreadsTest, ConcurrentIngestOnManyConnectionsStoresAndDeliversEachEventOnce) {
  SinkServer a, b;
  start_with(config(4, a, b));
  EXPECT_NE(daemon_.log().find("io_threads=4"), std::string::npos) << daemon_.log();
  auto names = thread_names(daemon_.pid());
  EXPECT_EQ(names.count("hookd-io1"), 1u);
  EXPECT_EQ(names.count("hookd-io2"), 1u);
  EXPECT_EQ(names.count("hookd-io3"), 1u);

  // Every client posts the same 150 ids in its own order, on its own
  // connection: the connections are dealt across the io threads, and each
  // id races on several of them at once.
  constexpr int kClients = 8;
  constexpr int kEvents = 150;
  std::atomic<int> accepted{0}, duplicates{0}, failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::vector<int> order(kEvents);
      for (int i = 0; i < kEvents; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), std::mt19937(c));
      HttpClient client(daemon_.port());
      for (int i : order) {
        auto r = client.post("/event/app", R"({"id":"e)" + std::to_string(i) + R"("})",
                             {{"X-Event-Type", "app.created"}});
        if (!r || r->status != 200) {
          ++failures;
          continue;
        }
        auto body = json::parse(r->body).as_object();
        accepted += static_cast<int>(body.at("accepted").as_int64());
        duplicates += static_cast<int>(body.at("duplicates").as_int64());
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(accepted.load(), kEvents) << "each id stored by exactly one request";
  EXPECT_EQ(duplicates.load(), kClients * kEvents - kEvents);

  ASSERT_TRUE(a.wait_for_requests(kEvents, 20s)) << a.request_count();
  ASSERT_TRUE(b.wait_for_requests(kEvents, 20s)) << b.request_count();
  for (SinkServer* sink : {&a, &b}) {
    std::set<std::string> ids, bodies;
    for (const auto& r : sink->requests()) {
      ids.insert(r.header("webhook-id"));
      bodies.insert(r.body);
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kEvents)) << "one delivery per event";
    EXPECT_EQ(bodies.size(), static_cast<std::size_t>(kEvents));
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(a.request_count(), static_cast<std::size_t>(kEvents)) << "none delivered twice";
  EXPECT_EQ(b.request_count(), static_cast<std::size_t>(kEvents));

  // SIGTERM drains the io threads and stops cleanly.
  auto code = daemon_.stop(SIGTERM, 15s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << daemon_.log();
  auto store = open_store(db_path());
  auto delivered = store->list_deliveries("", DeliveryState::delivered, "", 1000);
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->size(), 2u * kEvents);
}

TEST_F(ThreadsTest, OneThreadRunsEverythingOnTheMainLoop) {
  SinkServer a, b;
  start_with(config(1, a, b));
  EXPECT_NE(daemon_.log().find("io_threads=1"), std::string::npos);
  EXPECT_EQ(thread_names(daemon_.pid()).count("hookd-io1"), 0u);
  HttpClient client(daemon_.port());
  auto r = client.post("/event/app", R"({"id":"one"})", {{"X-Event-Type", "app.created"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(a.wait_for_requests(1, 10s));
  EXPECT_TRUE(b.wait_for_requests(1, 10s));
}

// server.sched_batch (default on): every thread of the daemon, the io
// threads, the storage writer and RocksDB's own, runs under SCHED_BATCH,
// since the policy is set before any of them starts. Read after an event has
// gone in and out, so that the threads started on demand exist too.
TEST_F(ThreadsTest, EveryThreadRunsUnderBatchSchedulingByDefault) {
  // Only the default policy is replaced (the test below): started under
  // another, the daemon keeps that one.
  if (sched_getscheduler(0) != SCHED_OTHER) GTEST_SKIP() << "this test runs under another policy";
  SinkServer a, b;
  start_with(config(3, a, b));
  HttpClient client(daemon_.port());
  auto r = client.post("/event/app", R"({"id":"batch"})", {{"X-Event-Type", "app.created"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(a.wait_for_requests(1, 10s));
  auto policies = thread_policies(daemon_.pid());
  EXPECT_GE(policies.size(), 4u) << "main, two io threads, the storage writer, RocksDB's";
  for (const auto& [tid, policy] : policies) EXPECT_EQ(policy, SCHED_BATCH) << "thread " << tid;
  EXPECT_EQ(daemon_.log().find("sched_batch_refused"), std::string::npos) << daemon_.log();
}

TEST_F(ThreadsTest, SchedBatchOffLeavesTheInheritedPolicy) {
  SinkServer a, b;
  start_with(config(2, a, b, "sched_batch = false\n"));
  HttpClient client(daemon_.port());
  auto r = client.post("/event/app", R"({"id":"other"})", {{"X-Event-Type", "app.created"}});
  ASSERT_TRUE(r);
  ASSERT_TRUE(a.wait_for_requests(1, 10s));
  const int inherited = sched_getscheduler(0);
  auto policies = thread_policies(daemon_.pid());
  EXPECT_GE(policies.size(), 3u);
  for (const auto& [tid, policy] : policies) EXPECT_EQ(policy, inherited) << "thread " << tid;
}

// Only the default policy is changed: a daemon started under another one
// (here SCHED_IDLE, which any user may choose) keeps it on every thread.
TEST_F(ThreadsTest, ADaemonStartedUnderAnotherPolicyKeepsIt) {
  SinkServer a, b;
  bool idle = false;
  // The policy is the starting thread's own, inherited by the daemon: set
  // on a thread of its own, so that this one's stays as it was.
  std::thread starter([&] {
    sched_param param{};
    idle = sched_setscheduler(0, SCHED_IDLE, &param) == 0;
    if (idle) start_with(config(2, a, b));
  });
  starter.join();
  if (!idle) GTEST_SKIP() << "SCHED_IDLE refused here";
  ASSERT_TRUE(daemon_.running()) << daemon_.log();
  HttpClient client(daemon_.port());
  auto r = client.post("/event/app", R"({"id":"idle"})", {{"X-Event-Type", "app.created"}});
  ASSERT_TRUE(r);
  ASSERT_TRUE(a.wait_for_requests(1, 10s));
  auto policies = thread_policies(daemon_.pid());
  EXPECT_GE(policies.size(), 3u);
  for (const auto& [tid, policy] : policies) EXPECT_EQ(policy, SCHED_IDLE) << "thread " << tid;
}

}  // namespace
}  // namespace hookd::test
