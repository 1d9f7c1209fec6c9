#pragma once
// Per-minute series of the last hour, for the console's charts
// (GET /v1/stats/series). Pure: minutes are passed in (unix minutes), so
// tests drive the clock by hand.
//
// MinuteRing<Minute> keeps kSeriesMinutes slots, one per minute, each
// stamped with its minute: a slot whose stamp is older than the window is
// stale and reads as zero, and is reset when its minute is written again,
// so no timer is needed and memory is fixed. SeriesMap keeps one ring per
// name, at most `max_names` (a new name beyond that is not recorded), and
// drops the names it is told are gone.
//
// Threads: none of its own; not thread-safe. The owner serializes access
// (the scheduler on its io thread, IngestHandler under its counters mutex).

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hookd {

inline constexpr std::size_t kSeriesMinutes = 60;

// Attempt latency bucket bounds in seconds (hookd_delivery_duration_seconds),
// then +Inf.
inline constexpr std::array<double, 11> kLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                          0.5,   1,    2.5,   5,    10};

// Events of one source in one minute, by result.
struct SourceMinute {
  std::uint32_t routed = 0;       // new events stored with a delivery
  std::uint32_t unrouted = 0;     // new events stored that matched no subscription
  std::uint32_t duplicate = 0;    // events already stored
  std::uint32_t rejected = 0;     // requests answered 4xx
  std::uint32_t unavailable = 0;  // requests answered 503
};

// Attempts of one subscription in one minute.
struct SubscriptionMinute {
  std::uint32_t delivered = 0;
  std::uint32_t failed = 0;  // failed attempts (including the one that went dead)
  std::uint32_t dead = 0;
  std::array<std::uint32_t, kLatencyBounds.size() + 1> latency{};  // per bound, then +Inf
};

// The q-quantile (0 < q < 1) of a non-cumulative histogram over `bounds`
// (then +Inf), interpolated linearly within its bucket as Prometheus's
// histogram_quantile does (the first bucket from 0; the +Inf bucket answers
// the last bound). nullopt when the histogram is empty.
std::optional<double> histogram_quantile(double q, std::span<const double> bounds,
                                         std::span<const std::uint32_t> counts);

// The bucket of a latency in seconds: the first bound >= it, else +Inf.
std::size_t latency_bucket(double seconds);

template <class Minute>
class MinuteRing {
 public:
  // The slot of `minute`, reset first if it held an older minute. A minute
  // before the newest one written more than the window ago is ignored
  // (returns nullptr); a clock going back stays within the window.
  Minute* at(std::int64_t minute) {
    if (minute < 0) return nullptr;
    if (newest_ >= 0 && minute + static_cast<std::int64_t>(kSeriesMinutes) <= newest_) return nullptr;
    auto& slot = slots_[static_cast<std::size_t>(minute) % kSeriesMinutes];
    if (slot.minute != minute) slot = Slot{minute, Minute{}};
    if (minute > newest_) newest_ = minute;
    return &slot.value;
  }
  // The minutes [now - kSeriesMinutes + 1, now], oldest first; stale or
  // unwritten slots are zero.
  std::array<Minute, kSeriesMinutes> window(std::int64_t now) const {
    std::array<Minute, kSeriesMinutes> out{};
    for (std::size_t i = 0; i < kSeriesMinutes; ++i) {
      const std::int64_t m = now - static_cast<std::int64_t>(kSeriesMinutes - 1 - i);
      if (m < 0) continue;
      const auto& slot = slots_[static_cast<std::size_t>(m) % kSeriesMinutes];
      if (slot.minute == m) out[i] = slot.value;
    }
    return out;
  }

 private:
  struct Slot {
    std::int64_t minute = -1;
    Minute value{};
  };
  std::array<Slot, kSeriesMinutes> slots_{};
  std::int64_t newest_ = -1;
};

template <class Minute>
class SeriesMap {
 public:
  explicit SeriesMap(std::size_t max_names) : max_names_(max_names) {}

  // The slot of `name` at `minute`; nullptr when the map is full and `name`
  // is new, or when the minute is out of the window.
  Minute* at(std::string_view name, std::int64_t minute) {
    auto it = rings_.find(name);
    if (it == rings_.end()) {
      if (rings_.size() >= max_names_) return nullptr;
      it = rings_.emplace(std::string(name), MinuteRing<Minute>{}).first;
    }
    return it->second.at(minute);
  }
  void forget(std::string_view name) {
    auto it = rings_.find(name);
    if (it != rings_.end()) rings_.erase(it);
  }
  // Drops every name not in `names` (a reload removed it).
  void retain(const std::set<std::string, std::less<>>& names) {
    for (auto it = rings_.begin(); it != rings_.end();)
      it = names.contains(it->first) ? std::next(it) : rings_.erase(it);
  }
  void set_max_names(std::size_t n) { max_names_ = n; }
  std::size_t size() const { return rings_.size(); }
  // Every name's window ending at `now`, by name.
  std::map<std::string, std::array<Minute, kSeriesMinutes>, std::less<>> windows(
      std::int64_t now) const {
    std::map<std::string, std::array<Minute, kSeriesMinutes>, std::less<>> out;
    for (const auto& [name, ring] : rings_) out.emplace(name, ring.window(now));
    return out;
  }

 private:
  std::size_t max_names_;
  std::map<std::string, MinuteRing<Minute>, std::less<>> rings_;
};

inline std::int64_t unix_minute(std::int64_t unix_ms) { return unix_ms / 60000; }

}  // namespace hookd
