#pragma once
// Awaiting the store's writer from the io thread: the store calls `done` on
// its writer thread; the completion is posted back to the awaiting
// coroutine's executor, so the coroutine resumes on the io thread. A wait
// made with StoreWait::poll (an ingest's write, whose sender waits for the
// ack) counts as awaited on the io thread's IoLoop (io_loop.hpp), which may
// poll for the answer instead of sleeping; any other (an attempt's outcome,
// an admin change) does not, so a thread that only records outcomes never
// spins for them.

#include "core/errors.hpp"
#include "daemon/http/io_loop.hpp"
#include "daemon/http/net.hpp"
#include "storage/event_store.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <utility>

namespace hookd::daemon {

// `submit(done)` queues one write and returns an error when it could not be
// queued (then `done` is never called). Completes with the write's error_code.
enum class StoreWait { sleep, poll };

template <StoreWait Wait = StoreWait::sleep, class Submit, class Token>
auto async_store_write(Submit submit, Token&& token) {
  return net::async_initiate<Token, void(error_code)>(
      [](auto handler, Submit submit) {
        using H = decltype(handler);
        auto ex = net::get_associated_executor(handler);
        struct State {
          H handler;
          net::executor_work_guard<decltype(ex)> work;
        };
        auto state = std::make_shared<State>(State{std::move(handler), net::make_work_guard(ex)});
        IoLoop* loop = Wait == StoreWait::poll ? IoLoop::current() : nullptr;
        if (loop != nullptr) loop->await_begin();
        auto complete = [state, loop](error_code ec) {
          auto ex = state->work.get_executor();
          net::post(ex, [state, loop, ec]() mutable {
            if (loop != nullptr) loop->await_end();
            state->work.reset();
            std::move(state->handler)(ec);
          });
        };
        if (auto ec = submit(storage::EventStore::Done(complete))) complete(ec);
      },
      token, std::move(submit));
}

}  // namespace hookd::daemon
