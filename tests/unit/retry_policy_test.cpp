#include "core/delivery/retry_policy.hpp"

#include <gtest/gtest.h>

namespace hookd {
namespace {

using std::chrono::seconds;

RetryConfig retry(std::uint32_t attempts, Duration base, Duration cap) {
  RetryConfig r;
  r.attempts = attempts;
  r.base = base;
  r.cap = cap;
  return r;
}

constexpr std::int64_t kOct21_2015 = 1445412480;  // Wed, 21 Oct 2015 07:28:00 GMT

TEST(RetryAfterTest, DeltaSeconds) {
  EXPECT_EQ(parse_retry_after("120", 0), Duration(120'000));
  EXPECT_EQ(parse_retry_after("0", 0), Duration(0));
  EXPECT_EQ(parse_retry_after(" 7 ", 0), Duration(7'000));
}

TEST(RetryAfterTest, HugeDeltaIsClampedNotAnError) {
  auto d = parse_retry_after("99999999999999999999999999", 0);
  ASSERT_TRUE(d);
  EXPECT_GT(*d, Duration(seconds(365LL * 24 * 3600)));
}

TEST(RetryAfterTest, HttpDateRelativeToNow) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", kOct21_2015 - 90), Duration(90'000));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 1), Duration(1'000));
  EXPECT_EQ(parse_retry_after("Thu, 29 Feb 2024 23:59:59 GMT", 1709251199 - 3600),
            Duration(3'600'000));
}

TEST(RetryAfterTest, HttpDateInThePastClampsToZero) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", kOct21_2015 + 1000), Duration(0));
}

TEST(RetryAfterTest, GarbageIsRejected) {
  for (std::string_view bad : {
           "",
           "soon",
           "-5",
           "1.5",
           "12s",
           "0x10",
           "Wed, 21 Oct 2015 07:28:00 UTC",      // zone must be GMT
           "Wed, 21 Oct 2015 07:28:00",          // no zone
           "Wednesday, 21-Oct-15 07:28:00 GMT",  // obsolete RFC 850 form
           "Wed Oct 21 07:28:00 2015",           // obsolete asctime form
           "Wed, 21 Okt 2015 07:28:00 GMT",      // unknown month
           "Xyz, 21 Oct 2015 07:28:00 GMT",      // unknown day name
           "Wed, 1 Oct 2015 07:28:00 GMT",       // day needs two digits
           "Wed, 31 Apr 2015 07:28:00 GMT",      // no such date
           "Thu, 29 Feb 2023 07:28:00 GMT",      // not a leap year
           "Wed, 21 Oct 2015 24:00:00 GMT",
           "Wed, 21 Oct 2015 07:60:00 GMT",
           "Wed, 21 Oct 2015 07:28:61 GMT",
           "Wed, 21 Oct 2015 07:28:0a GMT",
       }) {
    EXPECT_FALSE(parse_retry_after(bad, kOct21_2015)) << bad;
  }
}

TEST(RetryBackoffTest, FullJitterStaysWithinTheExponentialCeiling) {
  const RetryConfig r = retry(10, Duration(1'000), Duration(3'600'000));
  std::mt19937_64 rng(42);
  for (std::uint32_t attempt = 1; attempt <= 8; ++attempt) {
    const Duration ceiling = Duration(1'000LL << (attempt - 1));
    Duration lo = ceiling, hi{0};
    for (int i = 0; i < 2'000; ++i) {
      Duration d = backoff_delay(r, attempt, rng);
      ASSERT_GE(d, Duration(0));
      ASSERT_LE(d, ceiling);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Full jitter spreads over the whole range, not just near the ceiling.
    EXPECT_LT(lo, ceiling / 10) << attempt;
    EXPECT_GT(hi, ceiling * 9 / 10) << attempt;
  }
}

TEST(RetryBackoffTest, MeanIsAboutHalfTheCeiling) {
  const RetryConfig r = retry(10, Duration(1'000), Duration(3'600'000));
  std::mt19937_64 rng(7);
  double sum = 0;
  constexpr int kDraws = 20'000;
  for (int i = 0; i < kDraws; ++i) sum += static_cast<double>(backoff_delay(r, 5, rng).count());
  EXPECT_NEAR(sum / kDraws, 8'000.0, 200.0);  // ceiling 16 s
}

TEST(RetryBackoffTest, CapBoundsLateAttempts) {
  const RetryConfig r = retry(100, Duration(1'000), Duration(60'000));
  std::mt19937_64 rng(1);
  Duration hi{0};
  for (int i = 0; i < 2'000; ++i) {
    Duration d = backoff_delay(r, 12, rng);  // 2048 s uncapped
    ASSERT_LE(d, Duration(60'000));
    hi = std::max(hi, d);
  }
  EXPECT_GT(hi, Duration(50'000));
}

TEST(RetryBackoffTest, HugeAttemptNumbersDoNotOverflow) {
  const RetryConfig r = retry(UINT32_MAX, Duration(1'000), Duration(3'600'000));
  std::mt19937_64 rng(3);
  for (std::uint32_t attempt : {40u, 53u, 63u, 64u, 65u, 1000u, UINT32_MAX}) {
    for (int i = 0; i < 100; ++i) {
      Duration d = backoff_delay(r, attempt, rng);
      ASSERT_GE(d, Duration(0)) << attempt;
      ASSERT_LE(d, Duration(3'600'000)) << attempt;
    }
  }
  const RetryConfig huge = retry(10, Duration(INT64_MAX / 2), Duration(INT64_MAX));
  EXPECT_GE(backoff_delay(huge, 5, rng), Duration(0));
}

TEST(RetryBackoffTest, SameSeedSameDelays) {
  const RetryConfig r = retry(10, Duration(500), Duration(600'000));
  std::mt19937_64 a(99), b(99);
  for (std::uint32_t attempt = 1; attempt <= 10; ++attempt) {
    EXPECT_EQ(backoff_delay(r, attempt, a), backoff_delay(r, attempt, b));
  }
}

TEST(RetryBackoffTest, ZeroBaseMeansNoDelay) {
  const RetryConfig r = retry(10, Duration(0), Duration(1'000));
  std::mt19937_64 rng(5);
  EXPECT_EQ(backoff_delay(r, 3, rng), Duration(0));
}

TEST(RetryClassifyTest, TwoHundredsAreDelivered) {
  const RetryConfig r = retry(3, Duration(1'000), Duration(60'000));
  std::mt19937_64 rng(1);
  for (int status : {200, 201, 202, 204, 299}) {
    EXPECT_EQ(classify_attempt(status, std::nullopt, 3, r, rng).outcome, Outcome::delivered);
  }
}

TEST(RetryClassifyTest, GoneEvenOnTheLastAttempt) {
  const RetryConfig r = retry(3, Duration(1'000), Duration(60'000));
  std::mt19937_64 rng(1);
  EXPECT_EQ(classify_attempt(410, std::nullopt, 1, r, rng).outcome, Outcome::gone);
  EXPECT_EQ(classify_attempt(410, std::nullopt, 3, r, rng).outcome, Outcome::gone);
}

TEST(RetryClassifyTest, FailuresRetryWithBackoffUntilAttemptsAreSpent) {
  const RetryConfig r = retry(3, Duration(1'000), Duration(60'000));
  std::mt19937_64 rng(1);
  for (int status : {0, 100, 301, 400, 404, 429, 500, 502, 503}) {
    AttemptVerdict v1 = classify_attempt(status, std::nullopt, 1, r, rng);
    EXPECT_EQ(v1.outcome, Outcome::retry_later) << status;
    EXPECT_LE(v1.delay, Duration(1'000)) << status;
    AttemptVerdict v2 = classify_attempt(status, std::nullopt, 2, r, rng);
    EXPECT_EQ(v2.outcome, Outcome::retry_later) << status;
    EXPECT_LE(v2.delay, Duration(2'000)) << status;
    EXPECT_EQ(classify_attempt(status, std::nullopt, 3, r, rng).outcome, Outcome::dead) << status;
    EXPECT_EQ(classify_attempt(status, std::nullopt, 4, r, rng).outcome, Outcome::dead) << status;
  }
}

TEST(RetryClassifyTest, RetryAfterOn429And503IsAFloor) {
  const RetryConfig r = retry(10, Duration(1'000), Duration(60'000));
  std::mt19937_64 rng(1);
  for (int status : {429, 503}) {
    AttemptVerdict v = classify_attempt(status, Duration(30'000), 1, r, rng);
    EXPECT_EQ(v.outcome, Outcome::retry_later);
    EXPECT_EQ(v.delay, Duration(30'000)) << status;  // backoff is at most 1 s
  }
  // A backoff already longer than Retry-After wins.
  for (int i = 0; i < 50; ++i) {
    AttemptVerdict v = classify_attempt(503, Duration(1), 6, r, rng);
    EXPECT_GE(v.delay, Duration(1));
    EXPECT_LE(v.delay, Duration(32'000));
  }
}

TEST(RetryClassifyTest, RetryAfterIsCapped) {
  const RetryConfig r = retry(10, Duration(1'000), Duration(60'000));
  std::mt19937_64 rng(1);
  EXPECT_EQ(classify_attempt(429, Duration(3'600'000), 1, r, rng).delay, Duration(60'000));
}

TEST(RetryClassifyTest, RetryAfterIgnoredForOtherStatuses) {
  const RetryConfig r = retry(10, Duration(1'000), Duration(60'000));
  std::mt19937_64 rng(1);
  for (int status : {0, 500, 502}) {
    EXPECT_LE(classify_attempt(status, Duration(30'000), 1, r, rng).delay, Duration(1'000));
  }
}

TEST(RetryClassifyTest, RetryAfterDoesNotReviveADeadDelivery) {
  const RetryConfig r = retry(2, Duration(1'000), Duration(60'000));
  std::mt19937_64 rng(1);
  EXPECT_EQ(classify_attempt(503, Duration(5'000), 2, r, rng).outcome, Outcome::dead);
}

}  // namespace
}  // namespace hookd
