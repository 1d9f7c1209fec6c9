#pragma once
// The deadlines of HttpServer's session reads (see http_server.cpp):
// IdleWatch for a plain-TCP request's first byte, ReadDeadline for a
// request's head and body. Not for other users. Threads: the session's
// executor.

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

// A request's read deadline, for its head and then its body: on expiry it
// cancels the socket's reads (not the socket) so that a 408 can still be
// sent. arm() replaces the previous wait. The state a handler sees is shared
// and disarmed with the timer (and when the deadline goes), so a handler
// already queued when its read completed touches nothing: not this request's
// result, not the next request's read, not a socket that has gone.
class ReadDeadline {
 public:
  explicit ReadDeadline(tcp::socket& socket) : socket_(socket), timer_(socket.get_executor()) {}
  ReadDeadline(const ReadDeadline&) = delete;
  ReadDeadline& operator=(const ReadDeadline&) = delete;
  ~ReadDeadline() { disarm(); }

  void arm(std::chrono::steady_clock::time_point at) {
    disarm();
    state_ = std::make_shared<State>();
    timer_.expires_at(at);
    timer_.async_wait([&socket = socket_, state = state_](beast::error_code ec) {
      if (ec || !state->live) return;
      state->fired = true;
      beast::error_code ignored;
      socket.cancel(ignored);
    });
  }
  void disarm() {
    if (!state_) return;
    state_->live = false;
    timer_.cancel();
  }
  // True when the last wait ran out (its read was cancelled for it).
  bool fired() const { return state_ && state_->fired; }

 private:
  struct State {
    bool live = true;
    bool fired = false;
  };
  tcp::socket& socket_;
  net::steady_timer timer_;
  std::shared_ptr<State> state_;  // null until armed
};

}  // namespace hookd::daemon
