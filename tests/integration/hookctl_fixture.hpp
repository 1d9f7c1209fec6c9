#pragma once
// hookctl against a fake admin API: a SinkServer answering canned JSON in the
// shapes of docs/admin-api.md, and the real hookctl binary as a child process
// (run through env(1) so that the test runner's HOOKCTL_TOKEN and
// CREDENTIALS_DIRECTORY never leak in).

#include "tests/support/sink_server.hpp"
#include "tests/support/test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hookd::test {

constexpr const char* kHookctlToken = "admin-secret-token-5678";

inline SinkAction json_reply(int status, std::string body) {
  return SinkAction::reply(status, {{"Content-Type", "application/json"}}, std::move(body));
}

constexpr const char* kSubscriptionsJson = R"({"subscriptions":[
  {"name":"orders","url":"https://orders.example/hook","state":"enabled","paused_reason":null,
   "pending":12,"in_flight":1,"delivered":340,"dead":2},
  {"name":"audit","url":"http://audit.internal/in","state":"paused","paused_reason":"410 Gone",
   "pending":3,"in_flight":0,"delivered":7,"dead":0}]})";

constexpr const char* kEventsJson = R"({"events":[
  {"id":"01JEVENT0000000000000000A1","source":"minio","type":"s3:ObjectCreated:Put",
   "time":"2026-11-26T08:00:00.000Z","received":"2026-11-26T08:00:00.120Z",
   "idempotency_key":"minio:bucket/key:etag"}],"next":"01JEVENT0000000000000000A1"})";

constexpr const char* kDeliveryJson = R"({"id":"01JDELIV0000000000000000D1",
  "event_id":"01JEVENT0000000000000000A1","subscription":"orders","state":"dead","attempts":2,
  "next_attempt":null,"created":"2026-11-26T08:00:00.130Z","updated":"2026-11-26T08:01:00.000Z",
  "last_error":"HTTP 500"})";

inline std::string delivery_detail_json() {
  return std::string(R"({"delivery":)") + kDeliveryJson + R"(,"attempts":[
  {"number":1,"started":"2026-11-26T08:00:00.140Z","latency_ms":12,"latency_us":12000,
   "status":500,"error":null,"response_excerpt":"oops\nline two"},
  {"number":2,"started":"2026-11-26T08:01:00.000Z","latency_ms":10000,"latency_us":10000000,
   "status":null,"error":"timeout","response_excerpt":""}]})";
}

class HookctlTest : public ::testing::Test {
 protected:
  void SetUp() override { write_file(token_file(), std::string(kHookctlToken) + "\n"); }

  std::string admin_url() const { return "http://127.0.0.1:" + std::to_string(sink_.port()); }
  std::string token_file() const { return dir_.file("admin.token"); }

  // hookctl --admin URL --token-file F ARGS..., with `env` ("NAME=value")
  // set and HOOKCTL_TOKEN / CREDENTIALS_DIRECTORY otherwise unset.
  RunResult hookctl(const std::vector<std::string>& args, bool with_token = true,
                    const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {"/usr/bin/env", "-u", "HOOKCTL_TOKEN", "-u",
                                     "CREDENTIALS_DIRECTORY"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {HOOKCTL_BINARY, "--admin", admin_url()});
    if (with_token) argv.insert(argv.end(), {"--token-file", token_file()});
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv, std::chrono::seconds(20));
    EXPECT_EQ(r.output.find(kHookctlToken), std::string::npos) << "token printed: " << r.output;
    return r;
  }

  // The only request the sink received.
  ReceivedRequest only_request() const {
    auto requests = sink_.requests();
    EXPECT_EQ(requests.size(), 1u);
    return requests.empty() ? ReceivedRequest{} : requests.front();
  }

  static bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
  }

  TempDir dir_;
  SinkServer sink_;
};

}  // namespace hookd::test
