// Micro benchmarks of the ingest hot path's pure parts: parse, route, ids.
// Run: build/bench/hookd_micro_bench
#include "core/config/config.hpp"
#include "core/formats/parsers.hpp"
#include "core/router.hpp"
#include "core/ulid.hpp"

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

namespace {

std::string sample(const char* name) {
  std::ifstream in(std::string(HOOKD_TEST_DATA_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void BM_ParseMinio(benchmark::State& state) {
  std::string body = sample("minio/01-put-small.json");
  hookd::SourceConfig src;
  src.name = "minio";
  src.format = hookd::Format::minio;
  hookd::RequestMeta meta;
  for (auto _ : state) {
    std::string msg;
    auto v = hookd::parse_json(body, msg);
    auto out = hookd::parse_events(src, *v, body, meta);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParseMinio);

void BM_ParseOpteryx(benchmark::State& state) {
  std::string body = sample("opteryx/01-dataset-create.json");
  hookd::SourceConfig src;
  src.name = "catalog";
  src.format = hookd::Format::opteryx;
  hookd::RequestMeta meta;
  for (auto _ : state) {
    std::string msg;
    auto v = hookd::parse_json(body, msg);
    auto out = hookd::parse_events(src, *v, body, meta);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ParseOpteryx);

void BM_Route(benchmark::State& state) {
  std::vector<hookd::SubscriptionConfig> subs(static_cast<std::size_t>(state.range(0)));
  for (std::size_t i = 0; i < subs.size(); ++i) {
    subs[i].name = "s" + std::to_string(i);
    subs[i].events = {i % 2 ? "s3:ObjectCreated:*" : "dataset.*"};
    subs[i].filter.prefix = "uploads/";
  }
  hookd::Router router(subs);
  hookd::Event ev;
  ev.type = "s3:ObjectCreated:Put";
  ev.attrs.bucket = "photos";
  ev.attrs.object_key = "uploads/a.jpg";
  for (auto _ : state) benchmark::DoNotOptimize(router.match(ev));
}
BENCHMARK(BM_Route)->Arg(4)->Arg(64);

void BM_Ulid(benchmark::State& state) {
  hookd::UlidGenerator gen;
  std::int64_t ms = 1'700'000'000'000;
  for (auto _ : state) benchmark::DoNotOptimize(gen.next(ms));
}
BENCHMARK(BM_Ulid);

}  // namespace

BENCHMARK_MAIN();
