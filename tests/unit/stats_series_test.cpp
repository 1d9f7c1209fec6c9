#include "core/stats_series.hpp"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(MinuteRingTest, WindowIsOldestFirstAndZeroWhereUnwritten) {
  MinuteRing<SourceMinute> ring;
  ring.at(1000)->routed = 3;
  ring.at(1059)->routed = 5;
  auto w = ring.window(1059);
  EXPECT_EQ(w.front().routed, 3u);  // minute 1000 is the oldest of [1000, 1059]
  EXPECT_EQ(w.back().routed, 5u);
  EXPECT_EQ(w[30].routed, 0u);
}

TEST(MinuteRingTest, StaleSlotsReadAsZeroAndAreResetOnReuse) {
  MinuteRing<SourceMinute> ring;
  ring.at(100)->routed = 7;
  EXPECT_EQ(ring.window(159).front().routed, 7u);
  EXPECT_EQ(ring.window(160).back().routed, 0u);  // same slot, 60 minutes later
  for (const auto& m : ring.window(160)) EXPECT_EQ(m.routed, 0u);
  ring.at(160)->routed += 1;  // reuses minute 100's slot
  EXPECT_EQ(ring.window(160).back().routed, 1u);
}

TEST(MinuteRingTest, MinutesOlderThanTheWindowAreIgnored) {
  MinuteRing<SourceMinute> ring;
  ASSERT_NE(ring.at(500), nullptr);
  EXPECT_EQ(ring.at(440), nullptr);
  EXPECT_NE(ring.at(441), nullptr);  // a clock step back within the hour still counts
  EXPECT_EQ(ring.at(-1), nullptr);
}

TEST(SeriesMapTest, BoundedByMaxNamesAndForgets) {
  SeriesMap<SubscriptionMinute> map(2);
  ASSERT_NE(map.at("a", 10), nullptr);
  ASSERT_NE(map.at("b", 10), nullptr);
  EXPECT_EQ(map.at("c", 10), nullptr);
  EXPECT_NE(map.at("a", 11), nullptr);  // known names still record
  map.forget("a");
  EXPECT_NE(map.at("c", 10), nullptr);
  EXPECT_EQ(map.size(), 2u);
  map.retain({"c"});
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(map.windows(10).count("c"), 1u);
}

TEST(HistogramQuantileTest, InterpolatesWithinTheBucket) {
  std::array<double, 3> bounds = {1, 2, 4};
  std::array<std::uint32_t, 4> counts = {0, 10, 0, 0};  // all in (1, 2]
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, bounds, counts), 1.5);
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.99, bounds, counts), 1.99);
  std::array<std::uint32_t, 4> first = {4, 0, 0, 0};
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, bounds, first), 0.5);  // from 0
}

TEST(HistogramQuantileTest, SpreadAndInfBucketAndEmpty) {
  std::array<double, 3> bounds = {1, 2, 4};
  std::array<std::uint32_t, 4> counts = {50, 0, 49, 1};
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, bounds, counts), 1.0);
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.99, bounds, counts), 4.0);
  std::array<std::uint32_t, 4> inf = {0, 0, 0, 3};
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, bounds, inf), 4.0);
  std::array<std::uint32_t, 4> none{};
  EXPECT_FALSE(histogram_quantile(0.5, bounds, none).has_value());
}

TEST(HistogramQuantileTest, LatencyBucketMatchesTheBounds) {
  EXPECT_EQ(latency_bucket(0.001), 0u);
  EXPECT_EQ(latency_bucket(0.005), 0u);
  EXPECT_EQ(latency_bucket(0.006), 1u);
  EXPECT_EQ(latency_bucket(99), kLatencyBounds.size());
}

}  // namespace
}  // namespace hookd
