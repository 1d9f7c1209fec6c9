// TimerWheel costs: schedule+cancel, advance with a steady population of
// retries, and memory per pending entry.
// Run: build/bench/hookd_timer_wheel_bench
#include "core/delivery/timer_wheel.hpp"

#include <benchmark/benchmark.h>

#include <random>

namespace {

constexpr std::uint32_t kSlots = 512;
constexpr std::uint64_t kHourOfTicks = 36'000;  // 100 ms ticks

// A wheel holding `n` entries due uniformly within the next hour.
hookd::TimerWheel populated(std::size_t n, std::mt19937_64& rng) {
  hookd::TimerWheel w(kSlots);
  w.reserve(n);
  for (std::size_t i = 0; i < n; ++i) w.schedule(i, 1 + rng() % kHourOfTicks);
  return w;
}

// One schedule and one cancel per iteration, next to `range(0)` other entries.
void BM_ScheduleCancel(benchmark::State& state) {
  std::mt19937_64 rng(1);
  hookd::TimerWheel w = populated(static_cast<std::size_t>(state.range(0)), rng);
  std::uint64_t token = 0;
  for (auto _ : state) {
    auto h = w.schedule(token++, 1 + (token * 7919) % kHourOfTicks);
    benchmark::DoNotOptimize(w.cancel(h));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScheduleCancel)->Arg(0)->Arg(100'000)->Arg(1'000'000);

// One tick per iteration with `range(0)` entries pending; every fired entry
// is rescheduled within the next hour, as retries are. Items are fired entries.
void BM_AdvanceSteadyState(benchmark::State& state) {
  std::mt19937_64 rng(2);
  hookd::TimerWheel w = populated(static_cast<std::size_t>(state.range(0)), rng);
  std::vector<std::uint64_t> out;
  std::int64_t fired = 0;
  for (auto _ : state) {
    out.clear();
    w.advance(w.current_tick() + 1, out);
    for (auto token : out) w.schedule(token, w.current_tick() + 1 + rng() % kHourOfTicks);
    benchmark::DoNotOptimize(w.next_due_tick());
    fired += static_cast<std::int64_t>(out.size());
  }
  state.SetItemsProcessed(fired);
  state.counters["pending"] = static_cast<double>(w.size());
}
BENCHMARK(BM_AdvanceSteadyState)->Arg(10'000)->Arg(100'000)->Arg(1'000'000);

// Drains `range(0)` entries due within one turn, one tick at a time.
void BM_DrainOneTurn(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint64_t> out;
  out.reserve(n);
  for (auto _ : state) {
    state.PauseTiming();
    hookd::TimerWheel w(kSlots);
    w.reserve(n);
    for (std::size_t i = 0; i < n; ++i) w.schedule(i, 1 + i % kSlots);
    out.clear();
    state.ResumeTiming();
    for (std::uint64_t t = 1; t <= kSlots; ++t) w.advance(t, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_DrainOneTurn)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// One-shot: bytes held per pending entry with 1M entries, grown without
// reserve() as the daemon does when deliveries arrive one by one.
void BM_MemoryPerEntry(benchmark::State& state) {
  constexpr std::size_t kCount = 1'000'000;
  for (auto _ : state) {
    hookd::TimerWheel w(kSlots);
    for (std::size_t i = 0; i < kCount; ++i) w.schedule(i, 1 + i % kHourOfTicks);
    state.counters["bytes_per_entry"] =
        static_cast<double>(w.memory_bytes()) / static_cast<double>(w.size());
    state.counters["total_MiB"] = static_cast<double>(w.memory_bytes()) / (1024.0 * 1024.0);
  }
}
BENCHMARK(BM_MemoryPerEntry)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
