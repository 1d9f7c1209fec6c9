#include "daemon/http/io_loop.hpp"

#include <sched.h>

namespace hookd::daemon {

namespace {
thread_local IoLoop* current_loop = nullptr;
}  // namespace

IoLoop* IoLoop::current() noexcept { return current_loop; }

void IoLoop::run(net::io_context& ioc, std::chrono::microseconds busy_poll) {
  IoLoop* const outer = current_loop;
  current_loop = this;
  struct Restore {
    IoLoop* outer;
    ~Restore() { current_loop = outer; }
  } restore{outer};
  if (busy_poll.count() <= 0) {
    ioc.run();
    return;
  }
  using clock = std::chrono::steady_clock;
  // When this loop last ran a handler with a completion awaited (before or
  // after it): polling continues for busy_poll after that, since the next
  // request of the same light load comes soon. A loop that awaits nothing
  // (outbound connections only) never polls.
  clock::time_point last_awaited = clock::time_point::min() + busy_poll;
  // When this loop last saw more than kMaxAwaitedToPoll completions awaited:
  // for busy_poll after that the load counts as heavy, and the loop parks
  // at once even while the count dips (between two groups of writes).
  clock::time_point last_heavy = clock::time_point::min() + busy_poll;
  for (;;) {
    const std::int32_t n = awaited();
    const clock::time_point now = clock::now();
    if (n > kMaxAwaitedToPoll) last_heavy = now;
    if (n <= kMaxAwaitedToPoll && now >= last_heavy + busy_poll) {
      const clock::time_point until = n > 0 ? now + busy_poll : last_awaited + busy_poll;
      if (until > now && poll_until(ioc, until)) {
        if (n > 0 || awaited() > 0) last_awaited = clock::now();
        continue;
      }
    }
    if (ioc.run_one() == 0) return;  // stopped, or out of work
    if (n > 0 || awaited() > 0) last_awaited = clock::now();
  }
}

bool IoLoop::poll_until(net::io_context& ioc, std::chrono::steady_clock::time_point deadline) {
  do {
    if (ioc.poll_one() > 0) {
      polled_wakeups_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    if (ioc.stopped()) return false;
    ::sched_yield();
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

}  // namespace hookd::daemon
