#include "core/delivery/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace hookd {

namespace {

// Longer Retry-After values are clamped here before any arithmetic; the cap
// of the subscription limits the wait anyway.
constexpr std::int64_t kMaxRetryAfterSeconds = 100LL * 365 * 24 * 3600;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Exactly `s.size()` digits; nullopt otherwise.
std::optional<int> fixed_number(std::string_view s) {
  if (!all_digits(s)) return std::nullopt;
  int value = 0;
  std::from_chars(s.data(), s.data() + s.size(), value);
  return value;
}

// Unix seconds of an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110
// section 5.6.7), the only form senders may generate. The day name must be
// one of the seven but is not checked against the date.
std::optional<std::int64_t> parse_imf_fixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kDays{"Mon", "Tue", "Wed", "Thu",
                                                         "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions, 29 characters.
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  if (std::find(kDays.begin(), kDays.end(), s.substr(0, 3)) == kDays.end()) return std::nullopt;
  auto month_it = std::find(kMonths.begin(), kMonths.end(), s.substr(8, 3));
  if (month_it == kMonths.end()) return std::nullopt;
  const auto month = static_cast<unsigned>(month_it - kMonths.begin() + 1);
  auto day = fixed_number(s.substr(5, 2));
  auto year = fixed_number(s.substr(12, 4));
  auto hour = fixed_number(s.substr(17, 2));
  auto minute = fixed_number(s.substr(20, 2));
  auto second = fixed_number(s.substr(23, 2));
  if (!day || !year || !hour || !minute || !second) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{month},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  // Second 60 is a leap second, which the grammar allows.
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  return days * 86400 + *hour * 3600 + *minute * 60 + *second;
}

}  // namespace

std::optional<Duration> parse_retry_after(std::string_view value, std::int64_t now_s) {
  value = trim(value);
  std::int64_t seconds = 0;
  if (all_digits(value)) {
    // Overlong digit strings are huge delays, not errors.
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range) seconds = kMaxRetryAfterSeconds;
  } else {
    auto date = parse_imf_fixdate(value);
    if (!date) return std::nullopt;
    seconds = *date - now_s;
  }
  seconds = std::clamp<std::int64_t>(seconds, 0, kMaxRetryAfterSeconds);
  return std::chrono::duration_cast<Duration>(std::chrono::seconds(seconds));
}

Duration backoff_delay(const RetryConfig& retry, std::uint32_t attempt, std::mt19937_64& rng) {
  const std::int64_t base = std::max<std::int64_t>(retry.base.count(), 0);
  const std::int64_t cap = std::max<std::int64_t>(retry.cap.count(), 0);
  const std::uint32_t shift = attempt > 0 ? attempt - 1 : 0;
  // base << shift would overflow exactly when base > cap >> shift (for the
  // shifts that fit); past that the cap applies.
  std::int64_t ceiling = cap;
  if (shift < 63 && base <= (cap >> shift)) ceiling = base << shift;
  if (ceiling == 0) return Duration{0};
  std::uniform_int_distribution<std::int64_t> jitter(0, ceiling);
  return Duration{jitter(rng)};
}

AttemptVerdict classify_attempt(int status, std::optional<Duration> retry_after,
                                std::uint32_t attempt, const RetryConfig& retry,
                                std::mt19937_64& rng) {
  if (status >= 200 && status <= 299) return {Outcome::delivered, Duration{0}};
  if (status == 410) return {Outcome::gone, Duration{0}};
  if (attempt >= retry.attempts) return {Outcome::dead, Duration{0}};
  Duration delay = backoff_delay(retry, attempt, rng);
  if ((status == 429 || status == 503) && retry_after) {
    const Duration cap = std::max(retry.cap, Duration{0});
    delay = std::max(delay, std::min(*retry_after, cap));
  }
  return {Outcome::retry_later, delay};
}

}  // namespace hookd
