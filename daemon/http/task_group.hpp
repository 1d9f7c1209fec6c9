#pragma once
// TaskGroup: the coroutines hookd spawns (connection sessions, delivery
// attempts, background jobs), so that shutdown can reach them all: emit()
// sends a cancellation to every live task, wait() waits (with a deadline)
// until all have completed. After Beast's develop-branch task_group.
//
// Use: net::co_spawn(ex, task(), group.adapt(ex)). A task's completion
// removes it from the group; an exception that escaped it is logged as a bug
// (log_if_exception). Asio ops inside a task see terminal cancellation by
// default; a task that wants total or partial cancellation resets its
// cancellation state.
//
// Threads: tasks may run on several io_contexts (one per io thread). Each
// task's cancellation signal is emitted on its own executor (emit() posts
// it there), since Asio's cancellation slots are not thread-safe; adapt(),
// emit(), size() and wait() may be called from any io thread, the set is
// guarded by a mutex. Lifetime: the group outlives its tasks and the
// io_contexts they run on: tasks left when the loops stop are destroyed with
// their io_context, and their cancellation slots still point into the group.

#include "daemon/http/http_server.hpp"  // log_if_exception
#include "daemon/http/net.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <exception>
#include <list>
#include <memory>
#include <mutex>
#include <optional>

namespace hookd::daemon {

class TaskGroup {
 public:
  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // A completion token for co_spawn on `ex` that registers the task in the group.
  auto adapt(net::any_io_executor ex) {
    auto entry = std::make_shared<Entry>(std::move(ex));
    std::list<std::shared_ptr<Entry>>::iterator it;
    {
      std::lock_guard lock(mu_);
      it = entries_.insert(entries_.end(), entry);
    }
    // The completion runs on the task's executor, as do the emits posted to it.
    return net::bind_cancellation_slot(entry->signal.slot(), [this, entry, it](std::exception_ptr e) {
      entry->done = true;
      log_if_exception(e);
      std::lock_guard lock(mu_);
      entries_.erase(it);
      if (entries_.empty() && waiter_) {
        net::post(*waiter_, [this] {
          if (waiting_) waiting_->cancel();
        });
      }
    });
  }

  // Sends `type` to every task running now, each on its own executor.
  void emit(net::cancellation_type type) {
    std::lock_guard lock(mu_);
    for (auto& e : entries_)
      net::post(e->ex, [e, type] {
        if (!e->done) e->signal.emit(type);
      });
  }

  // Waits until every task has completed or `deadline` passed; true when
  // the group is empty. One waiter at a time.
  net::awaitable<bool> wait(std::chrono::steady_clock::time_point deadline) {
    auto ex = co_await net::this_coro::executor;
    net::steady_timer timer(ex);
    {
      std::lock_guard lock(mu_);
      waiter_ = ex;
    }
    waiting_ = &timer;
    while (size() > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_at(deadline);
      co_await timer.async_wait(use_tuple);
    }
    waiting_ = nullptr;
    {
      std::lock_guard lock(mu_);
      waiter_.reset();
    }
    co_return size() == 0;
  }

  std::size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    explicit Entry(net::any_io_executor e) : ex(std::move(e)) {}
    net::any_io_executor ex;
    net::cancellation_signal signal;
    bool done = false;  // read and written on `ex` only
  };
  mutable std::mutex mu_;
  std::list<std::shared_ptr<Entry>> entries_;
  std::optional<net::any_io_executor> waiter_;  // wait()'s executor, while it waits
  net::steady_timer* waiting_ = nullptr;        // wait()'s timer; used on waiter_ only
};

}  // namespace hookd::daemon
