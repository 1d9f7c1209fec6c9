#pragma once
// One outbound HTTP/1.1 connection (plain or TLS) and the two things done on
// it: opening it (resolve, connect, handshake) and one request/response
// exchange. Every step is bounded by the caller's single deadline through
// beast::tcp_stream::expires_at; a failure comes back as a delivery_errc with
// short readable detail beside it.
//
// Threads: the io thread only. A Connection is used by one coroutine at a
// time (ConnPool hands it out); it must not outlive its io_context.

#include "core/delivery/destination_guard.hpp"
#include "core/delivery/outgoing.hpp"
#include "daemon/http/tls_client.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace hookd::daemon {

using Clock = std::chrono::steady_clock;

class Connection {
 public:
  Connection(net::any_io_executor ex, ssl::context* tls);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool is_tls() const noexcept { return tls_ != nullptr; }
  beast::tcp_stream& lowest() noexcept;
  TlsStream& tls() noexcept { return *tls_; }
  beast::tcp_stream& plain() noexcept { return *plain_; }
  beast::flat_buffer& buffer() noexcept { return buffer_; }

  // True when an idle connection cannot carry another request: the peer
  // closed it or sent something unasked (a 408, a TLS close_notify).
  bool peer_closed();
  void close() noexcept;

  Clock::time_point idle_since{};
  std::uint32_t requests = 0;  // exchanges completed on this connection

 private:
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<TlsStream> tls_;
  beast::flat_buffer buffer_;
};

struct OpenResult {
  std::unique_ptr<Connection> connection;  // null on failure
  error_code error;    // resolve_failed, connect_failed, tls_handshake_failed, tls_verify_failed,
                       // timeout, cancelled (delivery_errc)
  std::string detail;  // "Connection refused", "hostname mismatch": for people only
};

// Resolves `url.host`, connects and (when `tls` is not null) does the TLS
// handshake with SNI and host name verification, all before `deadline`.
// Only resolved addresses `policy` allows are connected to (the check is on
// the address itself, so a name that re-resolves cannot slip past it); when
// it refuses them all: destination_not_allowed, the first refusal in detail.
net::awaitable<OpenResult> open_connection(net::any_io_executor ex, const TargetUrl& url,
                                           ssl::context* tls, Clock::time_point deadline,
                                           const DestinationPolicy* policy = nullptr);

// The body bytes read at most, and kept as the excerpt.
constexpr std::uint64_t kMaxResponseBody = 1024 * 1024;
constexpr std::size_t kBodyExcerpt = 1024;

struct ExchangeResult {
  int status = 0;      // 0 when no complete response arrived
  error_code error;    // write_failed, read_failed, connection_closed, bad_response,
                       // response_too_large, timeout, cancelled (delivery_errc)
  std::string detail;  // the OS, OpenSSL or parser reason: for people only
  std::string retry_after;
  std::string body_excerpt;  // first kBodyExcerpt bytes
  bool keep_alive = false;   // the connection may carry another request
  bool got_response_bytes = false;
};

// Writes `wire` (a request from make_request) and reads the response before
// `deadline`. A body larger than kMaxResponseBody is not read to its end:
// the status stands, and the connection must be closed (keep_alive false).
net::awaitable<ExchangeResult> exchange(Connection& conn, std::string_view wire,
                                        Clock::time_point deadline);

// The wire request for `out`, serialized by Beast into one buffer: POST,
// Host, the headers in order, the body. One buffer is written with one
// write (one TLS record run) per exchange, and a retry on a fresh
// connection writes the same bytes. Throws std::length_error for a header
// name or value Beast refuses.
std::string make_request(const OutgoingRequest& out);

}  // namespace hookd::daemon
