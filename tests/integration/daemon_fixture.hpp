#pragma once
// A running hookd on ephemeral loopback ports with its own temp directory,
// for end-to-end tests. The config has a MinIO source with a token, an
// Opteryx source limited to loopback, a CloudEvents source, a generic source
// and one restricted to 10.0.0.0/8; subscriptions route MinIO puts and
// Opteryx dataset events.

#include "tests/support/http_client.hpp"
#include "tests/support/test_support.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hookd::test {

constexpr const char* kMinioToken = "minio-test-token-1234";

inline std::string base_config(const std::string& db_path, const std::string& extra_server = "",
                               const std::string& listen = R"("127.0.0.1:0")") {
  return R"([server]
listen = [)" + listen + R"(]
max_body = "64KiB"
read_timeout = "2s"
idle_timeout = "3s"
)" + extra_server + R"(
[storage]
path = ")" + db_path + R"("
sync = "group"

[[source]]
name = "minio"
format = "minio"
token = ")" + kMinioToken + R"("

[[source]]
name = "catalog"
format = "opteryx"
allow_from = ["127.0.0.0/8", "::1/128"]

[[source]]
name = "ce"
format = "cloudevents"

[[source]]
name = "app"
format = "generic"
id_pointer = "/id"

[[source]]
name = "remote"
format = "generic"
allow_from = ["10.0.0.0/8"]

[[subscription]]
name = "puts"
url = "http://127.0.0.1:9/puts"
events = ["s3:ObjectCreated:*"]
sources = ["minio"]

[[subscription]]
name = "datasets"
url = "http://127.0.0.1:9/datasets"
events = ["dataset.*"]
)";
}

// A MinIO body of `n` records with keys PREFIX-0 .. PREFIX-(n-1).
inline std::string minio_records(const std::string& prefix, int n) {
  std::string body = R"({"Records":[)";
  for (int i = 0; i < n; ++i) {
    if (i) body += ',';
    body += R"({"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":")" +
            prefix + "-" + std::to_string(i) + R"("}}})";
  }
  return body + "]}";
}

class DaemonTest : public ::testing::Test {
 protected:
  void start_with(const std::string& config_text, std::vector<std::string> env = {}) {
    write_file(dir_.file("hookd.toml"), config_text);
    ASSERT_TRUE(daemon_.start(dir_.file("hookd.toml"), dir_.file("hookd.log"), {}, env))
        << daemon_.error();
  }
  void start() { start_with(base_config(db_path())); }
  std::string db_path() const { return dir_.file("db"); }
  std::optional<HttpResult> post_minio(HttpClient& c, const std::string& body) {
    return c.post("/event", body, {{"Authorization", std::string("Bearer ") + kMinioToken}});
  }

  TempDir dir_;
  DaemonProcess daemon_;
};

}  // namespace hookd::test
