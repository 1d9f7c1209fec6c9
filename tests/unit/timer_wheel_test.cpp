#include "core/delivery/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

namespace hookd {
namespace {

using Tokens = std::vector<std::uint64_t>;

// Advances one tick at a time up to `to`; returns (tick, token) in firing order.
std::vector<std::pair<std::uint64_t, std::uint64_t>> step_to(TimerWheel& w, std::uint64_t to) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> fired;
  Tokens out;
  for (std::uint64_t t = w.current_tick() + 1; t <= to; ++t) {
    out.clear();
    w.advance(t, out);
    for (auto token : out) fired.emplace_back(t, token);
  }
  return fired;
}

Tokens sorted(Tokens v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(TimerWheelTest, SlotsRoundUpToPowerOfTwo) {
  EXPECT_EQ(TimerWheel(512).slots(), 512u);
  EXPECT_EQ(TimerWheel(500).slots(), 512u);
  EXPECT_EQ(TimerWheel(0).slots(), 1u);
  EXPECT_EQ(TimerWheel(3).slots(), 4u);
}

TEST(TimerWheelTest, FiresEachTokenAtItsDueTickInOrder) {
  TimerWheel w(8, 100);
  w.schedule(3, 103);
  w.schedule(1, 101);
  w.schedule(2, 102);
  w.schedule(7, 107);
  EXPECT_EQ(w.size(), 4u);
  auto fired = step_to(w, 110);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> want{{101, 1}, {102, 2}, {103, 3}, {107, 7}};
  EXPECT_EQ(fired, want);
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.current_tick(), 110u);
}

TEST(TimerWheelTest, SameSlotDifferentRoundsFireOnTheirOwnTurn) {
  TimerWheel w(8);
  w.schedule(1, 3);
  w.schedule(2, 3 + 8);
  w.schedule(3, 3 + 16);
  auto fired = step_to(w, 30);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> want{{3, 1}, {11, 2}, {19, 3}};
  EXPECT_EQ(fired, want);
}

TEST(TimerWheelTest, HoursAtHundredMillisecondTicksFireExactly) {
  TimerWheel w(512);
  const std::uint64_t two_hours = 2 * 3600 * 10;  // 72,000 ticks, 140 turns
  w.schedule(42, two_hours);
  w.schedule(43, 36'000);
  EXPECT_EQ(w.next_due_tick(), 36'000u);
  Tokens out;
  w.advance(35'999, out);
  EXPECT_TRUE(out.empty());
  w.advance(36'000, out);
  EXPECT_EQ(out, Tokens{43});
  EXPECT_EQ(w.next_due_tick(), two_hours);
  out.clear();
  auto fired = step_to(w, two_hours);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], std::make_pair(two_hours, std::uint64_t{42}));
}

TEST(TimerWheelTest, CancelRemovesAnEntry) {
  TimerWheel w(16);
  auto a = w.schedule(1, 5);
  w.schedule(2, 5);
  EXPECT_TRUE(w.cancel(a));
  EXPECT_EQ(w.size(), 1u);
  EXPECT_FALSE(w.cancel(a));  // twice
  Tokens out;
  w.advance(5, out);
  EXPECT_EQ(out, Tokens{2});
}

TEST(TimerWheelTest, CancelAfterFireReturnsFalse) {
  TimerWheel w(16);
  auto h = w.schedule(1, 2);
  Tokens out;
  w.advance(2, out);
  EXPECT_EQ(out, Tokens{1});
  EXPECT_FALSE(w.cancel(h));
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheelTest, NeverIssuedHandlesAreRejected) {
  TimerWheel w(16);
  EXPECT_FALSE(w.cancel(TimerWheel::kInvalid));
  EXPECT_FALSE(w.cancel(12345));
  auto h = w.schedule(1, 2);
  EXPECT_FALSE(w.cancel(h + (TimerWheel::Handle{1} << 32)));  // right index, wrong generation
  EXPECT_TRUE(w.cancel(h));
}

TEST(TimerWheelTest, StaleHandleDoesNotCancelTheEntryReusingItsStorage) {
  TimerWheel w(16);
  auto old_handle = w.schedule(1, 4);
  ASSERT_TRUE(w.cancel(old_handle));
  auto new_handle = w.schedule(2, 4);  // reuses the freed entry
  EXPECT_NE(new_handle, old_handle);
  EXPECT_EQ(new_handle & 0xffffffffu, old_handle & 0xffffffffu);
  EXPECT_FALSE(w.cancel(old_handle));
  EXPECT_EQ(w.size(), 1u);
  Tokens out;
  w.advance(4, out);
  EXPECT_EQ(out, Tokens{2});
}

TEST(TimerWheelTest, HandlesOfFiredEntriesAreReusedSafely) {
  TimerWheel w(4);
  std::vector<TimerWheel::Handle> handles;
  for (std::uint64_t i = 0; i < 100; ++i) {
    handles.push_back(w.schedule(i, w.current_tick() + 1));
    Tokens out;
    w.advance(w.current_tick() + 1, out);
    ASSERT_EQ(out, Tokens{i});
  }
  // One storage entry served all 100; every old handle is dead.
  for (auto h : handles) EXPECT_FALSE(w.cancel(h));
  EXPECT_EQ(std::count_if(handles.begin(), handles.end(),
                          [&](auto h) { return (h & 0xffffffffu) == (handles[0] & 0xffffffffu); }),
            100);
}

TEST(TimerWheelTest, BigJumpFiresEverythingDueAndKeepsTheRest) {
  TimerWheel w(8);
  for (std::uint64_t t = 1; t <= 40; ++t) w.schedule(t, t);
  Tokens out;
  w.advance(25, out);  // more than three turns in one call
  Tokens want;
  for (std::uint64_t t = 1; t <= 25; ++t) want.push_back(t);
  EXPECT_EQ(sorted(out), want);
  EXPECT_EQ(w.size(), 15u);
  EXPECT_EQ(w.next_due_tick(), 26u);
  out.clear();
  w.advance(1'000'000'000, out);
  EXPECT_EQ(out.size(), 15u);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheelTest, JumpShorterThanATurnLeavesLaterEntries) {
  TimerWheel w(8);
  w.schedule(1, 3);
  w.schedule(2, 6);
  w.schedule(3, 9);  // same slot as tick 1, next turn
  Tokens out;
  w.advance(5, out);
  EXPECT_EQ(out, Tokens{1});
  out.clear();
  w.advance(9, out);
  EXPECT_EQ(sorted(out), (Tokens{2, 3}));
}

TEST(TimerWheelTest, DueInThePastFiresOnNextAdvance) {
  TimerWheel w(8, 50);
  w.schedule(1, 10);
  w.schedule(2, 50);  // the current tick counts as past
  EXPECT_EQ(w.next_due_tick(), 50u);
  Tokens out;
  w.advance(50, out);  // same tick: no time passes, the overdue still fire
  EXPECT_EQ(sorted(out), (Tokens{1, 2}));
  w.schedule(3, 20);
  out.clear();
  w.advance(40, out);  // an older tick is ignored but still drains the overdue
  EXPECT_EQ(out, Tokens{3});
  EXPECT_EQ(w.current_tick(), 50u);
}

TEST(TimerWheelTest, TimeNeverGoesBackwards) {
  TimerWheel w(8, 100);
  w.schedule(1, 105);
  Tokens out;
  w.advance(90, out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(w.current_tick(), 100u);
  w.advance(105, out);
  EXPECT_EQ(out, Tokens{1});
}

TEST(TimerWheelTest, NextDueTick) {
  TimerWheel w(8, 0);
  EXPECT_EQ(w.next_due_tick(), std::numeric_limits<std::uint64_t>::max());
  w.schedule(1, 30);  // later turn only: found by the full scan
  EXPECT_EQ(w.next_due_tick(), 30u);
  w.schedule(2, 21);
  EXPECT_EQ(w.next_due_tick(), 21u);
  w.schedule(3, 6);
  w.schedule(4, 6 + 8);  // same slot as 6, next turn
  EXPECT_EQ(w.next_due_tick(), 6u);
  auto h = w.schedule(5, 2);
  EXPECT_EQ(w.next_due_tick(), 2u);
  w.cancel(h);
  EXPECT_EQ(w.next_due_tick(), 6u);
  Tokens out;
  w.advance(6, out);
  EXPECT_EQ(w.next_due_tick(), 14u);
}

TEST(TimerWheelTest, SizeCountsLiveEntries) {
  TimerWheel w(16);
  EXPECT_EQ(w.size(), 0u);
  auto a = w.schedule(1, 1);
  w.schedule(2, 100);
  w.schedule(3, 0);
  EXPECT_EQ(w.size(), 3u);
  w.cancel(a);
  EXPECT_EQ(w.size(), 2u);
  Tokens out;
  w.advance(50, out);
  EXPECT_EQ(w.size(), 1u);
  w.advance(100, out);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheelTest, RandomScheduleCancelAdvanceMatchAReferenceModel) {
  std::mt19937_64 rng(7);
  TimerWheel w(64);
  std::map<std::uint64_t, std::uint64_t> model;  // token -> due, for live entries
  std::vector<std::pair<TimerWheel::Handle, std::uint64_t>> issued;  // handle, token
  std::uint64_t next_token = 0;
  for (int round = 0; round < 3000; ++round) {
    for (int i = 0; i < 4; ++i) {
      // Some in the past, most within a few turns.
      std::uint64_t due =
          w.current_tick() + rng() % 300 - std::min<std::uint64_t>(5, w.current_tick());
      issued.emplace_back(w.schedule(next_token, due), next_token);
      model[next_token++] = due;
    }
    for (int i = 0; i < 2; ++i) {
      auto [handle, token] = issued[rng() % issued.size()];
      ASSERT_EQ(w.cancel(handle), model.erase(token) == 1);
    }
    std::uint64_t now = w.current_tick() + rng() % 40;
    Tokens out;
    w.advance(now, out);
    Tokens want;
    for (auto it = model.begin(); it != model.end();) {
      if (it->second <= now) {
        want.push_back(it->first);
        it = model.erase(it);
      } else {
        ++it;
      }
    }
    ASSERT_EQ(sorted(out), want);
    ASSERT_EQ(w.size(), model.size());
    std::uint64_t earliest = std::numeric_limits<std::uint64_t>::max();
    for (auto& [token, due] : model) earliest = std::min(earliest, due);
    ASSERT_EQ(w.next_due_tick(), earliest);
  }
}

TEST(TimerWheelTest, MillionEntriesScheduleAndDrain) {
  constexpr std::uint64_t kCount = 1'000'000;
  TimerWheel w(512);
  std::mt19937_64 rng(1);
  for (std::uint64_t i = 0; i < kCount; ++i) w.schedule(i, 1 + rng() % 2048);  // four turns
  EXPECT_EQ(w.size(), kCount);
  EXPECT_LE(w.memory_bytes(), 40u * kCount);
  Tokens out;
  out.reserve(kCount);
  std::uint64_t last_next = 0;
  while (w.size() > 0) {
    std::uint64_t next = w.next_due_tick();
    ASSERT_GT(next, last_next);
    last_next = next;
    std::size_t before = out.size();
    w.advance(next, out);
    ASSERT_GT(out.size(), before);
  }
  ASSERT_EQ(out.size(), kCount);
  std::sort(out.begin(), out.end());
  for (std::uint64_t i = 0; i < kCount; ++i) ASSERT_EQ(out[i], i);
}

TEST(TimerWheelTest, MillionLongDelaysDrainInBigJumps) {
  constexpr std::uint64_t kCount = 1'000'000;
  constexpr std::uint64_t kTwoHours = 72'000;  // 100 ms ticks
  TimerWheel w(512);
  w.reserve(kCount);
  std::mt19937_64 rng(2);
  for (std::uint64_t i = 0; i < kCount; ++i) w.schedule(i, 1 + rng() % kTwoHours);
  Tokens out;
  std::size_t fired = 0;
  // Each jump is longer than a turn, so each walks every slot and entry.
  for (std::uint64_t now = 7'200; now <= kTwoHours; now += 7'200) {
    out.clear();
    w.advance(now, out);
    fired += out.size();
    ASSERT_EQ(fired + w.size(), kCount);
    if (w.size() > 0) {
      ASSERT_GT(w.next_due_tick(), now);
    }
  }
  EXPECT_EQ(fired, kCount);
}

}  // namespace
}  // namespace hookd
