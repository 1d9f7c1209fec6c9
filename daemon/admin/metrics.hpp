#pragma once
// The /metrics page: hookd's Prometheus metrics (docs/admin-api.md, Metrics),
// read from the live services at scrape time. Every configured source and
// subscription has its series from the start (zero until something happens),
// so that rate() and alerts see them before the first event.
//
// Threads: io thread (the services' counters are io-thread state). The
// store's stats are read beforehand on the storage reader (disk_bytes lists
// the database directory).

#include "core/config/config.hpp"
#include "daemon/delivery/conn_pool.hpp"
#include "daemon/delivery/delivery_scheduler.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/ingest/ingest_handler.hpp"
#include "storage/event_store.hpp"

#include <string>

namespace hookd::daemon {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4";

using ListenerCounters = std::vector<std::pair<std::string, const ConnectionCounters*>>;

std::string render_metrics(const Config& config, const IngestHandler& ingest,
                           const DeliveryScheduler& scheduler, const ConnPool& pool,
                           const storage::StoreStats& store, const ListenerCounters& listeners);

}  // namespace hookd::daemon
