#pragma once
// IdleWatch: HttpServer's wait for a plain-TCP request's first byte (see
// http_server.cpp). Not for other users. Threads: the session's executor.

#include "daemon/http/net.hpp"

#include <chrono>
#include <memory>

namespace hookd::daemon {

// The wait for a request's first byte, on plain TCP. Its timer is re-armed
// lazily: starting a wait only moves the deadline, and the timer, when it
// goes off before that deadline, sleeps again until it; so a busy
// keep-alive connection costs no timer operation per request. Past the
// deadline of a wait still running it cancels the socket's read.
class IdleWatch {
 public:
  explicit IdleWatch(tcp::socket& socket)
      : state_(std::make_shared<State>(socket)) {}
  IdleWatch(const IdleWatch&) = delete;
  IdleWatch& operator=(const IdleWatch&) = delete;
  ~IdleWatch() {
    state_->socket = nullptr;  // a handler still queued finds the session gone
    state_->timer.cancel();
  }

  void start(std::chrono::steady_clock::time_point until) {
    State& s = *state_;
    s.until = until;
    s.waiting = true;
    s.fired = false;
    if (s.armed && s.armed_at <= until) return;  // it wakes in time and sleeps again
    arm(state_, until);
  }
  // Ends the wait; true when it ran out (the read was cancelled for it).
  bool stop() {
    state_->waiting = false;
    return state_->fired;
  }

 private:
  struct State {
    explicit State(tcp::socket& s) : socket(&s), timer(s.get_executor()) {}
    tcp::socket* socket;
    net::steady_timer timer;
    std::chrono::steady_clock::time_point until{};
    std::chrono::steady_clock::time_point armed_at{};
    bool armed = false;
    bool waiting = false;
    bool fired = false;
  };

  static void arm(const std::shared_ptr<State>& state, std::chrono::steady_clock::time_point at) {
    state->armed = true;
    state->armed_at = at;
    state->timer.expires_at(at);  // cancels an earlier wait, whose handler then does nothing
    state->timer.async_wait([state, at](beast::error_code ec) {
      State& s = *state;
      if (ec || s.socket == nullptr || s.armed_at != at) return;  // cancelled, gone or re-armed
      s.armed = false;
      if (!s.waiting) return;  // the next wait arms it again
      if (std::chrono::steady_clock::now() < s.until) {
        arm(state, s.until);
        return;
      }
      s.fired = true;
      beast::error_code ignored;
      s.socket->cancel(ignored);
    });
  }

  std::shared_ptr<State> state_;
};

}  // namespace hookd::daemon
