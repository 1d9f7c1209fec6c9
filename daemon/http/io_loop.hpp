#pragma once
// IoLoop: runs one io thread's io_context, and polls instead of sleeping
// while a light load waits on another thread's answer.
//
// Why: on this kind of virtual machine an idle vCPU halts at once, and
// waking it for a completion posted from the storage writer costs tens of
// microseconds, about a sixth of a one-connection ack. So while between one
// and kMaxAwaitedToPoll completions are awaited on this loop, and nothing
// is ready, run() polls the context (sched_yield between polls, so a thread
// waiting for this CPU gets it) for up to `busy_poll` before it parks, and
// it keeps polling for `busy_poll` after running a handler while an await
// was open (the answer, or the next request of the same light load). Under
// more load than that, the loop parks at once, and for `busy_poll` after it
// last awaited more (the count dips between two groups of writes): the
// completions come in groups anyway, and polling would take CPU from the
// work that produces them. A loop that awaits nothing never polls. A
// busy_poll of 0 is a plain io_context::run().
//
// Use: each io thread runs its context through its own IoLoop. A caller
// that hands work to another thread calls await_begin() on the loop of the
// thread it runs on (current(), null on threads without one) and
// await_end() on the same loop when the completion has been delivered.
//
// Threads: run() on the loop's own thread; current() per thread;
// await_begin() and await_end() from any thread. Lifetime: a loop outlives
// the io_context it runs (declare it first), since handlers that end an
// await can be destroyed with the context.

#include "daemon/http/net.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hookd::daemon {

class IoLoop {
 public:
  // More awaited completions than this: park without polling.
  static constexpr std::int32_t kMaxAwaitedToPoll = 4;

  IoLoop() = default;
  IoLoop(const IoLoop&) = delete;
  IoLoop& operator=(const IoLoop&) = delete;

  // Runs `ioc` until it stops or runs out of work, as io_context::run()
  // does (exceptions from handlers propagate the same way).
  void run(net::io_context& ioc, std::chrono::microseconds busy_poll);

  // The loop whose run() is on the calling thread; null if none.
  static IoLoop* current() noexcept;

  void await_begin() noexcept { awaited_.fetch_add(1, std::memory_order_relaxed); }
  void await_end() noexcept { awaited_.fetch_sub(1, std::memory_order_relaxed); }
  std::int32_t awaited() const noexcept { return awaited_.load(std::memory_order_relaxed); }

  // How many times run() found a handler while polling (for tests).
  std::uint64_t polled_wakeups() const noexcept {
    return polled_wakeups_.load(std::memory_order_relaxed);
  }

 private:
  // True once a handler ran; false when `deadline` passed without one, or
  // the context stopped.
  bool poll_until(net::io_context& ioc, std::chrono::steady_clock::time_point deadline);

  std::atomic<std::int32_t> awaited_{0};
  std::atomic<std::uint64_t> polled_wakeups_{0};
};

}  // namespace hookd::daemon
