#pragma once
// ConnPool in-process against SinkServer on 127.0.0.1: the pool runs on the
// test's io_context, and every run is bounded by a deadline. When a run
// times out its coroutine frames still point at the pool and the
// io_context, so both are leaked rather than destroyed under them.

#include "daemon/delivery/conn_pool.hpp"
#include "tests/support/sink_server.hpp"
#include "tests/support/test_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace hookd {
// gtest prints a mismatched code by name.
inline void PrintTo(delivery_errc e, std::ostream* os) { *os << to_string(e); }
}  // namespace hookd

namespace hookd::test {

// A failed post's code and detail, for failure messages only.
inline std::string why(const daemon::PostResult& r) {
  return r.error ? delivery_error_text(r.error, r.detail) : "";
}

using daemon::ConnPool;
using daemon::PoolOptions;
using daemon::PostResult;
namespace net = boost::asio;
using namespace std::chrono_literals;

inline TargetUrl url_for(const SinkServer& sink, bool tls = false, std::string host = "127.0.0.1",
                         std::string target = "/hook") {
  return TargetUrl{tls, std::move(host), sink.port(), std::move(target)};
}

inline OutgoingRequest request_for(const TargetUrl& url, std::string body = R"({"n":1})") {
  return OutgoingRequest{url.target,
                         url.host + ":" + std::to_string(url.port),
                         {{"Content-Type", "application/json"}},
                         std::move(body)};
}

// One post() whose result lands in `out` (owned by the test).
inline net::awaitable<void> post_into(ConnPool& pool, TargetUrl url,
                                      std::optional<TlsClientConfig> tls, OutgoingRequest req,
                                      Duration timeout, PostResult& out) {
  co_await net::this_coro::throw_if_cancelled(false);
  out = co_await pool.post(url, tls ? &*tls : nullptr, false, req, timeout);
}

class ConnPoolFixture : public ::testing::Test {
 protected:
  ~ConnPoolFixture() override {
    if (leaked_) {
      (void)pool_.release();
      (void)ioc_.release();
    }
  }

  ConnPool& make_pool(PoolOptions options = {}) {
    pool_ = std::make_unique<ConnPool>(*ioc_, options);
    return *pool_;
  }
  ConnPool& pool() {
    if (!pool_) make_pool();
    return *pool_;
  }

  // Runs every coroutine to completion within `limit`; false on timeout.
  bool run_all(std::vector<net::awaitable<void>> coros, std::chrono::milliseconds limit = 10s) {
    std::size_t done = 0;
    std::exception_ptr failure;
    for (auto& c : coros)
      net::co_spawn(*ioc_, std::move(c), [&done, &failure](std::exception_ptr e) {
        ++done;
        if (e) failure = e;
      });
    ioc_->restart();
    ioc_->run_for(limit);
    if (done != coros.size()) {
      leaked_ = true;
      ADD_FAILURE() << "coroutines still running after " << limit.count() << " ms";
      return false;
    }
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "exception escaped a coroutine: " << e.what();
      }
      return false;
    }
    return true;
  }

  PostResult post(const TargetUrl& url, const OutgoingRequest& req, Duration timeout = 2s,
                  std::optional<TlsClientConfig> tls = std::nullopt) {
    PostResult out;
    std::vector<net::awaitable<void>> one;
    one.push_back(post_into(pool(), url, std::move(tls), req, timeout, out));
    run_all(std::move(one));
    return out;
  }
  PostResult post(const SinkServer& sink) {
    auto url = url_for(sink);
    return post(url, request_for(url));
  }

  std::unique_ptr<net::io_context> ioc_ = std::make_unique<net::io_context>(1);
  std::unique_ptr<ConnPool> pool_;
  bool leaked_ = false;
  TempDir dir_;
};

}  // namespace hookd::test
