#include "daemon/delivery/conn_pool.hpp"

#include "daemon/http/http_exchange.hpp"
#include "daemon/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <compare>
#include <functional>
#include <mutex>
#include <list>
#include <stdexcept>
#include <tuple>

namespace hookd::daemon {

namespace {

struct OriginKey {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string ca_file, cert_file, key_file;
  // API subscriptions' connections are kept apart: one opened for the
  // operator's own subscription to a private address is never lent to them.
  bool public_only = false;
  auto operator<=>(const OriginKey&) const = default;
};

using ContextKey = std::tuple<std::string, std::string, std::string>;

// A post() waiting for a connection of a full origin. A release hands it
// either an idle connection or a reserved slot to open one, then cancels its
// timer; the timer expiring on its own means the deadline passed.
struct Waiter {
  explicit Waiter(const net::any_io_executor& ex) : timer(ex) {}
  net::steady_timer timer;
  std::unique_ptr<Connection> connection;  // handed over, already counted busy
  bool may_open = false;                   // slot handed over, already counted connecting
};

// One origin's connections. Invariants: idle.size() + busy + connecting is at
// most connections_per_origin; waiters is non-empty only while that total is
// at the limit and idle is empty (a release serves a waiter first).
struct Origin {
  std::string name;                             // "https://host:port", for logs and metrics
  TargetUrl url;                                // host, port and scheme to connect to
  std::shared_ptr<ssl::context> tls;            // null for http
  DestinationPolicy policy;                     // checked on each connect
  std::list<std::unique_ptr<Connection>> idle;  // oldest first
  std::size_t busy = 0;
  std::size_t connecting = 0;
  std::list<Waiter*> waiters;  // FIFO
  std::size_t users = 0;       // post()s holding this origin
  std::size_t total() const { return idle.size() + busy + connecting; }
  // Nothing refers to it: reap_idle() may forget it.
  bool unused() const { return total() == 0 && waiters.empty() && users == 0; }
};

// Counts a post() as a user of its origin for as long as it runs.
class OriginUse {
 public:
  explicit OriginUse(Origin& o) : o_(o) { ++o_.users; }
  ~OriginUse() { --o_.users; }
  OriginUse(const OriginUse&) = delete;
  OriginUse& operator=(const OriginUse&) = delete;

 private:
  Origin& o_;
};

struct Lease {
  std::unique_ptr<Connection> connection;  // null on failure
  bool reused = false;
  error_code error;
  std::string detail;
};

std::string origin_name(const TargetUrl& url) {
  bool v6 = url.host.find(':') != std::string::npos;
  return std::string(url.tls ? "https://" : "http://") + (v6 ? "[" + url.host + "]" : url.host) +
         ":" + std::to_string(url.port);
}

}  // namespace

// One io thread's share of the pool: the origins hashed to it, used on its
// executor only, except the atomic stats and open_by_name (under stats_mu).
struct ConnPool::Impl {
  Impl(net::any_io_executor e, PoolOptions o) : ex(std::move(e)), options(std::move(o)) {}

  // Null when the origin's TLS context cannot be built (tls_config), with why in `detail`.
  Origin* find_origin(const TargetUrl& url, const TlsClientConfig* tls, bool public_only,
                      std::string& detail);
  net::awaitable<Lease> acquire(Origin& o, Clock::time_point deadline);
  net::awaitable<Lease> open(Origin& o, Clock::time_point deadline);
  net::awaitable<Lease> reopen(Origin& o, std::unique_ptr<Connection> failed,
                               Clock::time_point deadline);
  void release(Origin& o, std::unique_ptr<Connection> conn, bool keep);
  void close(Origin& o, std::unique_ptr<Connection> conn);
  void count_open(const Origin& o, int delta);
  void slot_freed(Origin& o);
  void reap_idle(Clock::time_point now);
  net::awaitable<PostResult> post(const TargetUrl& url, const TlsClientConfig* tls,
                                  bool public_only, const OutgoingRequest& req,
                                  Clock::time_point deadline);
  // post() with the idle reaping and the latency, on this shard's executor.
  net::awaitable<PostResult> timed_post(const TargetUrl& url, const TlsClientConfig* tls,
                                        bool public_only, const OutgoingRequest& req,
                                        Duration timeout);
  void close_idle();

  net::any_io_executor ex;
  PoolOptions options;
  std::map<OriginKey, std::unique_ptr<Origin>> origins;
  std::map<ContextKey, std::shared_ptr<ssl::context>> contexts;
  struct {
    std::atomic<std::uint64_t> connections_opened{0}, connections_open{0}, requests{0},
        retries{0}, origins{0};
  } stats;
  mutable std::mutex stats_mu;
  std::map<std::string, std::size_t> open_by_name;  // under stats_mu
  Clock::time_point last_reap{};
};

void ConnPool::Impl::count_open(const Origin& o, int delta) {
  std::lock_guard lock(stats_mu);
  auto& n = open_by_name[o.name];
  n += delta;
  if (n == 0) open_by_name.erase(o.name);
}

Origin* ConnPool::Impl::find_origin(const TargetUrl& url, const TlsClientConfig* tls,
                                    bool public_only, std::string& detail) {
  if (!url.tls) tls = nullptr;
  OriginKey key{url.tls,
                url.host,
                url.port,
                tls ? tls->ca_file : "",
                tls ? tls->cert_file : "",
                tls ? tls->key_file : "",
                public_only};
  if (auto it = origins.find(key); it != origins.end()) return it->second.get();
  auto origin = std::make_unique<Origin>();
  origin->name = origin_name(url);
  origin->url = url;
  origin->policy = options.destinations;
  origin->policy.public_only = public_only;
  if (!public_only) origin->policy.allow.clear();  // allow only widens public_only
  if (url.tls) {
    auto& ctx = contexts[{key.ca_file, key.cert_file, key.key_file}];
    if (!ctx) {
      auto made = make_client_context(tls, options.ca_path);
      if (!made.context) {
        contexts.erase({key.ca_file, key.cert_file, key.key_file});
        detail = std::move(made.error);
        return nullptr;
      }
      ctx = std::move(made.context);
    }
    origin->tls = ctx;
  }
  ++stats.origins;
  return origins.emplace(std::move(key), std::move(origin)).first->second.get();
}

net::awaitable<Lease> ConnPool::Impl::acquire(Origin& o, Clock::time_point deadline) {
  auto now = Clock::now();
  while (!o.idle.empty()) {
    auto conn = std::move(o.idle.back());
    o.idle.pop_back();
    if (now - conn->idle_since >= options.idle_timeout || conn->peer_closed()) {
      close(o, std::move(conn));
      continue;
    }
    ++o.busy;
    co_return Lease{std::move(conn), true, {}, {}};
  }
  if (o.total() < options.connections_per_origin) {
    ++o.connecting;
    co_return co_await open(o, deadline);
  }
  Waiter w(ex);
  auto it = o.waiters.insert(o.waiters.end(), &w);
  w.timer.expires_at(deadline);
  co_await w.timer.async_wait(use_tuple);
  // A release pops the waiter it serves; one not served is still queued.
  if (!w.connection && !w.may_open) {
    o.waiters.erase(it);
    auto why = Clock::now() >= deadline ? delivery_errc::timeout : delivery_errc::cancelled;
    co_return Lease{nullptr, false, why, {}};
  }
  if (w.connection) {
    // Served just as the deadline passed: keep the connection for others.
    if (Clock::now() >= deadline) {
      release(o, std::move(w.connection), true);
      co_return Lease{nullptr, false, delivery_errc::timeout, {}};
    }
    co_return Lease{std::move(w.connection), true, {}, {}};
  }
  co_return co_await open(o, deadline);
}

// The caller has counted the new connection in `connecting`.
net::awaitable<Lease> ConnPool::Impl::open(Origin& o, Clock::time_point deadline) {
  auto opened = co_await open_connection(ex, o.url, o.tls.get(), deadline, &o.policy);
  --o.connecting;
  if (!opened.connection) {
    log::info("pool.connect_failed",
              {{"origin", o.name}, {"error", delivery_error_text(opened.error, opened.detail)}});
    slot_freed(o);
    co_return Lease{nullptr, false, opened.error, std::move(opened.detail)};
  }
  ++o.busy;
  ++stats.connections_opened;
  ++stats.connections_open;
  count_open(o, +1);
  log::debug("pool.connected", {{"origin", o.name}, {"busy", o.busy}, {"idle", o.idle.size()}});
  co_return Lease{std::move(opened.connection), false, {}, {}};
}

// Replaces a failed busy connection by a fresh one, keeping its slot so that
// the retry does not queue behind other waiters.
net::awaitable<Lease> ConnPool::Impl::reopen(Origin& o, std::unique_ptr<Connection> failed,
                                             Clock::time_point deadline) {
  close(o, std::move(failed));
  --o.busy;
  ++o.connecting;
  co_return co_await open(o, deadline);
}

void ConnPool::Impl::release(Origin& o, std::unique_ptr<Connection> conn, bool keep) {
  --o.busy;
  if (!keep) {
    close(o, std::move(conn));
    slot_freed(o);
    return;
  }
  conn->idle_since = Clock::now();
  if (!o.waiters.empty()) {
    Waiter* w = o.waiters.front();
    o.waiters.pop_front();
    w->connection = std::move(conn);
    ++o.busy;
    w->timer.cancel();
    return;
  }
  o.idle.push_back(std::move(conn));
}

void ConnPool::Impl::close(Origin& o, std::unique_ptr<Connection> conn) {
  conn->close();
  --stats.connections_open;
  count_open(o, -1);
}

void ConnPool::Impl::slot_freed(Origin& o) {
  if (o.waiters.empty() || o.total() >= options.connections_per_origin) return;
  Waiter* w = o.waiters.front();
  o.waiters.pop_front();
  w->may_open = true;
  ++o.connecting;
  w->timer.cancel();
}

void ConnPool::Impl::reap_idle(Clock::time_point now) {
  last_reap = now;
  // An origin nothing uses any more (a deleted subscription's, one that has
  // not been posted to for idle_timeout) is forgotten, so that the map is
  // bounded by the origins in use rather than by every origin ever seen.
  for (auto it = origins.begin(); it != origins.end();) {
    Origin& origin = *it->second;
    auto& idle = origin.idle;
    while (!idle.empty() && now - idle.front()->idle_since >= options.idle_timeout) {
      close(origin, std::move(idle.front()));
      idle.pop_front();
    }
    if (origin.unused()) {
      it = origins.erase(it);
      --stats.origins;
    } else {
      ++it;
    }
  }
}

net::awaitable<PostResult> ConnPool::Impl::post(const TargetUrl& url, const TlsClientConfig* tls,
                                                bool public_only, const OutgoingRequest& req,
                                                Clock::time_point deadline) {
  PostResult out;
  // Beast writes header values as given: CR/LF here would end the header
  // block early on a connection other subscriptions share.
  if (auto bad = unsafe_header(req)) {
    out.error = delivery_errc::unsafe_header;
    out.detail = "header " + *bad;
    co_return out;
  }
  Origin* origin = find_origin(url, tls, public_only, out.detail);
  if (!origin) {
    out.error = delivery_errc::tls_config;
    co_return out;
  }
  OriginUse use(*origin);
  std::string wire;
  try {
    wire = make_request(req);
  } catch (const std::length_error& e) {  // Beast refuses oversized header names and values
    out.error = delivery_errc::invalid_request;
    out.detail = e.what();
    co_return out;
  }
  Lease lease = co_await acquire(*origin, deadline);
  bool retried = false;
  while (lease.connection) {
    out.reused_connection = lease.reused;
    auto ex = co_await exchange(*lease.connection, wire, deadline);
    if (!ex.error) {
      out.status = ex.status;
      out.retry_after = std::move(ex.retry_after);
      out.body_excerpt = std::move(ex.body_excerpt);
      bool keep =
          ex.keep_alive && (++lease.connection->requests < options.max_requests_per_connection ||
                             options.max_requests_per_connection == 0);
      release(*origin, std::move(lease.connection), keep);
      co_return out;
    }
    // The server may have closed a kept-alive connection just as we wrote; the
    // receiver deduplicates on webhook-id, so one fresh try is safe.
    if (lease.reused && !retried && !ex.got_response_bytes && ex.error != delivery_errc::timeout &&
        ex.error != delivery_errc::cancelled) {
      retried = true;
      ++stats.retries;
      log::debug("pool.retry_fresh",
                 {{"origin", origin->name}, {"error", delivery_error_text(ex.error, ex.detail)}});
      lease = co_await reopen(*origin, std::move(lease.connection), deadline);
      continue;
    }
    release(*origin, std::move(lease.connection), false);
    out.error = ex.error;
    out.detail = std::move(ex.detail);
    co_return out;
  }
  out.error = lease.error;
  out.detail = std::move(lease.detail);
  co_return out;
}

net::awaitable<PostResult> ConnPool::Impl::timed_post(const TargetUrl& url,
                                                      const TlsClientConfig* tls,
                                                      bool public_only,
                                                      const OutgoingRequest& req,
                                                      Duration timeout) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto start = Clock::now();
  if (start - last_reap >= std::chrono::seconds(1)) reap_idle(start);
  PostResult out = co_await post(url, tls, public_only, req, start + timeout);
  out.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  co_return out;
}

void ConnPool::Impl::close_idle() {
  for (auto& [key, origin] : origins) {
    for (auto& conn : origin->idle) close(*origin, std::move(conn));
    origin->idle.clear();
  }
}

ConnPool::ConnPool(std::vector<net::any_io_executor> executors, PoolOptions options) {
  for (auto& ex : executors) shards_.push_back(std::make_unique<Impl>(std::move(ex), options));
}

ConnPool::ConnPool(net::io_context& ioc, PoolOptions options)
    : ConnPool(std::vector<net::any_io_executor>{ioc.get_executor()}, std::move(options)) {}

ConnPool::~ConnPool() = default;

ConnPool::Impl& ConnPool::shard_for(const TargetUrl& url) {
  if (shards_.size() == 1) return *shards_.front();
  std::string key = origin_name(url);
  std::lock_guard lock(placed_mu_);
  if (auto it = placed_.find(key); it != placed_.end()) return *shards_[it->second];
  if (placed_.size() >= kMaxPlaced) return *shards_[std::hash<std::string>{}(key) % shards_.size()];
  if (placed_per_shard_.empty()) placed_per_shard_.resize(shards_.size());
  auto fewest = std::min_element(placed_per_shard_.begin(), placed_per_shard_.end());
  const auto index = static_cast<std::size_t>(fewest - placed_per_shard_.begin());
  ++*fewest;
  placed_.emplace(std::move(key), index);
  return *shards_[index];
}

net::awaitable<PostResult> ConnPool::post(const TargetUrl& url, const TlsClientConfig* tls,
                                          bool public_only, const OutgoingRequest& req,
                                          Duration timeout) {
  co_await net::this_coro::throw_if_cancelled(false);
  Impl& shard = shard_for(url);
  ++shard.stats.requests;
  if (shard.ex == co_await net::this_coro::executor)
    co_return co_await shard.timed_post(url, tls, public_only, req, timeout);
  // The exchange runs on the origin's io thread; this coroutine resumes on
  // its own when it completes (a cancellation is forwarded to it there).
  co_return co_await net::co_spawn(shard.ex, shard.timed_post(url, tls, public_only, req, timeout),
                                   net::use_awaitable);
}

PoolStats ConnPool::stats() const {
  PoolStats out;
  for (const auto& s : shards_) {
    out.connections_opened += s->stats.connections_opened;
    out.connections_open += s->stats.connections_open;
    out.requests += s->stats.requests;
    out.retries += s->stats.retries;
    out.origins += s->stats.origins;
  }
  return out;
}

std::vector<std::pair<std::string, std::size_t>> ConnPool::open_per_origin() const {
  std::map<std::string, std::size_t> by_name;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->stats_mu);
    for (const auto& [name, n] : s->open_by_name) by_name[name] += n;
  }
  return {by_name.begin(), by_name.end()};
}

void ConnPool::close_idle() {
  for (auto& s : shards_) {
    Impl* shard = s.get();
    net::dispatch(shard->ex, [shard] { shard->close_idle(); });
  }
}

}  // namespace hookd::daemon
