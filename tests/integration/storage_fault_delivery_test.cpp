// Storage that fails after a POST reached the subscriber: the verdict is kept
// and only its write is retried, the delivery is never POSTed again for a
// local fault, /readyz says not ready meanwhile, and once writes work again
// the outcome is recorded and dispatch resumes.
//
// Storage is broken from outside through the daemon's test-only hook
// HOOKD_TEST_FAIL_WRITES_FILE (StoreOptions::fail_writes_file_for_test):
// while the named file exists every write fails. Unlike RLIMIT_FSIZE it can
// be undone, so recovery is tested too.
#include "tests/integration/admin_fixture.hpp"

#include <filesystem>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

// The sink answers after this, so that storage can be broken between the
// request reaching it and the daemon receiving the answer.
constexpr auto kAnswerDelay = 300ms;
// until_durable's retries seen before the test asserts "not POSTed again":
// 50 + 100 + 200 + 400 ms of backoff at least, several write-retry periods.
constexpr std::size_t kRetriesToSee = 4;

class StorageFaultTest : public AdminTest {
 protected:
  void start_faulty(const std::string& subscriptions) {
    admin_client_.reset();  // a restart has new ports
    ingest_client_.reset();
    start_with(delivery_config(db_path(), subscriptions) + admin_table(),
               {"HOOKD_TEST_FAIL_WRITES_FILE=" + fail_file()});
    ASSERT_NE(daemon_.admin_port(), 0) << daemon_.log();
  }
  std::string fail_file() const { return dir_.file("fail-writes"); }
  void break_storage() { write_file(fail_file(), ""); }
  void repair_storage() { std::filesystem::remove(fail_file()); }

  int readyz_status() {
    auto r = admin("GET", "/readyz", "", "");
    return r ? r->status : 0;
  }
  std::size_t log_count(const std::string& event) const {
    std::string log = daemon_.log();
    std::size_t n = 0;
    for (auto at = log.find(event); at != std::string::npos; at = log.find(event, at + 1)) ++n;
    return n;
  }
  static SinkAction delayed(int status) {
    SinkAction a = SinkAction::reply(status);
    a.delay = kAnswerDelay;
    return a;
  }
};

TEST_F(StorageFaultTest, OutcomeWriteFailureAfterA2xxRetriesTheWriteNotThePost) {
  SinkServer sink;
  sink.push(delayed(204));
  start_faulty(sink_sub("s", http_url(sink), "\"app.*\"", kQuickRetry));
  std::string delivery = post_app("f1") + ".0";
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  break_storage();  // before the 204 arrives (kAnswerDelay)

  ASSERT_TRUE(eventually([&] { return readyz_status() == 503; }))
      << "readyz stays ready while writes fail:\n" << daemon_.log();
  ASSERT_TRUE(eventually([&] { return log_count("delivery.record_retry_failed") >= kRetriesToSee; }))
      << daemon_.log();
  EXPECT_EQ(sink.request_count(), 1u) << "a local write failure re-POSTed the delivery";
  EXPECT_EQ(readyz_status(), 503);
  EXPECT_EQ(delivery_state(delivery), "pending") << "nothing could be recorded yet";

  repair_storage();
  ASSERT_TRUE(eventually([&] { return delivery_state(delivery) == "delivered"; })) << daemon_.log();
  EXPECT_TRUE(eventually([&] { return readyz_status() == 200; }));
  auto attempts = get("/v1/deliveries/" + delivery).at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].at("status").as_int64(), 204);
  EXPECT_EQ(sink.request_count(), 1u);

  // Dispatch resumed: a new event is delivered.
  post_app("f2");
  ASSERT_TRUE(sink.wait_for_requests(2, 10s));
  EXPECT_EQ(sink.requests().at(1).header("webhook-id").rfind(delivery, 0), std::string::npos)
      << "the second request is the new event, not the first again";
}

TEST_F(StorageFaultTest, NoAttemptStartsWhileAnOutcomeCannotBeWritten) {
  SinkServer sink, other;
  sink.push(delayed(204));
  other.push(SinkAction::reply(503, {{"Retry-After", "1"}}));
  start_faulty(sink_sub("s", http_url(sink), "\"app.*\"", kQuickRetry) +
               sink_sub("o", http_url(other), "\"other.*\"",
                        "retry = { attempts = 5, base = \"50ms\", cap = \"2s\" }\n"));
  // o1 fails once while storage works; its retry is due 1 s later, by then
  // storage is broken and p1's outcome is held.
  std::string o1 = post_app("o1", "other.created") + ".0";
  ASSERT_TRUE(other.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return get("/v1/deliveries/" + o1).at("attempts").as_array().size() == 1; }));
  post_app("p1");
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  break_storage();
  // The fifth retry comes at least 1.5 s after the first failure: o1 was due.
  ASSERT_TRUE(eventually([&] { return log_count("delivery.record_retry_failed") >= kRetriesToSee + 1; }))
      << daemon_.log();
  EXPECT_EQ(other.request_count(), 1u) << "an attempt started while writes were failing";
  repair_storage();
  ASSERT_TRUE(other.wait_for_requests(2, 10s)) << "dispatch did not resume:\n" << daemon_.log();
  ASSERT_TRUE(eventually([&] { return delivery_state(o1) == "delivered"; })) << daemon_.log();
  EXPECT_EQ(sink.request_count(), 1u);
}

TEST_F(StorageFaultTest, GonePauseIsDurableBeforeItTakesEffect) {
  SinkServer sink;
  sink.push(delayed(410));
  start_faulty(sink_sub("s", http_url(sink), "\"app.*\"", kQuickRetry));
  std::string delivery = post_app("g1") + ".0";
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  break_storage();
  ASSERT_TRUE(eventually([&] { return readyz_status() == 503; })) << daemon_.log();
  ASSERT_TRUE(eventually([&] { return log_count("delivery.record_retry_failed") >= kRetriesToSee; }))
      << daemon_.log();
  EXPECT_EQ(subscription("s").at("state").as_string(), "enabled") << "paused before it was durable";
  EXPECT_EQ(sink.request_count(), 1u);

  repair_storage();
  ASSERT_TRUE(eventually([&] { return subscription("s").at("state").as_string() == "paused"; }))
      << daemon_.log();
  ASSERT_TRUE(eventually([&] { return get("/v1/deliveries/" + delivery).at("attempts").as_array().size() == 1; }));
  EXPECT_EQ(delivery_state(delivery), "pending") << "waits for a resume";
  EXPECT_EQ(sink.request_count(), 1u);

  ASSERT_EQ(daemon_.stop(SIGTERM), 0);
  start_faulty(sink_sub("s", http_url(sink), "\"app.*\"", kQuickRetry));
  EXPECT_EQ(subscription("s").at("state").as_string(), "paused") << "the pause was not durable";
  EXPECT_EQ(sink.request_count(), 1u);
}

TEST_F(StorageFaultTest, StopWhileAnOutcomeCannotBeWrittenIsBoundedAndStaysPending) {
  SinkServer sink;
  sink.push(delayed(204));
  const std::string subs = sink_sub("s", http_url(sink), "\"app.*\"", kQuickRetry);
  start_faulty(subs);
  std::string delivery = post_app("s1") + ".0";
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  break_storage();
  ASSERT_TRUE(eventually([&] { return log_count("delivery.record_retry_failed") >= 1; }))
      << daemon_.log();
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(daemon_.stop(SIGTERM, 15s), 0) << daemon_.log();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "shutdown waited for the write";
  EXPECT_EQ(log_count("delivery.record_abandoned"), 1u);

  // At-least-once: the unrecorded delivery is pending and is sent again.
  repair_storage();
  start_faulty(subs);
  ASSERT_TRUE(sink.wait_for_requests(2, 10s));
  EXPECT_EQ(sink.requests().at(1).header("webhook-id"), delivery);
  ASSERT_TRUE(eventually([&] { return delivery_state(delivery) == "delivered"; }));
}

}  // namespace
}  // namespace hookd::test
