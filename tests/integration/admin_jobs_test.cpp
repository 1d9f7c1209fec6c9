// Admin scans off the io thread, and replays as background jobs
// (docs/admin-api.md, Jobs): the real daemon with tens of thousands of
// stored events, a replay over all of them, a filtered listing and ingest at
// once; the job API's progress, bounds and 404; hookctl following a job.
#include "tests/integration/admin_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

class AdminJobsTest : public AdminTest {
 protected:
  // "s" takes the MinIO events (paused, so the test's deliveries stay
  // pending); "none" matches nothing that is stored.
  void start_paused() {
    start_admin(sink_sub("s", http_url(sink_), "\"s3:ObjectCreated:*\"") +
                sink_sub("none", http_url(sink_), "\"nothing.*\""));
    post("/v1/subscriptions/s/pause");
  }

  // Stores `requests` MinIO bodies of 100 records over `connections` connections.
  void store_events(int requests, int connections) {
    std::atomic<int> next{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < connections; ++t)
      threads.emplace_back([&] {
        HttpClient c(daemon_.port());
        for (int r; (r = next++) < requests;) {
          auto res = post_minio(c, minio_records("r" + std::to_string(r), 100));
          if (!res || res->status != 200) ++failed;
        }
      });
    for (auto& t : threads) t.join();
    ASSERT_EQ(failed.load(), 0);
  }

  std::string replay_body() const {
    return R"({"since":")" + format_rfc3339_ms(wall_now_ms() - 3600 * 1000) + R"("})";
  }

  // Polls GET /v1/jobs/ID until the job is no longer running.
  json::object wait_job(const std::string& id, std::chrono::seconds timeout = 120s) {
    json::object job;
    eventually(
        [&] {
          auto r = admin("GET", "/v1/jobs/" + id);
          if (!r) {
            ADD_FAILURE() << "no answer; daemon log:\n" << daemon_.log();
            return true;
          }
          auto v = json::parse(r->body);
          if (!v.is_object() || !v.as_object().contains("job")) return false;
          job = v.at("job").as_object();
          return job.at("status").as_string() != "running";
        },
        timeout);
    EXPECT_FALSE(job.empty()) << "job " << id << " not found; daemon log:\n" << daemon_.log();
    return job;
  }

  SinkServer sink_;
};

TEST_F(AdminJobsTest, IngestIsAnsweredDuringALargeReplayAndAFilteredListing) {
  constexpr int kRequests = 300;  // 30,000 stored events
  start_paused();
  store_events(kRequests, 4);
  const std::int64_t events = kRequests * 100;

  auto started = post("/v1/subscriptions/s/replay", 202, replay_body());
  ASSERT_TRUE(started.at("job").is_string()) << started;
  const std::string job = std::string(started.at("job").as_string());
  EXPECT_EQ(started.at("status").as_string(), "running");
  // A replay that matches nothing: a scan that never writes.
  auto idle = post("/v1/subscriptions/none/replay", 202, replay_body());
  const std::string idle_job = std::string(idle.at("job").as_string());

  // Filtered listings that match nothing scan their whole budget.
  std::atomic<bool> done{false};
  std::atomic<int> listings{0}, listing_failures{0};
  std::thread lister([&] {
    HttpClient c(daemon_.admin_port());
    std::vector<std::pair<std::string, std::string>> auth{
        {"Authorization", std::string("Bearer ") + kAdminToken}};
    while (!done) {
      auto r = c.request("GET", "/v1/events?type=nothing.at.all&limit=1000", "", auth, 30s);
      if (!r || (r->status != 200 && r->status != 503)) ++listing_failures;
      ++listings;
    }
  });

  HttpClient ingest(daemon_.port());
  std::chrono::steady_clock::duration max_latency{};
  int answered = 0, sent = 0;
  auto finished = [&](const std::string& id) {
    auto r = admin("GET", "/v1/jobs/" + id);
    return r && r->status == 200 &&
           json::parse(r->body).at("job").at("status").as_string() != "running";
  };
  const auto deadline = std::chrono::steady_clock::now() + 180s;
  while (std::chrono::steady_clock::now() < deadline &&
         (sent < 20 || !finished(job) || !finished(idle_job))) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = ingest.post("/event/app", R"({"id":"live-)" + std::to_string(sent) + R"("})",
                         {{"X-Event-Type", "app.created"}});
    auto latency = std::chrono::steady_clock::now() - t0;
    ++sent;
    if (r && r->status == 200) ++answered;
    max_latency = std::max(max_latency, latency);
    std::this_thread::sleep_for(10ms);
  }
  done = true;
  lister.join();

  const auto max_ms = std::chrono::duration_cast<std::chrono::milliseconds>(max_latency).count();
  std::cout << "[ingest during replay] requests=" << sent << " max_latency_ms=" << max_ms
            << " listings=" << listings << "\n";
  RecordProperty("max_ingest_latency_ms", std::to_string(max_ms));
  EXPECT_EQ(answered, sent) << "every ingest request is answered";
  EXPECT_GT(listings.load(), 0);
  EXPECT_EQ(listing_failures.load(), 0);

  auto result = wait_job(job);
  EXPECT_EQ(result.at("status").as_string(), "done") << result;
  EXPECT_EQ(result.at("scanned").as_int64(), events);
  EXPECT_EQ(result.at("matched").as_int64(), events);
  EXPECT_EQ(result.at("created").as_int64(), events);
  EXPECT_TRUE(result.at("finished").is_string());
  auto none = wait_job(idle_job);
  EXPECT_EQ(none.at("status").as_string(), "done") << none;
  EXPECT_EQ(none.at("created").as_int64(), 0);

  // The replayed deliveries exist: the oldest and newest stored events have two.
  auto first = get("/v1/events?limit=1").at("events").at(0).at("id").as_string();
  auto deliveries = get("/v1/events/" + std::string(first)).at("deliveries").as_array();
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[1].at("id").as_string(), std::string(first) + ".1");
  EXPECT_EQ(deliveries[1].at("state").as_string(), "pending");
  EXPECT_GE(subscription("s").at("pending").as_int64(), 2 * events);
}

TEST_F(AdminJobsTest, JobShowsProgressAndFinishedJobsAreBounded) {
  start_paused();
  store_events(6, 2);  // 600 events: more than one scan chunk

  auto started = post("/v1/subscriptions/s/replay", 202, replay_body());
  const std::string first = std::string(started.at("job").as_string());
  EXPECT_EQ(started.at("id").as_string(), first);
  EXPECT_EQ(started.at("subscription").as_string(), "s");
  EXPECT_GE(started.at("scanned").as_int64(), 1);
  auto job = wait_job(first);
  EXPECT_EQ(job.at("status").as_string(), "done") << job;
  EXPECT_EQ(job.at("type").as_string(), "replay");
  EXPECT_EQ(job.at("scanned").as_int64(), 600);
  EXPECT_EQ(job.at("matched").as_int64(), 600);
  EXPECT_EQ(job.at("created").as_int64(), 600);
  EXPECT_TRUE(job.at("error").is_null());
  EXPECT_EQ(get("/v1/jobs").at("jobs").at(0).at("id").as_string(), first);

  // Finished jobs beyond the newest eight are forgotten.
  std::string last;
  for (int i = 0; i < 8; ++i) {
    auto v = post("/v1/subscriptions/none/replay", 202, replay_body());
    last = std::string(v.at("job").as_string());
    EXPECT_EQ(wait_job(last).at("status").as_string(), "done");
  }
  auto jobs = get("/v1/jobs").at("jobs").as_array();
  EXPECT_EQ(jobs.size(), 8u);
  EXPECT_EQ(jobs.at(0).at("id").as_string(), last) << "newest first";
  get("/v1/jobs/" + first, 404);
  get("/v1/jobs/" + last, 200);
}

TEST_F(AdminJobsTest, UnknownJobIs404AndJobsAreReadOnly) {
  start_paused();
  EXPECT_TRUE(get("/v1/jobs/12345", 404).at("error").is_string());
  get("/v1/jobs/not-a-job", 404);
  EXPECT_TRUE(get("/v1/jobs").at("jobs").as_array().empty());
  auto r = admin("POST", "/v1/jobs/1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(admin("GET", "/v1/jobs", "", "")->status, 401);
}

TEST_F(AdminJobsTest, HookctlReplayFollowsTheJobUntilDone) {
  start_paused();
  store_events(6, 2);
  std::vector<std::string> argv = {"/usr/bin/env",
                                   "-u",
                                   "CREDENTIALS_DIRECTORY",
                                   std::string("HOOKCTL_TOKEN=") + kAdminToken,
                                   HOOKCTL_BINARY,
                                   "--admin",
                                   "http://127.0.0.1:" + std::to_string(daemon_.admin_port()),
                                   "replay",
                                   "s",
                                   "--since",
                                   "1h"};
  auto r = run_command(argv, 60s);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("replay s: 600 deliveries created"), std::string::npos) << r.output;
  auto jobs = get("/v1/jobs").at("jobs").as_array();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].at("status").as_string(), "done");
}

}  // namespace
}  // namespace hookd::test
