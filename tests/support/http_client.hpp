#pragma once
// HttpClient: a keep-alive HTTP/1.1 client for tests, plain or TLS (verifying
// the server against a CA file). Every operation is bounded by `timeout`
// (Beast stream expiry), so a hung server fails the test instead of hanging it.
// Not thread-safe: one client per thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hookd::test {

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool keep_alive = true;
};

class HttpClient {
 public:
  // ca_file empty: plain HTTP; else TLS verified against ca_file.
  explicit HttpClient(std::uint16_t port, std::string ca_file = "",
                      std::string host = "127.0.0.1");
  ~HttpClient();

  std::optional<HttpResult> request(
      const std::string& method, const std::string& target, const std::string& body = "",
      const std::vector<std::pair<std::string, std::string>>& headers = {{"Content-Type",
                                                                         "application/json"}},
      std::chrono::milliseconds timeout = std::chrono::seconds(15));
  std::optional<HttpResult> post(const std::string& target, const std::string& body,
                                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return request("POST", target, body, headers);
  }
  // Connections opened so far (1 while keep-alive holds).
  int connects() const { return connects_; }
  const std::string& error() const { return error_; }
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int connects_ = 0;
  std::string error_;
};

}  // namespace hookd::test
