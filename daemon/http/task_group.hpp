#pragma once
// TaskGroup: the coroutines hookd spawns (connection sessions, delivery
// attempts, background jobs), so that shutdown can reach them all: emit()
// sends a cancellation to every live task, wait() waits (with a deadline)
// until all have completed. After Beast's develop-branch task_group.
//
// Use: net::co_spawn(ex, task(), group.adapt()). A task's completion removes
// it from the group; an exception that escaped it is logged as a bug
// (log_if_exception). Asio ops inside a task see terminal cancellation by
// default; a task that wants total or partial cancellation resets its
// cancellation state.
//
// Threads: one io_context thread (the executor of every task and of wait()).
// Lifetime: the group outlives its tasks and the io_context they run on:
// tasks left when the loop stops are destroyed with the io_context, and
// their cancellation slots still point into the group then.

#include "daemon/http/http_server.hpp"  // log_if_exception
#include "daemon/http/net.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <chrono>
#include <exception>
#include <list>

namespace hookd::daemon {

class TaskGroup {
 public:
  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // A completion token for co_spawn that registers the task in the group.
  auto adapt() {
    auto it = signals_.emplace(signals_.end());
    return net::bind_cancellation_slot(it->slot(), [this, it](std::exception_ptr e) {
      signals_.erase(it);
      log_if_exception(e);
      if (signals_.empty() && waiting_) waiting_->cancel();
    });
  }

  // Sends `type` to every task running now.
  void emit(net::cancellation_type type) {
    for (auto& s : signals_) s.emit(type);
  }

  // Waits until every task has completed or `deadline` passed; true when
  // the group is empty.
  net::awaitable<bool> wait(std::chrono::steady_clock::time_point deadline) {
    net::steady_timer timer(co_await net::this_coro::executor);
    waiting_ = &timer;
    while (!signals_.empty() && std::chrono::steady_clock::now() < deadline) {
      timer.expires_at(deadline);
      co_await timer.async_wait(use_tuple);
    }
    waiting_ = nullptr;
    co_return signals_.empty();
  }

  std::size_t size() const noexcept { return signals_.size(); }

 private:
  std::list<net::cancellation_signal> signals_;
  net::steady_timer* waiting_ = nullptr;  // wait()'s timer, woken when the group empties
};

}  // namespace hookd::daemon
