#pragma once
// OriginBreaker: the probe state machine of one origin (scheme://host:port).
// After `threshold` consecutive failed attempts (no response, 5xx, 429) the
// origin is failing: one probe at a time, none before the cooldown tick;
// every other delivery due for it is held (spending no attempt) until a probe
// succeeds, and then all are released at once. While held deliveries wait,
// exactly one of them is handed back to wake at the cooldown's end, so that
// a failing origin always has a way forward even when no probe is running.
//
// Pure and clock-free: the caller passes ticks and schedules the tokens the
// breaker hands back. Tokens are the caller's handles of deliveries. Not
// thread-safe; one owner.

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace hookd {

class OriginBreaker {
 public:
  using Token = std::uint32_t;

  explicit OriginBreaker(int threshold = 3) : threshold_(threshold) {}

  enum class Admit {
    send,        // not failing: attempt it
    probe,       // failing, cooldown over: attempt it as the one probe
    held,        // failing: the breaker keeps it until a probe succeeds
    wake_later,  // failing: schedule it at cooldown_tick(); admit it again then
  };
  // A delivery of this origin is due at `now_tick`.
  Admit admit(Token t, std::uint64_t now_tick);

  // What the caller does after an outcome: make `ready` due now, and
  // schedule `wake` (if any) at cooldown_tick().
  struct Release {
    std::vector<Token> ready;
    std::optional<Token> wake;
  };
  // The attempt of `t` ended. `origin_ok`: the origin answered in a way that
  // is not its own failure (2xx-4xx other than 429). `retry_ticks`: when the
  // failed attempt would retry, which is when the next probe may go.
  Release on_outcome(Token t, bool origin_ok, std::uint64_t now_tick, std::uint64_t retry_ticks);
  // The attempt of `t` ended without a verdict about the origin (its
  // delivery was gone, or storage failed): a running probe is freed and one
  // held delivery released to take its place.
  Release abandon(Token t);

  bool failing() const noexcept { return consecutive_failures_ >= threshold_; }
  bool probing() const noexcept { return probing_; }
  std::uint64_t cooldown_tick() const noexcept { return cooldown_tick_; }
  std::size_t held() const noexcept { return held_.size(); }
  int consecutive_failures() const noexcept { return consecutive_failures_; }

 private:
  int threshold_;
  int consecutive_failures_ = 0;
  bool probing_ = false;
  Token probe_ = 0;
  std::uint64_t cooldown_tick_ = 0;
  bool wake_pending_ = false;  // one held delivery is scheduled at the cooldown
  std::deque<Token> held_;
};

}  // namespace hookd
