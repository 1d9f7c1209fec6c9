// IoLoop (daemon/http/io_loop.hpp): an io thread polls for a completion it
// awaits from another thread only under a light load, never when it awaits
// nothing or more than kMaxAwaitedToPoll, and it ends as io_context::run()
// does. async_store_write counts as an await while the store holds it.
#include "daemon/http/io_loop.hpp"
#include "daemon/store_async.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/co_spawn.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

namespace hookd::test {
namespace {

using daemon::IoLoop;
namespace net = daemon::net;
using namespace std::chrono_literals;

// A generous budget: the loop must not run out of it before a completion
// posted 2 ms later arrives, however slow the machine.
constexpr std::chrono::microseconds kBudget = 2s;

// Runs `loop` on its own thread and returns its future result.
std::future<void> start(IoLoop& loop, net::io_context& ioc, std::chrono::microseconds budget) {
  return std::async(std::launch::async, [&loop, &ioc, budget] { loop.run(ioc, budget); });
}

// Posts `handler` to `ioc` from another thread, `delay` from now.
std::thread post_later(net::io_context& ioc, std::chrono::milliseconds delay,
                       std::function<void()> handler) {
  return std::thread([&ioc, delay, handler = std::move(handler)] {
    std::this_thread::sleep_for(delay);
    net::post(ioc, handler);
  });
}

TEST(IoLoopTest, AnAwaitedCompletionIsFoundByPolling) {
  IoLoop loop;
  net::io_context ioc{1};
  auto work = net::make_work_guard(ioc);
  std::atomic<bool> done{false};
  std::thread poster;
  net::post(ioc, [&] {
    EXPECT_EQ(IoLoop::current(), &loop);
    loop.await_begin();
    poster = post_later(ioc, 2ms, [&] {
      loop.await_end();
      done = true;
      work.reset();
    });
  });
  auto ran = start(loop, ioc, kBudget);
  ASSERT_EQ(ran.wait_for(10s), std::future_status::ready);
  ran.get();
  poster.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(loop.awaited(), 0);
  EXPECT_GE(loop.polled_wakeups(), 1u);
  EXPECT_EQ(IoLoop::current(), nullptr);  // only inside run()
}

TEST(IoLoopTest, ALoopThatAwaitsNothingParks) {
  IoLoop loop;
  net::io_context ioc{1};
  auto work = net::make_work_guard(ioc);
  std::thread poster;
  std::atomic<int> ran_handlers{0};
  net::post(ioc, [&] {
    ++ran_handlers;
    poster = post_later(ioc, 2ms, [&] {
      ++ran_handlers;
      work.reset();
    });
  });
  auto ran = start(loop, ioc, kBudget);
  ASSERT_EQ(ran.wait_for(10s), std::future_status::ready);
  poster.join();
  EXPECT_EQ(ran_handlers, 2);
  EXPECT_EQ(loop.polled_wakeups(), 0u);
}

TEST(IoLoopTest, MoreAwaitedThanTheLimitParks) {
  IoLoop loop;
  net::io_context ioc{1};
  auto work = net::make_work_guard(ioc);
  std::thread poster;
  net::post(ioc, [&] {
    for (int i = 0; i <= IoLoop::kMaxAwaitedToPoll; ++i) loop.await_begin();
    poster = post_later(ioc, 2ms, [&] {
      for (int i = 0; i <= IoLoop::kMaxAwaitedToPoll; ++i) loop.await_end();
      work.reset();
    });
  });
  auto ran = start(loop, ioc, kBudget);
  ASSERT_EQ(ran.wait_for(10s), std::future_status::ready);
  poster.join();
  EXPECT_EQ(loop.polled_wakeups(), 0u);
}

TEST(IoLoopTest, ZeroBudgetIsAPlainRun) {
  IoLoop loop;
  net::io_context ioc{1};
  auto work = net::make_work_guard(ioc);
  std::thread poster;
  net::post(ioc, [&] {
    EXPECT_EQ(IoLoop::current(), &loop);
    loop.await_begin();
    poster = post_later(ioc, 2ms, [&] {
      loop.await_end();
      work.reset();
    });
  });
  auto ran = start(loop, ioc, 0us);
  ASSERT_EQ(ran.wait_for(10s), std::future_status::ready);
  poster.join();
  EXPECT_EQ(loop.polled_wakeups(), 0u);
}

TEST(IoLoopTest, StopEndsALoopThatIsPolling) {
  IoLoop loop;
  net::io_context ioc{1};
  auto work = net::make_work_guard(ioc);
  std::atomic<bool> polling{false};
  net::post(ioc, [&] {
    loop.await_begin();  // never ended: the loop polls until stopped
    polling = true;
  });
  auto ran = start(loop, ioc, std::chrono::microseconds(10s));
  while (!polling) std::this_thread::sleep_for(1ms);
  ioc.stop();
  EXPECT_EQ(ran.wait_for(5s), std::future_status::ready);
}

TEST(IoLoopTest, AStoreWriteIsAwaitedUntilItsCompletionRuns) {
  IoLoop loop;
  net::io_context ioc{1};
  std::promise<std::int32_t> awaited_while_held;
  std::optional<error_code> result;
  std::thread writer;
  auto task = [&]() -> net::awaitable<void> {
    auto [ec] = co_await daemon::async_store_write(
        [&](storage::EventStore::Done done) -> error_code {
          writer = std::thread([&loop, &awaited_while_held, done = std::move(done)] {
            std::this_thread::sleep_for(2ms);
            awaited_while_held.set_value(loop.awaited());
            done(storage_errc::busy);
          });
          return {};
        },
        daemon::use_tuple);
    result = ec;
    EXPECT_EQ(loop.awaited(), 0);
  };
  net::co_spawn(ioc, task(), [](std::exception_ptr e) { EXPECT_FALSE(e); });
  auto ran = start(loop, ioc, kBudget);
  ASSERT_EQ(ran.wait_for(10s), std::future_status::ready);
  ran.get();
  writer.join();
  EXPECT_EQ(awaited_while_held.get_future().get(), 1);
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, storage_errc::busy);
}

}  // namespace
}  // namespace hookd::test
