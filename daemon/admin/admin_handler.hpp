#pragma once
// AdminHandler: the admin listener's endpoints (SPEC section 5,
// docs/admin-api.md). /healthz, /readyz and /metrics are open; /v1/* needs
// the configured Bearer token, compared in constant time, and is refused
// with 403 while no token is configured; the optional read token allows GET
// and HEAD only (403 for any other method). Store reads (bounded scans and
// multi-key reads) and the disk-size read of /metrics run on the storage
// reader and resume here with the result; a full reader queue answers 503
// with Retry-After: 1. Actions go through the delivery scheduler, which makes
// each change durable before answering; replays run as jobs (ReplayJobs).
//
// Threads: io thread only, like every service it reads.
// Lifetime: the store, reader, scheduler, ingest handler and pool are owned
// by App and outlive the admin HttpServer and every request it serves.

#include "core/config/config.hpp"
#include "daemon/delivery/conn_pool.hpp"
#include "daemon/admin/replay_jobs.hpp"
#include "daemon/admin/subscription_registry.hpp"
#include "daemon/delivery/delivery_scheduler.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/ingest/ingest_handler.hpp"
#include "daemon/storage_reader.hpp"
#include "storage/event_store.hpp"

#include <boost/url/params_view.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hookd::daemon {

class AdminHandler {
 public:
  // `ready` answers /readyz: true once storage is open, the config loaded and
  // the listeners bound, false again while stopping. /readyz is also 503
  // while the scheduler's storage writes fail (DeliveryScheduler::writes_failing).
  AdminHandler(storage::EventStore& store, StorageReader& reader, DeliveryScheduler& scheduler,
               IngestHandler& ingest, ConnPool& pool, std::shared_ptr<const Config> config,
               std::function<bool()> ready, SubscriptionRegistry* registry = nullptr);

  // A reload may change the token; requests already running keep the old config.
  void set_config(std::shared_ptr<const Config> config) { config_ = std::move(config); }

  net::awaitable<Response> handle(Request& req, const ClientInfo& client);
  // The server's head check: /v1 requests without the right token are
  // refused before their body is read.
  std::optional<Response> check_head(const http::request_header<>& head,
                                     const ClientInfo& client) const;
  // Connection counters shown in /metrics as listener="NAME"; `counters`
  // outlives the handler.
  void watch_connections(std::string listener, const ConnectionCounters& counters);

  // Events scanned at most per /v1/events request with filters: limit times
  // this, plus kScanExtra; the answer's "next" resumes where the scan stopped.
  static constexpr std::size_t kScanFactor = 10;
  static constexpr std::size_t kScanExtra = 1000;
  // A replay still running after its first scan chunk (256 events, so a
  // range of at least that many stored events) or after kInlineReplay
  // answers 202 with a job id; a shorter one answers 200 {"replayed": N}.
  static constexpr std::chrono::milliseconds kInlineReplay{1000};

  // Asks running replay jobs to end (shutdown).
  void stop_jobs() { jobs_.stop(); }

 private:
  net::awaitable<Response> open_endpoint(std::string path, const Request& req);
  std::optional<Response> authorize(const http::request_header<>& req,
                                    const ClientInfo& client) const;
  // True when `req` carries the full token (not the read token).
  bool full_access(const http::request_header<>& req) const;
  // GET /v1/whoami: {"access":"full"|"read"}, so the console can hide actions.
  Response whoami(const Request& req) const;
  // GET /v1/stats/series (admin_stats.cpp).
  Response stats_series() const;
  net::awaitable<Response> v1(const Request& req, const std::vector<std::string>& segs,
                              boost::urls::params_view query);

  // admin_subscriptions.cpp
  std::optional<boost::json::object> subscription_view(std::string_view name) const;
  boost::json::object subscription_view(const SubscriptionConfig& sc) const;
  Response get_subscription(const std::string& name) const;
  Response list_subscriptions(boost::urls::params_view query) const;
  net::awaitable<Response> create_subscription(std::string body);
  net::awaitable<Response> update_subscription(std::string name, std::string body, bool replace);
  net::awaitable<Response> enable_subscription(std::string name, bool enabled);
  net::awaitable<Response> delete_subscription(std::string name);
  net::awaitable<Response> rotate_secret(std::string name, std::string body);
  net::awaitable<Response> test_subscription(std::string name);
  net::awaitable<Response> subscriptions_endpoint(const Request& req,
                                                  const std::vector<std::string>& segs,
                                                  boost::urls::params_view query);
  net::awaitable<Response> list_events(boost::urls::params_view query);
  net::awaitable<Response> get_event(std::string id);
  net::awaitable<Response> list_deliveries(boost::urls::params_view query);
  net::awaitable<Response> get_delivery(std::string id);
  net::awaitable<Response> list_event_types(boost::urls::params_view query);
  Response get_job(const std::string& id) const;
  Response list_jobs() const;
  net::awaitable<Response> retry(std::string id);
  net::awaitable<Response> pause_or_resume(std::string name, bool pause);
  net::awaitable<Response> replay(std::string name, const std::string& body);
  net::awaitable<Response> redeliver_dead(boost::urls::params_view query);

  storage::EventStore& store_;
  StorageReader& reader_;
  DeliveryScheduler& scheduler_;
  IngestHandler& ingest_;
  ConnPool& pool_;
  std::shared_ptr<const Config> config_;
  std::function<bool()> ready_;
  SubscriptionRegistry* registry_;
  ReplayJobs jobs_;
  std::vector<std::pair<std::string, const ConnectionCounters*>> connections_;
};

}  // namespace hookd::daemon
