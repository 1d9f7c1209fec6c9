// Date and delay parsing: the input is one header or field value, given to
// both parse_retry_after (core/retry_policy) and parse_rfc3339_ms
// (core/parsers). Each accepted value is printed back in its canonical form,
// which must parse to the same instant.

#include "core/delivery/retry_policy.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <chrono>
#include <cstdio>

using namespace hookd;
using namespace std::chrono;

namespace {

constexpr std::int64_t kNowS = 1'700'000'000;  // 2023-11-14T22:13:20Z
constexpr std::int64_t kMaxRetryAfterS = 100LL * 365 * 24 * 3600;

struct Civil {
  year_month_day date;
  std::int64_t h, m, s;
  unsigned weekday;  // 0 = Sunday
};

Civil civil(std::int64_t unix_s) {
  const std::int64_t days = unix_s >= 0 ? unix_s / 86400 : (unix_s - 86399) / 86400;
  const std::int64_t rem = unix_s - days * 86400;
  const sys_days d{std::chrono::days{days}};
  return {year_month_day{d}, rem / 3600, rem / 60 % 60, rem % 60, weekday{d}.c_encoding()};
}

std::string rfc3339(std::int64_t ms) {
  const std::int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  const Civil c = civil(s);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<int>(c.date.year()), static_cast<unsigned>(c.date.month()),
                static_cast<unsigned>(c.date.day()), static_cast<long long>(c.h),
                static_cast<long long>(c.m), static_cast<long long>(c.s),
                static_cast<long long>(ms - s * 1000));
  return buf;
}

std::string imf_fixdate(std::int64_t unix_s) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const Civil c = civil(unix_s);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02lld:%02lld:%02lld GMT", kDays[c.weekday],
                static_cast<unsigned>(c.date.day()),
                kMonths[static_cast<unsigned>(c.date.month()) - 1],
                static_cast<int>(c.date.year()), static_cast<long long>(c.h),
                static_cast<long long>(c.m), static_cast<long long>(c.s));
  return buf;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void check_rfc3339(std::string_view value) {
  auto ms = parse_rfc3339_ms(value);
  if (!ms) return;
  // Four-digit years with an offset of at most a day: within these bounds.
  constexpr std::int64_t kMinMs = -62'167'219'200'000LL - 86'400'000LL;     // 0000-01-01
  constexpr std::int64_t kMaxMs = 253'402'300'800'000LL + 86'400'000LL;    // 10000-01-01
  FUZZ_CHECK(*ms >= kMinMs && *ms <= kMaxMs);
  const std::string canonical = rfc3339(*ms);
  const int y = static_cast<int>(civil(*ms >= 0 ? *ms / 1000 : (*ms - 999) / 1000).date.year());
  if (y < 0 || y > 9999) return;
  FUZZ_CHECK(parse_rfc3339_ms(canonical) == ms);
}

void check_retry_after(std::string_view value) {
  auto delay = parse_retry_after(value, kNowS);
  if (!delay) return;
  const std::int64_t s = duration_cast<seconds>(*delay).count();
  FUZZ_CHECK(delay->count() % 1000 == 0);
  FUZZ_CHECK(s >= 0 && s <= kMaxRetryAfterS);
  const std::string_view t = trim(value);
  FUZZ_CHECK(!t.empty());
  if (t.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t want = 0;
    for (char c : t) {
      want = want * 10 + (c - '0');
      if (want > kMaxRetryAfterS) want = kMaxRetryAfterS + 1;
    }
    FUZZ_CHECK(s == std::min(want, kMaxRetryAfterS));
    return;
  }
  // An IMF-fixdate: the same instant printed again (the day name is not
  // checked against the date, and second 60 is the next second).
  FUZZ_CHECK(t.size() == 29);
  if (s > 0 && s < kMaxRetryAfterS && t.substr(23, 2) != "60") {
    FUZZ_CHECK(imf_fixdate(kNowS + s).substr(3) == t.substr(3));
  }
  FUZZ_CHECK(parse_retry_after(imf_fixdate(kNowS + s), kNowS) == delay);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  check_retry_after(value);
  check_rfc3339(value);
  return 0;
}
