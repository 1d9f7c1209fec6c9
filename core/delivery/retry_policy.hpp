#pragma once
// Outcome of an attempt and when to try again (SPEC section 4): a pure
// function of the response status, the failure, the attempt number and the
// subscription's retry settings, so that it is unit tested without I/O.

#include "core/config/config.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace hookd {

enum class Outcome {
  delivered,   // 2xx
  retry_later, // failed; attempts remain
  dead,        // failed; attempts spent
  gone,        // 410: pause the subscription, keep the delivery pending
};

struct AttemptVerdict {
  Outcome outcome = Outcome::retry_later;
  Duration delay{0};  // for retry_later: wait this long before the next attempt
};

// Seconds ("120") or an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT") relative
// to now_s; nullopt when unparseable. Negative results clamp to zero.
std::optional<Duration> parse_retry_after(std::string_view value, std::int64_t now_s);

// Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))].
Duration backoff_delay(const RetryConfig& retry, std::uint32_t attempt, std::mt19937_64& rng);

// status 0 means no response (timeout, connection or TLS failure).
// `attempt` is the number of the attempt just made (1-based). 429/503 with a
// Retry-After wait at least that long (capped at retry.cap).
AttemptVerdict classify_attempt(int status, std::optional<Duration> retry_after,
                                std::uint32_t attempt, const RetryConfig& retry,
                                std::mt19937_64& rng);

}  // namespace hookd
