#pragma once
// UlidGenerator: time-ordered, unique event ids (ULID, 26 Crockford base32
// characters: 48-bit unix milliseconds, then 80 random bits). Ids from one
// generator are strictly increasing, also within one millisecond and when
// the clock steps back, so the events column family is in arrival order.
// Not thread-safe: one generator per thread (hookd uses one, on the io thread).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hookd {

class UlidGenerator {
 public:
  UlidGenerator();
  std::string next(std::int64_t now_ms);

 private:
  std::int64_t last_ms_ = -1;
  std::array<std::uint8_t, 10> random_{};  // big-endian 80-bit counter
};

// The millisecond timestamp of a ULID, or nullopt when `id` is not one.
std::optional<std::int64_t> ulid_time_ms(std::string_view id);
// The smallest ULID of millisecond `ms`: every id of that ms sorts after it.
std::string ulid_floor(std::int64_t ms);

}  // namespace hookd
