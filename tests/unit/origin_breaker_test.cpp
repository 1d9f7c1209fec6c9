// OriginBreaker: probing a failing origin one request at a time, driven by
// ticks advanced by hand.
#include "core/delivery/origin_breaker.hpp"

#include <gtest/gtest.h>

namespace hookd {
namespace {

using Admit = OriginBreaker::Admit;

// Three failures in a row at tick `now`, each retrying after `retry` ticks.
void fail_three(OriginBreaker& b, std::uint64_t now, std::uint64_t retry) {
  for (OriginBreaker::Token t = 1; t <= 3; ++t) {
    ASSERT_EQ(b.admit(t, now), Admit::send);
    b.on_outcome(t, false, now, retry);
  }
}

TEST(OriginBreakerTest, HealthyOriginSendsEverything) {
  OriginBreaker b;
  for (OriginBreaker::Token t = 0; t < 10; ++t) EXPECT_EQ(b.admit(t, 0), Admit::send);
  b.on_outcome(0, false, 0, 5);
  b.on_outcome(1, false, 0, 5);
  b.on_outcome(2, true, 0, 0);  // a success resets the count
  b.on_outcome(3, false, 0, 5);
  EXPECT_FALSE(b.failing());
  EXPECT_EQ(b.consecutive_failures(), 1);
}

TEST(OriginBreakerTest, FailingOriginWaitsForTheCooldownThenProbesOnce) {
  OriginBreaker b;
  fail_three(b, 100, 50);
  ASSERT_TRUE(b.failing());
  EXPECT_EQ(b.cooldown_tick(), 150u);
  // Before the cooldown: the first due delivery is the one that wakes, the
  // rest are held.
  EXPECT_EQ(b.admit(10, 120), Admit::wake_later);
  EXPECT_EQ(b.admit(11, 120), Admit::held);
  EXPECT_EQ(b.admit(12, 121), Admit::held);
  EXPECT_EQ(b.held(), 2u);
  // The waker comes back at the cooldown: it is the probe.
  EXPECT_EQ(b.admit(10, 150), Admit::probe);
  EXPECT_TRUE(b.probing());
  // While it runs, everything else is held.
  EXPECT_EQ(b.admit(13, 151), Admit::held);
  EXPECT_EQ(b.held(), 3u);
}

TEST(OriginBreakerTest, SuccessfulProbeReleasesEveryHeldDelivery) {
  OriginBreaker b;
  fail_three(b, 0, 10);
  EXPECT_EQ(b.admit(10, 10), Admit::probe);
  EXPECT_EQ(b.admit(11, 11), Admit::held);
  EXPECT_EQ(b.admit(12, 11), Admit::held);
  auto r = b.on_outcome(10, true, 12, 0);
  EXPECT_EQ(r.ready, (std::vector<OriginBreaker::Token>{11, 12}));
  EXPECT_FALSE(r.wake);
  EXPECT_FALSE(b.failing());
  EXPECT_EQ(b.admit(13, 12), Admit::send);
}

TEST(OriginBreakerTest, FailedProbeRestartsTheCooldownAndHandsBackOneWaker) {
  OriginBreaker b;
  fail_three(b, 0, 10);
  EXPECT_EQ(b.admit(10, 10), Admit::probe);
  EXPECT_EQ(b.admit(11, 10), Admit::held);
  EXPECT_EQ(b.admit(12, 10), Admit::held);
  auto r = b.on_outcome(10, false, 20, 40);
  EXPECT_TRUE(r.ready.empty());
  ASSERT_TRUE(r.wake);
  EXPECT_EQ(*r.wake, 11u);  // wakes at the new cooldown
  EXPECT_EQ(b.cooldown_tick(), 60u);
  EXPECT_EQ(b.held(), 1u);
  // A later due delivery is held, since a waker is already scheduled.
  EXPECT_EQ(b.admit(14, 30), Admit::held);
  EXPECT_EQ(b.admit(11, 60), Admit::probe);
}

TEST(OriginBreakerTest, AbandonedProbeLetsOneHeldDeliveryGo) {
  OriginBreaker b;
  fail_three(b, 0, 1);
  EXPECT_EQ(b.admit(10, 5), Admit::probe);
  EXPECT_EQ(b.admit(11, 5), Admit::held);
  auto r = b.abandon(10);
  EXPECT_EQ(r.ready, (std::vector<OriginBreaker::Token>{11}));
  EXPECT_FALSE(b.probing());
  // Abandoning something that is not the probe changes nothing.
  EXPECT_TRUE(b.abandon(99).ready.empty());
}

TEST(OriginBreakerTest, ZeroRetryDelayStillCoolsDownOneTick) {
  OriginBreaker b;
  fail_three(b, 7, 0);
  EXPECT_EQ(b.cooldown_tick(), 8u);
}

}  // namespace
}  // namespace hookd
