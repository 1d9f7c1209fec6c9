#pragma once
// StorageReader: the storage reader pool (STYLE: "Blocking work never runs on
// an io thread"). Scans, listings, multi-key reads and file-system reads of
// the admin path run here; the awaiting coroutine resumes on its own (io)
// executor with the result, on the same pattern as async_store_write.
//
//   auto read = [store, after] { return store->list_events(after, 256); };
//   auto page = co_await reader.run(std::move(read));
//
// Name the callable (a local of the coroutine) rather than passing a lambda
// temporary inside the co_await expression, and keep the types it returns at
// namespace scope: g++ 12 corrupted the heap with closures holding strings as
// co_await temporaries and with structs local to a coroutine body.
// The callable runs on a pool thread: it must capture by value, or refer only
// to what outlives the wait (services owned by App, or locals of the awaiting
// coroutine: its frame stays alive until it resumes). It must return a
// result<T> (or anything constructible from an error_code): when
// `max_queued` reads are already queued or running, run() does not queue it
// and completes (posted, on the awaiting executor) with storage_errc::busy (the admin API answers 503
// with Retry-After: 1). An exception thrown by the callable is rethrown in the
// awaiting coroutine.
//
// Threads: run() may be called from any io thread; the callable runs on one
// of `threads` pool threads. Lifetime: the store (and whatever the callables
// read) and the io_context outlive join(); App joins the reader after the io
// loop ended and before the store closes.

#include "core/errors.hpp"
#include "daemon/http/net.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/post.hpp>

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <latch>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace hookd::daemon {

class StorageReader {
 public:
  static constexpr std::size_t kDefaultThreads = 2;
  static constexpr std::size_t kDefaultMaxQueued = 32;

  // `name` (at most 15 characters) names the threads, for top -H and perf.
  explicit StorageReader(const char* name, std::size_t threads = kDefaultThreads,
                         std::size_t max_queued = kDefaultMaxQueued)
      : pool_(threads), max_queued_(max_queued) {
    // One naming task per thread: each waits for all, so no thread takes two.
    auto all = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(threads));
    for (std::size_t i = 0; i < threads; ++i)
      net::post(pool_, [all, name] {
        pthread_setname_np(pthread_self(), name);
        all->arrive_and_wait();
      });
  }
  ~StorageReader() { join(); }
  StorageReader(const StorageReader&) = delete;
  StorageReader& operator=(const StorageReader&) = delete;

  // Runs every read already queued, then stops the threads.
  void join() { pool_.join(); }

  // Reads queued or running now.
  std::size_t queued() const noexcept { return queued_.load(std::memory_order_relaxed); }
  std::size_t max_queued() const noexcept { return max_queued_; }

  // Not a coroutine: `f` goes to the heap here and only a pointer crosses
  // Asio's initiation (which copies its arguments into a coroutine frame).
  template <class F>
  net::awaitable<std::invoke_result_t<F&>> run(F f) {
    using R = std::invoke_result_t<F&>;
    static_assert(std::is_default_constructible_v<R>);
    F* fn = new F(std::move(f));
    return net::async_initiate<decltype(net::use_awaitable), void(std::exception_ptr, R)>(
        [this, fn](auto handler) { start(std::move(handler), fn); }, net::use_awaitable);
  }

 private:
  template <class Handler, class F>
  void start(Handler handler, F* fn) {
    using R = std::invoke_result_t<F&>;
    auto work = net::make_work_guard(net::get_associated_executor(handler));
    if (queued_.fetch_add(1, std::memory_order_relaxed) >= max_queued_) {
      queued_.fetch_sub(1, std::memory_order_relaxed);
      delete fn;
      complete(std::move(handler), std::move(work), nullptr, R(error_code(storage_errc::busy)));
      return;
    }
    net::post(pool_, [this, handler = std::move(handler), work = std::move(work), fn]() mutable {
      std::exception_ptr ep;
      R out{};
      try {
        out = (*fn)();
      } catch (...) {
        ep = std::current_exception();
      }
      delete fn;
      queued_.fetch_sub(1, std::memory_order_relaxed);
      complete(std::move(handler), std::move(work), ep, std::move(out));
    });
  }

  // Resumes the awaiting coroutine on its own executor.
  template <class Handler, class Work, class R>
  static void complete(Handler handler, Work work, std::exception_ptr ep, R out) {
    auto io = work.get_executor();
    net::post(io, [handler = std::move(handler), work = std::move(work), ep,
                   out = std::move(out)]() mutable {
      work.reset();
      std::move(handler)(ep, std::move(out));
    });
  }

  net::thread_pool pool_;
  const std::size_t max_queued_;
  std::atomic<std::size_t> queued_{0};
};

}  // namespace hookd::daemon
