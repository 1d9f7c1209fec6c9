#pragma once
// hookctl's HTTP client for the admin API: one request per connection, plain
// or TLS (peer verified against the system trust store or a CA file, with SNI
// and the host name check), every phase (resolve, connect, handshake, write,
// read, shutdown) bounded by the timeout. Asio and Beast stay behind this
// header: each request runs its own io_context on the calling thread until it
// completes, so callers see an ordinary blocking function.

#include "core/delivery/outgoing.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace hookd::hookctl {

struct HttpReply {
  int status = 0;     // 0 when no answer arrived; `error` says why
  std::string error;  // "Connection refused", "timed out after 10s", "tls: ..."
  std::string body;
};

class AdminClient;

struct ClientResult {
  std::unique_ptr<AdminClient> client;  // null on failure
  std::string error;                    // "tls: cannot load ca_file ...: No such file"
};

class AdminClient {
 public:
  // `base` is the admin URL; its path is a prefix of every request target.
  // An empty `token` sends no Authorization header. `ca_file` (https only)
  // replaces the system trust store.
  static ClientResult create(TargetUrl base, std::string token, const std::string& ca_file,
                             std::chrono::milliseconds timeout);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // `method` is "GET", "POST", "PUT", "PATCH" or "DELETE"; `target` is "/v1/..." with its query
  // already encoded; a non-empty `json_body` is sent as application/json.
  HttpReply request(std::string_view method, std::string_view target,
                    std::string_view json_body = {}) const;

  bool has_token() const noexcept { return !token_.empty(); }

  struct Tls;  // the ssl::context, when the base URL is https

 private:
  AdminClient(TargetUrl base, std::string token, std::chrono::milliseconds timeout);

  TargetUrl base_;
  std::string token_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace hookd::hookctl
