// ConnPool over plain HTTP: what reaches the receiver, connection reuse and
// limits, and every way a server can fail to answer.
#include "tests/integration/conn_pool_fixture.hpp"

#include <boost/asio/ip/address.hpp>

#include <thread>

namespace hookd::test {
namespace {

using ConnPoolTest = ConnPoolFixture;

std::size_t header_index(const ReceivedRequest& r, const std::string& name) {
  for (std::size_t i = 0; i < r.headers.size(); ++i)
    if (r.headers[i].first == name) return i;
  return r.headers.size();
}

TEST_F(ConnPoolTest, PostReachesSinkByteForByteWithHeadersInOrder) {
  SinkServer sink;
  auto url = url_for(sink, false, "127.0.0.1", "/hooks/in?tenant=a%20b");
  std::string body = "{\"key\":\"caf\xc3\xa9\",\"nul\":\"\\u0000\",\"pad\":\"" +
                     std::string(20'000, 'x') + "\"}\r\n";
  auto req = request_for(url, body);
  req.headers = {{"Content-Type", "application/json"},
                 {"webhook-id", "msg_01"},
                 {"hookd-attempt", "1"},
                 {"X-Custom", "a b, c"}};
  auto r = post(url, req);
  EXPECT_EQ(r.status, 204);
  EXPECT_FALSE(r.error) << why(r);
  EXPECT_FALSE(r.reused_connection);
  EXPECT_GT(r.latency.count(), 0);

  ASSERT_TRUE(sink.wait_for_requests(1, 2s));
  auto got = sink.requests().at(0);
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.target, "/hooks/in?tenant=a%20b");
  EXPECT_EQ(got.body, body);
  EXPECT_EQ(got.header("host"), "127.0.0.1:" + std::to_string(sink.port()));
  EXPECT_EQ(got.header("content-length"), std::to_string(body.size()));
  EXPECT_EQ(got.header("x-custom"), "a b, c");
  EXPECT_LT(header_index(got, "Content-Type"), header_index(got, "webhook-id"));
  EXPECT_LT(header_index(got, "webhook-id"), header_index(got, "hookd-attempt"));
  EXPECT_LT(header_index(got, "hookd-attempt"), header_index(got, "X-Custom"));
  EXPECT_LT(header_index(got, "X-Custom"), got.headers.size());
}

TEST_F(ConnPoolTest, SecondPostReusesTheKeptAliveConnection) {
  SinkServer sink;
  EXPECT_EQ(post(sink).status, 204);
  auto again = post(sink);
  EXPECT_EQ(again.status, 204);
  EXPECT_TRUE(again.reused_connection);
  EXPECT_EQ(sink.connections_accepted(), 1u);
  auto stats = pool().stats();
  EXPECT_EQ(stats.connections_opened, 1u);
  EXPECT_EQ(stats.connections_open, 1u);
  EXPECT_EQ(stats.requests, 2u);
  auto per_origin = pool().open_per_origin();
  ASSERT_EQ(per_origin.size(), 1u);
  EXPECT_EQ(per_origin[0].first, "http://127.0.0.1:" + std::to_string(sink.port()));
  EXPECT_EQ(per_origin[0].second, 1u);
  // Closed on the pool's io thread.
  std::vector<net::awaitable<void>> close;
  close.push_back([](ConnPool& p) -> net::awaitable<void> {
    p.close_idle();
    co_return;
  }(pool()));
  ASSERT_TRUE(run_all(std::move(close)));
  EXPECT_EQ(pool().stats().connections_open, 0u);
}

TEST_F(ConnPoolTest, ThousandConcurrentPostsStayWithinConnectionsPerOrigin) {
  SinkServer sink;
  PoolOptions options;
  options.connections_per_origin = 8;
  auto& p = make_pool(options);
  auto url = url_for(sink);
  auto req = request_for(url);
  int ok = 0;
  std::vector<std::string> errors;
  auto worker = [](ConnPool& pool, TargetUrl url, OutgoingRequest req, int& ok,
                   std::vector<std::string>& errors) -> net::awaitable<void> {
    co_await net::this_coro::throw_if_cancelled(false);
    for (int i = 0; i < 20; ++i) {
      auto r = co_await pool.post(url, nullptr, false, req, 5s);
      if (r.status == 204)
        ++ok;
      else
        errors.push_back(why(r));
    }
  };
  std::vector<net::awaitable<void>> workers;
  for (int w = 0; w < 50; ++w) workers.push_back(worker(p, url, req, ok, errors));
  ASSERT_TRUE(run_all(std::move(workers), 60s));
  EXPECT_EQ(ok, 1000) << (errors.empty() ? "" : errors.front());
  EXPECT_TRUE(sink.wait_for_requests(1000, 2s));
  EXPECT_EQ(sink.request_count(), 1000u);
  EXPECT_LE(sink.connections_accepted(), 8u);
  auto stats = p.stats();
  EXPECT_LE(stats.connections_opened, 8u);
  EXPECT_GE(stats.connections_opened, 2u) << "50 concurrent posts should use several connections";
  EXPECT_EQ(stats.connections_open, stats.connections_opened);
  EXPECT_EQ(stats.requests, 1000u);
}

TEST_F(ConnPoolTest, WaiterGetsTheConnectionReleasedByAnother) {
  SinkServer sink;
  PoolOptions options;
  options.connections_per_origin = 1;
  auto& p = make_pool(options);
  SinkAction slow = SinkAction::reply(204);
  slow.delay = 200ms;
  sink.push(slow);
  auto url = url_for(sink);
  PostResult first, second;
  std::vector<net::awaitable<void>> both;
  both.push_back(post_into(p, url, std::nullopt, request_for(url), 2s, first));
  both.push_back(post_into(p, url, std::nullopt, request_for(url), 2s, second));
  ASSERT_TRUE(run_all(std::move(both)));
  EXPECT_EQ(first.status, 204);
  EXPECT_EQ(second.status, 204) << why(second);
  EXPECT_TRUE(second.reused_connection);
  EXPECT_EQ(sink.connections_accepted(), 1u);
}

TEST_F(ConnPoolTest, WaiterOpensANewConnectionWhenTheHolderFails) {
  SinkServer sink;
  PoolOptions options;
  options.connections_per_origin = 1;
  auto& p = make_pool(options);
  sink.push(SinkAction::drop());
  auto url = url_for(sink);
  PostResult failed, waited;
  std::vector<net::awaitable<void>> both;
  both.push_back(post_into(p, url, std::nullopt, request_for(url), 2s, failed));
  both.push_back(post_into(p, url, std::nullopt, request_for(url), 2s, waited));
  ASSERT_TRUE(run_all(std::move(both)));
  EXPECT_EQ(failed.status, 0);
  EXPECT_EQ(waited.status, 204) << why(waited);
  EXPECT_FALSE(waited.reused_connection);
  EXPECT_EQ(sink.connections_accepted(), 2u);
}

TEST_F(ConnPoolTest, WaitingForAFullOriginIsBoundedByTheTimeout) {
  SinkServer sink;
  PoolOptions options;
  options.connections_per_origin = 1;
  auto& p = make_pool(options);
  sink.push(SinkAction::hang_up());
  auto url = url_for(sink);
  PostResult hung, waiting;
  std::vector<net::awaitable<void>> both;
  both.push_back(post_into(p, url, std::nullopt, request_for(url), 1s, hung));
  both.push_back(post_into(p, url, std::nullopt, request_for(url), 200ms, waiting));
  ASSERT_TRUE(run_all(std::move(both)));
  EXPECT_EQ(waiting.status, 0);
  EXPECT_EQ(waiting.error, delivery_errc::timeout);
  EXPECT_LT(waiting.latency, std::chrono::microseconds(800'000));
  EXPECT_EQ(hung.error, delivery_errc::timeout);
  EXPECT_EQ(post(sink).status, 204) << "the hung connection's slot is free again";
}

TEST_F(ConnPoolTest, ConnectionCloseFromServerOpensANewConnectionNextTime) {
  SinkServer sink;
  SinkAction closing = SinkAction::reply(204);
  closing.close_after = true;
  sink.push(closing);
  EXPECT_EQ(post(sink).status, 204);
  EXPECT_EQ(pool().stats().connections_open, 0u);
  auto next = post(sink);
  EXPECT_EQ(next.status, 204) << why(next);
  EXPECT_FALSE(next.reused_connection);
  EXPECT_EQ(sink.connections_accepted(), 2u);
  EXPECT_EQ(pool().stats().connections_opened, 2u);
  EXPECT_EQ(pool().stats().connections_open, 1u);
}

TEST_F(ConnPoolTest, HangingServerTimesOutWithinTheTimeout) {
  SinkServer sink;
  sink.push(SinkAction::hang_up());
  auto url = url_for(sink);
  auto r = post(url, request_for(url), 300ms);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, delivery_errc::timeout);
  EXPECT_GE(r.latency, std::chrono::microseconds(300'000));
  EXPECT_LT(r.latency, std::chrono::microseconds(1'500'000));
  EXPECT_EQ(pool().stats().connections_open, 0u);
}

TEST_F(ConnPoolTest, CloseWithoutAnswerOnAFreshConnectionIsAnError) {
  SinkServer sink;
  sink.push(SinkAction::drop());
  auto r = post(sink);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, delivery_errc::connection_closed);
  EXPECT_EQ(sink.request_count(), 1u) << "a fresh connection is not retried";
  EXPECT_EQ(pool().stats().retries, 0u);
}

TEST_F(ConnPoolTest, ReusedConnectionClosedBeforeAnsweringIsRetriedOnceFresh) {
  SinkServer sink;
  sink.push(SinkAction::reply(204));
  sink.push(SinkAction::drop());
  EXPECT_EQ(post(sink).status, 204);
  auto r = post(sink);
  EXPECT_EQ(r.status, 204) << why(r);
  EXPECT_FALSE(r.reused_connection);
  EXPECT_EQ(pool().stats().retries, 1u);
  EXPECT_EQ(sink.request_count(), 3u);
  EXPECT_EQ(sink.connections_accepted(), 2u);

  // Only once: a fresh connection that fails too is the attempt's error.
  sink.push(SinkAction::drop());
  sink.push(SinkAction::drop());
  auto twice = post(sink);
  EXPECT_EQ(twice.status, 0);
  EXPECT_EQ(twice.error, delivery_errc::connection_closed);
  EXPECT_EQ(pool().stats().retries, 2u);
}

TEST_F(ConnPoolTest, ConnectionTheSinkClosedWhileIdleIsNotReused) {
  SinkOptions options;
  options.idle_close = 100ms;
  SinkServer sink(options);
  EXPECT_EQ(post(sink).status, 204);
  std::this_thread::sleep_for(300ms);
  auto r = post(sink);
  EXPECT_EQ(r.status, 204) << why(r);
  EXPECT_FALSE(r.reused_connection);
  EXPECT_EQ(pool().stats().retries, 0u) << "EOF is seen before the connection is used";
  EXPECT_EQ(sink.connections_accepted(), 2u);
}

TEST_F(ConnPoolTest, ConnectionIdleLongerThanIdleTimeoutIsClosed) {
  SinkServer sink;
  PoolOptions options;
  options.idle_timeout = 100ms;
  make_pool(options);
  EXPECT_EQ(post(sink).status, 204);
  std::this_thread::sleep_for(200ms);
  auto r = post(sink);
  EXPECT_EQ(r.status, 204);
  EXPECT_FALSE(r.reused_connection);
  EXPECT_EQ(sink.connections_accepted(), 2u);
  EXPECT_EQ(pool().stats().connections_open, 1u);
}

TEST_F(ConnPoolTest, OriginsNothingUsesAreForgotten) {
  SinkServer a, b;
  PoolOptions options;
  options.idle_timeout = 100ms;
  make_pool(options);
  EXPECT_EQ(post(a).status, 204);
  EXPECT_EQ(post(b).status, 204);
  EXPECT_EQ(pool().stats().origins, 2u);
  // Idle reaping runs at most once a second, from a post.
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(post(b).status, 204);
  EXPECT_EQ(pool().stats().origins, 1u) << "a's origin is gone, b's made again";
  EXPECT_EQ(pool().stats().connections_open, 1u);
  EXPECT_EQ(post(a).status, 204);
  EXPECT_EQ(pool().stats().origins, 2u);
}

TEST_F(ConnPoolTest, ConnectionIsRetiredAfterMaxRequests) {
  SinkServer sink;
  PoolOptions options;
  options.max_requests_per_connection = 2;
  make_pool(options);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(post(sink).status, 204);
  EXPECT_EQ(sink.connections_accepted(), 2u);
}

TEST_F(ConnPoolTest, RetryAfterIsSurfaced) {
  SinkServer sink;
  sink.push(SinkAction::reply(503, {{"Retry-After", "7"}}));
  sink.push(SinkAction::reply(429, {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}));
  auto r = post(sink);
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.error) << why(r);
  EXPECT_EQ(r.retry_after, "7");
  auto limited = post(sink);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.retry_after, "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_TRUE(limited.reused_connection);
}

TEST_F(ConnPoolTest, BodyExcerptIsTheFirstKibibyte) {
  SinkServer sink;
  std::string body;
  for (int i = 0; body.size() < 5000; ++i) body += std::to_string(i) + ",";
  sink.push(SinkAction::reply(500, {{"Content-Type", "text/plain"}}, body));
  auto r = post(sink);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body_excerpt, body.substr(0, 1024));
  EXPECT_TRUE(post(sink).reused_connection) << "a body read to its end keeps the connection";
}

TEST_F(ConnPoolTest, HugeBodyKeepsTheStatusAndClosesTheConnection) {
  SinkServer sink;
  std::string body(3 * 1024 * 1024, 'z');
  body[0] = 'a';
  sink.push(SinkAction::reply(400, {}, body));
  auto r = post(sink);
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.error) << why(r);
  EXPECT_EQ(r.body_excerpt, body.substr(0, 1024));
  EXPECT_EQ(pool().stats().connections_open, 0u);
  auto next = post(sink);
  EXPECT_EQ(next.status, 204);
  EXPECT_FALSE(next.reused_connection);
}

TEST_F(ConnPoolTest, RefusedConnectionIsReported) {
  std::uint16_t port = 0;
  {
    net::io_context ioc;
    net::ip::tcp::acceptor acceptor(ioc,
                                    net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  TargetUrl url{false, "127.0.0.1", port, "/"};
  auto r = post(url, request_for(url));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, delivery_errc::connect_failed);
  EXPECT_EQ(pool().stats().connections_open, 0u);
}

TEST_F(ConnPoolTest, UnsafeHeaderIsRefusedWithoutConnecting) {
  SinkServer sink;
  auto url = url_for(sink);
  auto req = request_for(url);
  req.headers.emplace_back("X-Custom", "a\r\nX-Injected: 1");
  auto r = post(url, req);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, delivery_errc::unsafe_header) << why(r);
  EXPECT_EQ(sink.connections_accepted(), 0u);
}

TEST_F(ConnPoolTest, HeaderTooLongToEncodeIsRefusedWithoutConnecting) {
  SinkServer sink;
  auto url = url_for(sink);
  auto req = request_for(url);
  req.headers.emplace_back("X-Custom", std::string(70'000, 'a'));  // over HTTP/1.1 field bounds
  auto r = post(url, req);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, delivery_errc::invalid_request) << why(r);
  EXPECT_EQ(sink.connections_accepted(), 0u);
}

// Each origin goes to the shard with the fewest origins, the first executor
// on a tie: the first and third origins here run on the test's own
// io_context, the second on `other`, which runs only once the others are done.
TEST_F(ConnPoolTest, OriginsArePlacedOnTheShardWithTheFewestFirstExecutorFirst) {
  SinkServer a, b, c;
  net::io_context other(1);
  auto pool = std::make_unique<ConnPool>(
      std::vector<net::any_io_executor>{ioc_->get_executor(), other.get_executor()}, PoolOptions{});
  PostResult ra, rb, rc;
  bool done_a = false, done_b = false, done_c = false;
  auto spawn = [&](SinkServer& sink, PostResult& out, bool& done) {
    auto url = url_for(sink);
    net::co_spawn(*ioc_, post_into(*pool, url, std::nullopt, request_for(url), 5s, out),
                  [&done](std::exception_ptr) { done = true; });
  };
  spawn(a, ra, done_a);  // started in this order when ioc_ runs
  spawn(b, rb, done_b);
  spawn(c, rc, done_c);
  auto run_until = [&](auto ready) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!ready() && std::chrono::steady_clock::now() < deadline) {
      if (ioc_->stopped()) ioc_->restart();
      ioc_->run_one_for(20ms);
    }
    return ready();
  };
  auto leak = [&] {
    leaked_ = true;
    (void)pool.release();
  };
  if (!run_until([&] { return done_a && done_c; })) {
    leak();
    FAIL() << "posts to the first and third origins did not finish on the first executor";
  }
  EXPECT_EQ(ra.status, 204) << why(ra);
  EXPECT_EQ(rc.status, 204) << why(rc);
  EXPECT_FALSE(done_b);
  EXPECT_EQ(b.connections_accepted(), 0u);  // its shard has not run

  auto work = net::make_work_guard(other);
  std::thread runner([&] { other.run(); });
  const bool b_done = run_until([&] { return done_b; });
  work.reset();
  other.stop();
  runner.join();
  if (!b_done) {
    leak();
    FAIL() << "the second origin's post did not finish once its shard ran";
  }
  EXPECT_EQ(rb.status, 204) << why(rb);
  EXPECT_EQ(pool->stats().requests, 3u);
  pool.reset();  // its sockets on `other` close before `other` goes
}

}  // namespace
}  // namespace hookd::test
