#pragma once
// SinkServer: a real HTTP/1.1 receiver for delivery tests, plain or TLS
// (optionally requiring a client certificate signed by a given CA). It binds
// 127.0.0.1:0, runs on its own thread with its own io_context, records every
// request and answers each one with the next scripted action, or with the
// default action when the script is empty.
//
// Threads: the public methods are thread-safe; the server's sockets live on
// its thread only. The destructor closes everything and joins (bounded).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace hookd::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

// How the sink answers one request.
struct SinkAction {
  int status = 204;
  Headers headers;  // added to the response, e.g. {"Retry-After", "7"}
  std::string body;
  std::chrono::milliseconds delay{0};  // before answering
  bool hang = false;                   // never answer; wait for the client to go away
  bool close_without_answer = false;   // close the connection instead of answering
  bool close_after = false;            // answer with Connection: close, then close

  static SinkAction reply(int status, Headers headers = {}, std::string body = {}) {
    SinkAction a;
    a.status = status;
    a.headers = std::move(headers);
    a.body = std::move(body);
    return a;
  }
  static SinkAction hang_up() {
    SinkAction a;
    a.hang = true;
    return a;
  }
  static SinkAction drop() {
    SinkAction a;
    a.close_without_answer = true;
    return a;
  }
};

struct SinkOptions {
  std::string cert_file, key_file;  // TLS when both are set
  std::string client_ca_file;       // mTLS: require a client certificate signed by this CA
  // Closes a keep-alive connection idle this long (0: never), as servers do.
  std::chrono::milliseconds idle_close{0};
};

struct ReceivedRequest {
  std::string method;
  std::string target;
  Headers headers;  // as received, in order
  std::string body;
  std::chrono::steady_clock::time_point received;
  std::uint64_t connection = 0;  // 1 for the first accepted connection, and so on

  // The first header named `name` (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

class SinkServer {
 public:
  explicit SinkServer(SinkOptions options = {});
  ~SinkServer();
  SinkServer(const SinkServer&) = delete;
  SinkServer& operator=(const SinkServer&) = delete;

  std::uint16_t port() const { return port_; }
  // Scripted actions are used first, in order, one per request.
  void push(SinkAction action);
  void set_default(SinkAction action);

  std::vector<ReceivedRequest> requests() const;
  std::size_t request_count() const;
  // True once at least `n` requests were received, false after `timeout`.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
  std::size_t connections_accepted() const;

  struct Impl;  // the io_context side

 private:
  SinkAction next_action();
  void record(ReceivedRequest request);

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::deque<SinkAction> script_;
  SinkAction default_action_;
  std::vector<ReceivedRequest> requests_;
  std::size_t connections_ = 0;
  std::uint16_t port_ = 0;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace hookd::test
