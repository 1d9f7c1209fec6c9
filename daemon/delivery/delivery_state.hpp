#pragma once
// DeliveryScheduler's private state, shared by delivery_scheduler.cpp and
// delivery_attempt.cpp. Not for other users.

#include "core/clock.hpp"
#include "daemon/delivery/delivery_scheduler.hpp"

#include <chrono>
#include <string>

namespace hookd::daemon {

namespace delivery_detail {

// Consecutive failed attempts after which an origin is probed one at a time.
constexpr int kProbeThreshold = 3;

inline std::string origin_key(const TargetUrl& url) {
  return std::string(url.tls ? "https://" : "http://") + url.host + ":" + std::to_string(url.port);
}

}  // namespace delivery_detail

// A pending delivery in memory: its id and its subscription (index into
// sub_names_); about 40 bytes, so a million pending retries stay small.
struct DeliveryScheduler::Item {
  std::array<char, 32> id{};  // ULID + "." + ordinal fits
  std::uint8_t id_len = 0;
  std::uint16_t sub = 0;
  bool live = false;
  bool coarse = false;  // `handle` is on the coarse wheel
  bool in_flight = false;  // an attempt is running
  bool again = false;      // enqueued again while in flight: ready once it ends
  TimerWheel::Handle handle = TimerWheel::kInvalid;  // while waiting on a wheel
  std::string_view delivery_id() const { return {id.data(), id_len}; }
};

struct DeliveryScheduler::SubState {
  std::string name;
  std::uint16_t index = 0;
  // Resolved once per config (set_config), not per attempt: the entry in
  // config_ (null when removed from it), its parsed URL and origin key.
  const SubscriptionConfig* config = nullptr;
  TargetUrl url;
  std::string origin;
  bool paused = false;
  std::string reason;
  std::uint64_t dead_total = 0;  // dead deliveries in storage
  // Deleted (forget_subscription): its index is reused once no item holds it.
  bool forgotten = false;
};

}  // namespace hookd::daemon
