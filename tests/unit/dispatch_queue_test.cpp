// DispatchQueue: round-robin fairness across subscriptions within the global
// and per-subscription in-flight limits.
#include "core/delivery/dispatch_queue.hpp"

#include <gtest/gtest.h>

#include <map>

namespace hookd {
namespace {

// Hands out everything the limits allow and records the subscriptions.
std::vector<DispatchQueue::Sub> drain(DispatchQueue& q, std::size_t global) {
  std::vector<DispatchQueue::Sub> order;
  while (auto e = q.next(global)) {
    q.started(e->sub);
    order.push_back(e->sub);
  }
  return order;
}

TEST(DispatchQueueTest, AlternatesBetweenSubscriptions) {
  DispatchQueue q;
  for (DispatchQueue::Sub s : {0u, 1u, 2u}) q.set_limit(s, 100);
  for (DispatchQueue::Token t = 0; t < 6; ++t) q.push(0, t);
  for (DispatchQueue::Token t = 10; t < 12; ++t) q.push(1, t);
  q.push(2, 20);
  EXPECT_EQ(drain(q, 100), (std::vector<DispatchQueue::Sub>{0, 1, 2, 0, 1, 0, 0, 0, 0}));
}

TEST(DispatchQueueTest, ABusySubscriptionUsesOnlyItsShare) {
  DispatchQueue q;
  q.set_limit(0, 2);  // hanging: its attempts never finish
  q.set_limit(1, 16);
  for (DispatchQueue::Token t = 0; t < 50; ++t) q.push(0, t);
  for (DispatchQueue::Token t = 100; t < 110; ++t) q.push(1, t);
  auto order = drain(q, 1024);
  std::map<DispatchQueue::Sub, int> count;
  for (auto s : order) ++count[s];
  EXPECT_EQ(count[0], 2);
  EXPECT_EQ(count[1], 10);
  EXPECT_EQ(q.ready(0), 48u);
  // One of sub 0's attempts ends: exactly one more of it goes.
  q.finished(0);
  EXPECT_EQ(drain(q, 1024), (std::vector<DispatchQueue::Sub>{0}));
}

TEST(DispatchQueueTest, GlobalLimitStopsEveryone) {
  DispatchQueue q;
  q.set_limit(0, 10);
  q.set_limit(1, 10);
  for (DispatchQueue::Token t = 0; t < 10; ++t) {
    q.push(0, t);
    q.push(1, 100 + t);
  }
  EXPECT_EQ(drain(q, 4).size(), 4u);
  EXPECT_EQ(q.in_flight(), 4u);
  EXPECT_FALSE(q.next(4));
  q.finished(1);
  auto e = q.next(4);
  ASSERT_TRUE(e);
  q.started(e->sub);
  EXPECT_FALSE(q.next(4));
}

TEST(DispatchQueueTest, LimitZeroHoldsAQueueUntilRaised) {
  DispatchQueue q;
  q.push(3, 7);  // a new subscription starts held
  EXPECT_FALSE(q.next(10));
  q.set_limit(3, 1);
  auto e = q.next(10);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->sub, 3u);
  EXPECT_EQ(e->token, 7u);
}

TEST(DispatchQueueTest, TakeEmptiesOneQueue) {
  DispatchQueue q;
  q.set_limit(0, 1);
  q.push(0, 1);
  q.push(0, 2);
  q.push(1, 3);
  EXPECT_EQ(q.take(0), (std::vector<DispatchQueue::Token>{1, 2}));
  EXPECT_EQ(q.ready(0), 0u);
  EXPECT_EQ(q.ready(1), 1u);
}

}  // namespace
}  // namespace hookd
