// Micro benchmarks of the ingest hot path: parse, route, ids, and the point
// reads that stay on the io thread (the idempotency lookup per event, the
// delivery and event reads per attempt) against a store of 100,000 events.
// Run: build/bench/hookd_micro_bench
#include "core/config/config.hpp"
#include "core/event_types.hpp"
#include "core/formats/parsers.hpp"
#include "core/router.hpp"
#include "core/ulid.hpp"
#include "storage/store.hpp"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <future>
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

// One accepted event counted in an event-type catalog of N pairs: what the
// storage writer does per event (a lookup in the catalog and one in the
// group's delta, then the delta's merge), measured as the catalog's lookup
// and merge. Arg: pairs already in the catalog.
void BM_EventTypeRecord(benchmark::State& state) {
  const auto pairs = static_cast<std::size_t>(state.range(0));
  hookd::EventTypeCatalog catalog(pairs);
  std::vector<std::string> types;
  for (std::size_t i = 0; i < pairs; ++i) {
    types.push_back("s3:ObjectCreated:Put" + std::to_string(i));
    catalog.load("minio", types.back(), {1, 1, 1});
  }
  std::size_t i = 0;
  std::int64_t ms = 1'700'000'000'000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(catalog.record("minio", types[i], ++ms));
    if (++i == pairs) i = 0;
  }
}
BENCHMARK(BM_EventTypeRecord)->Arg(1)->Arg(50)->Arg(10'000);

}  // namespace

// A store in a temp dir with `n` stored events, each with one delivery; the
// ids and keys written.
struct FilledStore {
  std::string dir;
  std::unique_ptr<hookd::storage::Store> store;
  std::vector<std::string> ids, keys;
  explicit FilledStore(std::size_t n) {
    char tmpl[] = "/tmp/hookd-micro-XXXXXX";
    dir = ::mkdtemp(tmpl);
    hookd::storage::StoreOptions opts;
    opts.path = dir;
    opts.sync = hookd::SyncMode::none;
    store = std::move(*hookd::storage::Store::open(opts));
    hookd::UlidGenerator ulids;
    const std::string body(1400, 'x');
    for (std::size_t done = 0; done < n;) {
      std::vector<hookd::storage::IngestRecord> batch;
      for (std::size_t i = 0; i < 1000 && done < n; ++i, ++done) {
        hookd::storage::IngestRecord r;
        r.event.id = ulids.next(1'800'000'000'000);
        r.event.source = "bench";
        r.event.type = "bench.event";
        r.event.received_ms = r.event.time_ms = 1'800'000'000'000;
        r.event.idempotency_key = "key-" + std::to_string(done);
        r.event.body = body;
        hookd::Delivery d;
        d.id = r.event.id + ".0";
        d.event_id = r.event.id;
        d.subscription = "sink";
        r.deliveries.push_back(d);
        ids.push_back(r.event.id);
        keys.push_back(r.event.idempotency_key);
        batch.push_back(std::move(r));
      }
      std::promise<hookd::error_code> p;
      store->submit(std::move(batch), [&](hookd::error_code e) { p.set_value(e); });
      p.get_future().get();
    }
  }
  ~FilledStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

FilledStore& filled() {
  static FilledStore s(100'000);
  return s;
}

void BM_FindIdempotency(benchmark::State& state) {
  FilledStore& s = filled();
  std::size_t i = 0;
  for (auto _ : state) {
    // Half hits, half misses, as a mix of re-sends and new events.
    std::string key = (i % 2) ? s.keys[(i * 7919) % s.keys.size()] : "new-" + std::to_string(i);
    benchmark::DoNotOptimize(s.store->find_idempotency("bench", key, 1'800'000'000'001));
    ++i;
  }
}
BENCHMARK(BM_FindIdempotency);

void BM_AttemptReads(benchmark::State& state) {
  FilledStore& s = filled();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& id = s.ids[(i++ * 7919) % s.ids.size()];
    benchmark::DoNotOptimize(s.store->get_delivery(id + ".0"));
    benchmark::DoNotOptimize(s.store->get_event(id));
  }
}
BENCHMARK(BM_AttemptReads);

BENCHMARK_MAIN();
