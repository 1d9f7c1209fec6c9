// The console's files on the admin listener (/ui/, their security headers),
// GET /v1/whoami, and GET /v1/stats/series after a known workload.
#include "daemon/admin/admin_console.hpp"
#include "tests/integration/admin_fixture.hpp"

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kReadToken = "read-test-token-8765";

class AdminConsoleTest : public AdminTest {
 protected:
  void start_default() {
    start_with(delivery_config(db_path(), sink_sub("s", http_url(sink_), "\"app.*\"", kQuickRetry) +
                                              sink_sub("gone", http_url(failing_), "\"app.failed\"",
                                                       kQuickRetry)) +
               admin_table() + "read_token = \"" + kReadToken + "\"\n");
    failing_.set_default(SinkAction::reply(500));
  }
  static std::uint64_t total(const json::value& v) {
    std::uint64_t n = 0;
    for (const auto& x : v.as_array()) n += x.to_number<std::uint64_t>();
    return n;
  }
  static const json::object& named(const json::value& list, const char* key,
                                   std::string_view name) {
    for (const auto& o : list.as_array())
      if (o.at(key).as_string() == name) return o.as_object();
    throw std::runtime_error("no " + std::string(name));
  }
  SinkServer sink_, failing_;
};

TEST_F(AdminConsoleTest, ServesTheFilesWithoutATokenAndWithTheirSecurityHeaders) {
  start_default();
  for (const auto& [target, type] : {std::pair{"/ui/", "text/html"},
                                     {"/ui/app.js", "text/javascript"},
                                     {"/ui/app.css", "text/css"}}) {
    auto r = admin("GET", target, "", "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << target;
    EXPECT_TRUE(r->headers["content-type"].starts_with(type)) << target;
    EXPECT_EQ(r->headers["content-security-policy"], daemon::kConsoleCsp) << target;
    EXPECT_EQ(r->headers["x-content-type-options"], "nosniff");
    EXPECT_EQ(r->headers["referrer-policy"], "no-referrer");
    EXPECT_EQ(r->headers["cache-control"], "no-cache");
    EXPECT_FALSE(r->body.empty());
  }
  auto index = admin("GET", "/ui/", "", "");
  EXPECT_NE(index->body.find("/ui/app.js"), std::string::npos);
  EXPECT_EQ(index->body.find("<script>"), std::string::npos);  // no inline script
  auto redirect = admin("GET", "/ui", "", "");
  EXPECT_EQ(redirect->status, 301);
  EXPECT_EQ(redirect->headers["location"], "/ui/");
  auto missing = admin("GET", "/ui/secrets.txt", "", "");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->headers["content-security-policy"], daemon::kConsoleCsp);
  EXPECT_EQ(admin("POST", "/ui/", "", "")->status, 405);
  EXPECT_EQ(admin("HEAD", "/ui/app.js", "", "")->status, 200);
}

TEST_F(AdminConsoleTest, WhoamiTellsWhichTokenWasGiven) {
  start_default();
  EXPECT_EQ(get("/v1/whoami").at("access").as_string(), "full");
  auto r = admin("GET", "/v1/whoami", "", kReadToken);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body).at("access").as_string(), "read");
  EXPECT_EQ(admin("GET", "/v1/whoami", "", "")->status, 401);
  EXPECT_EQ(admin("POST", "/v1/whoami", "", kAdminToken)->status, 405);
}

TEST_F(AdminConsoleTest, SeriesCountsEventsAndAttemptsPerMinute) {
  start_default();
  for (int i = 0; i < 3; ++i) post_app("e" + std::to_string(i));
  post_app("e0");                 // duplicate
  post_app("f0", "app.failed");   // to s, and to gone: 2 failed attempts, then dead
  post_app("u0", "other.thing");  // unrouted
  HttpClient bad(daemon_.port());
  auto refused = bad.post("/event/app", "{not json", {{"X-Event-Type", "app.created"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  ASSERT_TRUE(sink_.wait_for_requests(4, 10s));
  ASSERT_TRUE(eventually([&] { return subscription("gone").at("dead").as_int64() == 1; }));
  auto v = get("/v1/stats/series");
  EXPECT_EQ(v.at("step_seconds").as_int64(), 60);
  EXPECT_EQ(v.at("minutes").as_int64(), 60);
  const auto& app = named(v.at("sources"), "source", "app");
  EXPECT_EQ(app.at("routed").as_array().size(), 60u);
  EXPECT_EQ(total(app.at("routed")), 4u);
  EXPECT_EQ(total(app.at("unrouted")), 1u);
  EXPECT_EQ(total(app.at("duplicate")), 1u);
  EXPECT_EQ(total(app.at("rejected")), 1u);
  EXPECT_EQ(total(app.at("unavailable")), 0u);
  const auto& s = named(v.at("subscriptions"), "subscription", "s");
  EXPECT_EQ(total(s.at("delivered")), 4u);
  EXPECT_EQ(total(s.at("failed")), 0u);
  const auto& gone = named(v.at("subscriptions"), "subscription", "gone");
  EXPECT_EQ(total(gone.at("delivered")), 0u);
  EXPECT_EQ(total(gone.at("failed")), 2u);
  EXPECT_EQ(total(gone.at("dead")), 1u);
  std::size_t with_latency = 0;
  for (const auto& p50 : s.at("latency_p50_us").as_array()) {
    if (p50.is_null()) continue;
    ++with_latency;
    EXPECT_GT(p50.to_number<std::int64_t>(), 0);
    EXPECT_LE(p50.to_number<std::int64_t>(), 10'000'000);
  }
  EXPECT_GE(with_latency, 1u);
  EXPECT_EQ(admin("GET", "/v1/stats/series?x=1")->status, 400);
}

}  // namespace
}  // namespace hookd::test
