// A storage that fails mid-run: requests get 503 with Retry-After, nothing
// acknowledged before is lost, and a restart without the fault works.
#include "tests/integration/daemon_fixture.hpp"

#include <boost/json/parse.hpp>

namespace hookd::test {
namespace {

namespace json = boost::json;

TEST_F(DaemonTest, WriteFailureAnswers503AndLosesNothingAcknowledged) {
  // The limit applies to every file the daemon writes; its WAL reaches it first.
  daemon_.set_file_size_limit(2 * 1024 * 1024);
  start();
  HttpClient c(daemon_.port());
  std::vector<std::string> acked;
  int unavailable = 0;
  std::string retry_after;
  for (int i = 0; i < 4000 && unavailable < 3; ++i) {
    std::string body = R"({"id":"f)" + std::to_string(i) + R"(","pad":")" +
                       std::string(1024, 'y') + "\"}";
    auto r = c.post("/event/app", body, {{"X-Event-Type", "fill"}});
    ASSERT_TRUE(r) << c.error();
    if (r->status == 200) {
      acked.push_back(body);
    } else {
      ASSERT_EQ(r->status, 503) << r->body;
      retry_after = r->headers["retry-after"];
      ++unavailable;
    }
  }
  ASSERT_GT(unavailable, 0) << "the file size limit never made a write fail";
  EXPECT_FALSE(retry_after.empty());
  ASSERT_FALSE(acked.empty());
  daemon_.kill9();

  daemon_.set_file_size_limit(0);
  start();
  HttpClient c2(daemon_.port());
  for (const auto& body : acked) {
    auto r = c2.post("/event/app", body, {{"X-Event-Type", "fill"}});
    ASSERT_TRUE(r) << c2.error();
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body).as_object().at("duplicates").as_int64(), 1);
  }
}

}  // namespace
}  // namespace hookd::test
