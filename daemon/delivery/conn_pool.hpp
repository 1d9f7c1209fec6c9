#pragma once
// ConnPool: outbound HTTP/1.1 connections to subscribers, pooled per origin
// (scheme, host, port and TLS settings). Up to `connections_per_origin`
// keep-alive connections per origin are shared by every delivery and
// subscription that targets it; a request waits (bounded by its timeout) for
// a free one. Connections close when idle too long, when the server says
// Connection: close, or after an error, and reopen on demand.
//
// TLS: OpenSSL through Asio, peer verified against the system trust store or
// the subscription's CA file, host name checked, SNI set; an optional client
// certificate and key (mTLS). One ssl::context per distinct TLS settings.
//
// Threads: the pool has one shard per io thread it is given; each origin
// (scheme, host and port) belongs to one shard, and its connections, TLS
// streams and exchanges run on that shard's executor only. An origin is
// placed on first use on the shard with the fewest origins, the first
// executor on a tie (App gives the scheduler's own first: an attempt to the
// only origin then needs no thread hop); past kMaxPlaced origins, by a hash.
// post() may be awaited on any executor: the exchange is spawned onto the
// origin's shard and the caller resumes on its own executor. stats() and
// open_per_origin() may be called from any thread. Lifetime: outlives every
// post() coroutine and the io_contexts' run().

#include "core/config/config.hpp"
#include "core/errors.hpp"
#include "core/delivery/destination_guard.hpp"
#include "core/delivery/outgoing.hpp"
#include "daemon/http/net.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hookd::daemon {

struct PoolOptions {
  std::uint32_t connections_per_origin = 16;
  Duration idle_timeout{30'000};  // shorter than typical server keep-alive
  // Requests after which a connection is retired; 0: no limit. Servers set
  // their own (nginx keepalive_requests), and close with Connection: close.
  std::uint32_t max_requests_per_connection = 0;
  std::string ca_path;  // system trust store directory override; empty: OpenSSL defaults
  // Checked on every resolved address before connecting (destination_guard.hpp):
  // `deny` for every post, `allow` only for public_only posts, whose own
  // public_only flag is set per post.
  DestinationPolicy destinations;
};

// What one POST produced.
struct PostResult {
  int status = 0;                   // 0: no response (see error)
  error_code error;                 // a delivery_errc when status is 0; none on a response
  std::string detail;               // the OS/OpenSSL/parser reason beside error, for people only
  std::string retry_after;          // Retry-After header value, if any
  std::string body_excerpt;         // first KiB of the response body
  std::chrono::microseconds latency{0};
  bool reused_connection = false;
};

struct PoolStats {
  std::uint64_t connections_opened = 0;  // ever
  std::uint64_t connections_open = 0;    // now
  std::uint64_t requests = 0;           // post() calls
  std::uint64_t retries = 0;            // reused connections that failed, retried on a fresh one
  std::uint64_t origins = 0;            // origins remembered now (forgotten once unused)
};

class ConnPool {
 public:
  // One shard per executor (each an io_context's, run by one thread).
  ConnPool(std::vector<net::any_io_executor> executors, PoolOptions options);
  ConnPool(net::io_context& ioc, PoolOptions options);
  ~ConnPool();

  // POSTs `req` to the origin of `url` with TLS settings `tls` (may be null),
  // connecting only where options.destinations allows: with `public_only`
  // (API subscriptions) to public unicast addresses and the allow ranges,
  // and on connections kept apart from the others;
  // bounded by `timeout` for the whole exchange (acquire, connect, handshake,
  // write, read). A request that fails on a reused connection before any
  // response byte is retried once on a fresh connection.
  net::awaitable<PostResult> post(const TargetUrl& url, const TlsClientConfig* tls,
                                  bool public_only, const OutgoingRequest& req, Duration timeout);

  PoolStats stats() const;
  // Open connections per origin ("https://host:port"), for metrics.
  std::vector<std::pair<std::string, std::size_t>> open_per_origin() const;
  // Closes every idle connection (shutdown) on each shard's executor: at
  // once for the shard of the calling thread, posted to the others.
  void close_idle();

  struct Impl;

  // Origins remembered with their shard; later ones are placed by a hash
  // (about 100 bytes each).
  static constexpr std::size_t kMaxPlaced = 16384;

 private:
  Impl& shard_for(const TargetUrl& url);
  std::vector<std::unique_ptr<Impl>> shards_;
  std::mutex placed_mu_;
  std::unordered_map<std::string, std::size_t> placed_;  // origin -> shard; under placed_mu_
  std::vector<std::size_t> placed_per_shard_;            // under placed_mu_
};

}  // namespace hookd::daemon
