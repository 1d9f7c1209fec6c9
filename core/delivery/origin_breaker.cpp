#include "core/delivery/origin_breaker.hpp"

#include <algorithm>

namespace hookd {

OriginBreaker::Admit OriginBreaker::admit(Token t, std::uint64_t now_tick) {
  if (!failing()) return Admit::send;
  if (probing_) {
    held_.push_back(t);
    return Admit::held;
  }
  if (now_tick < cooldown_tick_) {
    if (wake_pending_) {
      held_.push_back(t);
      return Admit::held;
    }
    wake_pending_ = true;
    return Admit::wake_later;
  }
  wake_pending_ = false;
  probing_ = true;
  probe_ = t;
  return Admit::probe;
}

OriginBreaker::Release OriginBreaker::on_outcome(Token t, bool origin_ok, std::uint64_t now_tick,
                                                 std::uint64_t retry_ticks) {
  Release out;
  const bool was_failing = failing();
  const bool was_probe = probing_ && probe_ == t;
  if (was_probe) probing_ = false;
  if (origin_ok) {
    consecutive_failures_ = 0;
    wake_pending_ = false;
    out.ready.assign(held_.begin(), held_.end());
    held_.clear();
    return out;
  }
  ++consecutive_failures_;
  if (was_probe || (!was_failing && failing())) {
    cooldown_tick_ = now_tick + std::max<std::uint64_t>(1, retry_ticks);
    wake_pending_ = false;
    // Whatever becomes of the failed probe (retried or dead), one held
    // delivery ends the cooldown, so the others are never stranded.
    if (!held_.empty()) {
      out.wake = held_.front();
      held_.pop_front();
      wake_pending_ = true;
    }
  }
  return out;
}

OriginBreaker::Release OriginBreaker::abandon(Token t) {
  Release out;
  if (!probing_ || probe_ != t) return out;
  probing_ = false;
  if (!held_.empty()) {
    out.ready.push_back(held_.front());
    held_.pop_front();
  }
  return out;
}

}  // namespace hookd
