#include "daemon/admin/metrics.hpp"

#include "core/prometheus_text.hpp"
#include "storage/version.hpp"

#include <openssl/crypto.h>
#include <boost/version.hpp>

#include <map>

namespace hookd::daemon {

namespace {

std::string boost_version() {
  return std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
         "." + std::to_string(BOOST_VERSION % 100);
}

void build_info(PrometheusText& out) {
  out.family("hookd_build_info", "gauge", "Versions hookd was built with; the value is always 1.");
  std::string boost = boost_version();
  std::string rocksdb = storage::rocksdb_version();
  out.sample("hookd_build_info",
             {{"version", HOOKD_VERSION},
              {"boost", boost},
              {"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)},
              {"rocksdb", rocksdb}},
             std::uint64_t{1});
}

void events_received(PrometheusText& out, const Config& config, const IngestHandler& ingest) {
  std::map<std::string, SourceCounters, std::less<>> sources;
  for (const auto& s : config.sources) sources[s.name];
  for (const auto& [name, c] : ingest.counters()) sources[name] = c;
  // Each label partitions its counter: the events of requests answered 200
  // are routed, unrouted or duplicate; every request is ok, rejected or
  // unavailable. Requests refused before a source is known have source="".
  out.family("hookd_events_received_total", "counter",
             "Events in requests answered 200, per source and result.");
  for (const auto& [name, c] : sources) {
    const std::pair<const char*, std::uint64_t> results[] = {
        {"routed", c.routed}, {"unrouted", c.unrouted}, {"duplicate", c.duplicates}};
    for (const auto& [result, n] : results)
      out.sample("hookd_events_received_total", {{"source", name}, {"result", result}}, n);
  }
  out.family("hookd_ingest_requests_total", "counter",
             "Ingest listener requests per source and answer: ok (200), rejected (4xx, "
             "other paths and methods included), "
             "unavailable (503).");
  for (const auto& [name, c] : sources) {
    const std::pair<const char*, std::uint64_t> results[] = {
        {"ok", c.ok}, {"rejected", c.rejected}, {"unavailable", c.unavailable}};
    for (const auto& [result, n] : results)
      out.sample("hookd_ingest_requests_total", {{"source", name}, {"result", result}}, n);
  }
}

struct SubscriptionMetrics {
  SubscriptionCounters counters;
  std::uint64_t dead_stored = 0;
};

std::map<std::string, SubscriptionMetrics, std::less<>> subscription_metrics(
    const Config& config, const DeliveryScheduler& scheduler) {
  std::map<std::string, SubscriptionMetrics, std::less<>> subs;
  for (const auto& s : config.subscriptions) subs[s.name];
  for (const auto& [name, c] : scheduler.counters()) subs[name].counters = c;
  for (const auto& status : scheduler.subscriptions()) {
    auto& m = subs[status.name];
    m.counters = status.counters;
    m.dead_stored = status.dead_total;
  }
  return subs;
}

void deliveries(PrometheusText& out, const Config& config, const DeliveryScheduler& scheduler) {
  auto subs = subscription_metrics(config, scheduler);
  out.family("hookd_deliveries_total", "counter",
             "Delivery outcomes per subscription: delivered, failed attempts (to be retried "
             "or not), dead-lettered.");
  for (const auto& [name, m] : subs) {
    out.sample("hookd_deliveries_total", {{"subscription", name}, {"outcome", "delivered"}},
               m.counters.delivered);
    out.sample("hookd_deliveries_total", {{"subscription", name}, {"outcome", "failed"}},
               m.counters.failed_attempts);
    out.sample("hookd_deliveries_total", {{"subscription", name}, {"outcome", "dead"}},
               m.counters.dead);
  }
  out.family("hookd_delivery_duration_seconds", "histogram",
             "Delivery attempt latency per subscription, request written to response read.");
  for (const auto& [name, m] : subs)
    out.histogram("hookd_delivery_duration_seconds", {{"subscription", name}}, kLatencyBuckets,
                  m.counters.latency_buckets, m.counters.latency_sum_seconds);
  out.family("hookd_deliveries_pending", "gauge",
             "Deliveries waiting to be delivered (due, waiting for a retry or in flight).");
  for (const auto& [name, m] : subs)
    out.sample("hookd_deliveries_pending", {{"subscription", name}}, m.counters.pending);
  out.family("hookd_deliveries_in_flight", "gauge", "Delivery attempts in progress.");
  for (const auto& [name, m] : subs)
    out.sample("hookd_deliveries_in_flight", {{"subscription", name}}, m.counters.in_flight);
  out.family("hookd_deliveries_dead", "gauge", "Dead-lettered deliveries in storage.");
  for (const auto& [name, m] : subs)
    out.sample("hookd_deliveries_dead", {{"subscription", name}}, m.dead_stored);
}

void pool_and_storage(PrometheusText& out, const ConnPool& pool, const storage::StoreStats& stats) {
  out.family("hookd_pool_connections", "gauge", "Open outbound connections per origin.");
  for (const auto& [origin, n] : pool.open_per_origin())
    out.sample("hookd_pool_connections", {{"origin", origin}}, std::uint64_t{n});
  out.family("hookd_pool_connections_opened_total", "counter",
             "Outbound connections opened since start.");
  const PoolStats pool_stats = pool.stats();
  out.sample("hookd_pool_connections_opened_total", {}, pool_stats.connections_opened);
  out.family("hookd_pool_origins", "gauge",
             "Origins the pool remembers (those with connections or in use; "
             "others are forgotten at idle reaping).");
  out.sample("hookd_pool_origins", {}, pool_stats.origins);
  out.family("hookd_storage_bytes", "gauge", "Estimated live bytes of the database (SST + WAL).");
  out.sample("hookd_storage_bytes", {}, stats.disk_bytes);
  out.family("hookd_storage_write_queue", "gauge", "Records waiting for the storage writer.");
  out.sample("hookd_storage_write_queue", {}, stats.queue_depth);
}

// Zero with [storage] event_types = false.
void event_types(PrometheusText& out, const storage::StoreStats& stats) {
  out.family("hookd_event_types", "gauge",
             "(source, type) pairs in the event-type catalog (GET /v1/event-types).");
  out.sample("hookd_event_types", {}, stats.event_types);
  out.family("hookd_event_types_dropped_total", "counter",
             "Accepted events not counted in the event-type catalog since start: their "
             "(source, type) pair was new and the catalog full ([storage] max_event_types).");
  out.sample("hookd_event_types_dropped_total", {}, stats.event_types_dropped);
}

void connections(PrometheusText& out, const ListenerCounters& listeners) {
  out.family("hookd_connections_open", "gauge", "Open client connections per listener.");
  for (const auto& [name, c] : listeners)
    out.sample("hookd_connections_open", {{"listener", name}}, c->open);
  out.family("hookd_connections_total", "counter",
             "Client connections per listener and result: accepted, refused over "
             "max_connections or over max_connections_per_ip.");
  for (const auto& [name, c] : listeners) {
    const std::pair<const char*, std::uint64_t> results[] = {
        {"accepted", c->accepted},
        {"refused_max_connections", c->refused_max},
        {"refused_max_connections_per_ip", c->refused_per_ip}};
    for (const auto& [result, n] : results)
      out.sample("hookd_connections_total", {{"listener", name}, {"result", result}}, n);
  }
  out.family("hookd_header_timeouts_total", "counter",
             "Connections closed for not sending a request head within header_timeout.");
  for (const auto& [name, c] : listeners)
    out.sample("hookd_header_timeouts_total", {{"listener", name}}, c->header_timeouts);
}

}  // namespace

std::string render_metrics(const Config& config, const IngestHandler& ingest,
                           const DeliveryScheduler& scheduler, const ConnPool& pool,
                           const storage::StoreStats& store, const ListenerCounters& listeners) {
  PrometheusText out;
  build_info(out);
  events_received(out, config, ingest);
  deliveries(out, config, scheduler);
  pool_and_storage(out, pool, store);
  event_types(out, store);
  connections(out, listeners);
  return std::move(out).take();
}

}  // namespace hookd::daemon
