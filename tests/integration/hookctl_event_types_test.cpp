// hookctl event-types against a fake admin API: the request it sends, the
// table (sender-chosen types cleaned for the terminal), the dropped line,
// --json, and bad usage.
#include "tests/integration/hookctl_fixture.hpp"

namespace hookd::test {
namespace {

constexpr const char* kEventTypesJson = R"({"event_types":[
  {"source":"catalog","type":"dataset.create","count":3,
   "first_seen":"2026-11-26T08:00:00.000Z","last_seen":"2026-11-26T09:30:00.250Z"},
  {"source":"minio","type":"s3:ObjectCreated:Put\u001b[2J","count":12345,
   "first_seen":"2026-11-25T00:00:00.000Z","last_seen":"2026-11-26T10:00:00.000Z"}],
  "dropped":0})";

TEST_F(HookctlTest, EventTypesPrintsATableOfCountsAndTimes) {
  sink_.set_default(json_reply(200, kEventTypesJson));
  auto r = hookctl({"event-types"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(only_request().target, "/v1/event-types");
  EXPECT_EQ(r.output,
            "SOURCE   TYPE                      COUNT  FIRST SEEN                "
            "LAST SEEN\n"
            "catalog  dataset.create                3  2026-11-26T08:00:00.000Z  "
            "2026-11-26T09:30:00.250Z\n"
            "minio    s3:ObjectCreated:Put [2J  12345  2026-11-25T00:00:00.000Z  "
            "2026-11-26T10:00:00.000Z\n");
}

TEST_F(HookctlTest, EventTypesEncodesTheSourceAndSaysWhatWasDropped) {
  sink_.set_default(json_reply(200, R"({"event_types":[],"dropped":7})"));
  auto r = hookctl({"event-types", "--source", "a b/c"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(only_request().target, "/v1/event-types?source=a%20b%2Fc");
  EXPECT_EQ(r.output,
            "no event types\n"
            "7 events since start not catalogued: the catalog was full ([storage] "
            "max_event_types)\n");
}

TEST_F(HookctlTest, EventTypesJsonIsTheAnswerUnchanged) {
  sink_.set_default(json_reply(200, kEventTypesJson));
  auto r = hookctl({"event-types", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, std::string(kEventTypesJson) + "\n");
}

TEST_F(HookctlTest, EventTypesOffIsAFailureWithTheApiMessage) {
  sink_.set_default(json_reply(
      404, R"j({"error":"the event-type catalog is off ([storage] event_types = false)"})j"));
  auto r = hookctl({"event-types"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output,
            "hookctl: the event-type catalog is off ([storage] event_types = false) (404)\n");
}

TEST_F(HookctlTest, EventTypesBadUsageExits64) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"event-types", "--type", "x"}, {"event-types", "extra"}, {"event-types", "--source"}}) {
    auto r = hookctl(args);
    EXPECT_EQ(r.exit_code, 64) << r.output;
    EXPECT_TRUE(contains(r.output, "usage: hookctl")) << r.output;
  }
  EXPECT_EQ(sink_.request_count(), 0u);
}

}  // namespace
}  // namespace hookd::test
