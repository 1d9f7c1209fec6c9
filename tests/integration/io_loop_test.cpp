// IoLoop (daemon/http/io_loop.hpp): an io thread polls for a completion it
// awaits from another thread only under a light load, never when it awaits
// nothing or more than kMaxAwaitedToPoll (or did within its budget), and it
// ends as io_context::run() does. async_store_write<StoreWait::poll> counts as an await while the
// store holds it; the default StoreWait::sleep does not.
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

// Runs a fresh loop with `budget` over one exchange: a first handler begins
// `awaits` awaits; 2 ms later another thread posts the second handler, which
// ends them and releases the context. What the loop did, once run() returned.
struct Exchange {
  int handlers_ran = 0;
  bool current_was_loop = false;  // IoLoop::current() inside the first handler
  std::int32_t awaited_after = -1;
  std::uint64_t polled_wakeups = 0;
};
Exchange run_exchange(int awaits, std::chrono::microseconds budget) {
  IoLoop loop;
  net::io_context ioc{1};
  auto work = net::make_work_guard(ioc);
  Exchange out;
  std::thread poster;
  net::post(ioc, [&] {
    ++out.handlers_ran;
    out.current_was_loop = IoLoop::current() == &loop;
    for (int i = 0; i < awaits; ++i) loop.await_begin();
    poster = post_later(ioc, 2ms, [&] {
      for (int i = 0; i < awaits; ++i) loop.await_end();
      ++out.handlers_ran;
      work.reset();
    });
  });
  auto ran = start(loop, ioc, budget);
  EXPECT_EQ(ran.wait_for(10s), std::future_status::ready);
  ran.get();
  poster.join();
  out.awaited_after = loop.awaited();
  out.polled_wakeups = loop.polled_wakeups();
  return out;
}

TEST(IoLoopTest, AnAwaitedCompletionIsFoundByPolling) {
  const Exchange e = run_exchange(1, kBudget);
  EXPECT_EQ(e.handlers_ran, 2);
  EXPECT_TRUE(e.current_was_loop);
  EXPECT_EQ(e.awaited_after, 0);
  EXPECT_GE(e.polled_wakeups, 1u);
  EXPECT_EQ(IoLoop::current(), nullptr);  // only inside run()
}

TEST(IoLoopTest, ALoopThatAwaitsNothingParks) {
  const Exchange e = run_exchange(0, kBudget);
  EXPECT_EQ(e.handlers_ran, 2);
  EXPECT_EQ(e.polled_wakeups, 0u);
}

TEST(IoLoopTest, MoreAwaitedThanTheLimitParks) {
  const Exchange e = run_exchange(IoLoop::kMaxAwaitedToPoll + 1, kBudget);
  EXPECT_EQ(e.handlers_ran, 2);
  EXPECT_EQ(e.awaited_after, 0);
  EXPECT_EQ(e.polled_wakeups, 0u);
}

// A heavy load's count of awaited completions dips between its groups: a
// loop that awaited more than kMaxAwaitedToPoll within the budget parks at
// once even while the count is low. Here the first handler begins one await
// more than the limit; 2 ms later a second ends all but one of them, and
// 2 ms after that a third ends the last. Between the second and the third
// a single await is open, which alone would be polled for (above).
TEST(IoLoopTest, ALoadThatWasHeavyWithinTheBudgetParks) {
  IoLoop loop;
  net::io_context ioc{1};
  auto work = net::make_work_guard(ioc);
  const int awaits = IoLoop::kMaxAwaitedToPoll + 1;
  int handlers_ran = 0;
  std::thread second, third;
  net::post(ioc, [&] {
    ++handlers_ran;
    for (int i = 0; i < awaits; ++i) loop.await_begin();
    second = post_later(ioc, 2ms, [&] {
      ++handlers_ran;
      for (int i = 1; i < awaits; ++i) loop.await_end();
      third = post_later(ioc, 2ms, [&] {
        ++handlers_ran;
        loop.await_end();
        work.reset();
      });
    });
  });
  auto ran = start(loop, ioc, kBudget);
  ASSERT_EQ(ran.wait_for(10s), std::future_status::ready);
  ran.get();
  second.join();
  third.join();
  EXPECT_EQ(handlers_ran, 3);
  EXPECT_EQ(loop.awaited(), 0);
  EXPECT_EQ(loop.polled_wakeups(), 0u);
}

TEST(IoLoopTest, ZeroBudgetIsAPlainRun) {
  const Exchange e = run_exchange(1, 0us);
  EXPECT_EQ(e.handlers_ran, 2);
  EXPECT_TRUE(e.current_was_loop);
  EXPECT_EQ(e.polled_wakeups, 0u);
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

// Runs one async_store_write<Wait> whose store completes it 2 ms later, from
// another thread, with storage_errc::busy; returns how many awaits the loop
// counted while the store held it.
template <daemon::StoreWait Wait>
std::int32_t awaited_during_store_write() {
  IoLoop loop;
  net::io_context ioc{1};
  std::promise<std::int32_t> awaited_while_held;
  std::optional<error_code> result;
  std::thread writer;
  auto task = [&]() -> net::awaitable<void> {
    auto [ec] = co_await daemon::async_store_write<Wait>(
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
  EXPECT_EQ(ran.wait_for(10s), std::future_status::ready);
  ran.get();
  writer.join();
  EXPECT_TRUE(result);
  if (result) EXPECT_EQ(*result, storage_errc::busy);
  return awaited_while_held.get_future().get();
}

TEST(IoLoopTest, APolledStoreWriteIsAwaitedUntilItsCompletionRuns) {
  EXPECT_EQ(awaited_during_store_write<daemon::StoreWait::poll>(), 1);
}

// An outcome's or an admin change's write: nobody waits on its latency, so
// the loop does not poll for it.
TEST(IoLoopTest, AnUnpolledStoreWriteIsNotCountedAsAwaited) {
  EXPECT_EQ(awaited_during_store_write<daemon::StoreWait::sleep>(), 0);
}

}  // namespace
}  // namespace hookd::test
