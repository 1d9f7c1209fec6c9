#pragma once
// IngestHandler: the POST /event endpoint (SPEC section 3). Attributes the
// request to a source, authenticates it, parses the body into events, drops
// duplicates, routes each new event to its subscriptions and hands the event,
// its idempotency key and its deliveries to the store as one atomic write.
// The 200 is produced only after that write is durable.
//
// Threads: runs on the io thread only. Keys whose write is in flight are held
// in in_flight_, so that a concurrent re-send waits for that write instead of
// storing the event twice (the check-then-write stays atomic without locks).
// Lifetime: the store and the io_context outlive the handler.

#include "core/config/config.hpp"
#include "core/router.hpp"
#include "core/ulid.hpp"
#include "daemon/http/http_server.hpp"
#include "storage/event_store.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace hookd::daemon {

struct IngestVerdict;  // daemon/ingest_request.hpp

// Counters per source, read by metrics and tests.
// Events (of requests answered 200) partition into routed, unrouted and
// duplicates; requests into ok, rejected and unavailable. Requests refused
// before a source is known count under the source "".
struct SourceCounters {
  std::uint64_t routed = 0;      // new events stored with at least one delivery
  std::uint64_t unrouted = 0;    // new events stored that matched no subscription
  std::uint64_t duplicates = 0;  // events already stored
  std::uint64_t ok = 0;          // requests answered 200
  std::uint64_t rejected = 0;    // requests answered 4xx
  std::uint64_t unavailable = 0; // requests answered 503
};

class IngestHandler {
 public:
  // Called on the io thread after a write is durable, with the deliveries it
  // created (the delivery engine schedules them).
  using CommittedFn = std::function<void(const std::vector<Delivery>&)>;

  IngestHandler(net::io_context& ioc, storage::EventStore& store, std::shared_ptr<const Config> config);

  void set_config(std::shared_ptr<const Config> config);
  void on_committed(CommittedFn fn) { on_committed_ = std::move(fn); }

  // The server's head check (HttpServer::HeadCheck): a refusal decided by
  // the request head, answered before the body is read; nullopt to go on.
  std::optional<Response> check_head(const http::request_header<>& head, const ClientInfo& client);
  net::awaitable<Response> handle(Request& req, const ClientInfo& client);

  const std::map<std::string, SourceCounters>& counters() const noexcept { return counters_; }
  std::size_t writes_in_flight() const noexcept { return in_flight_.size(); }

 private:
  struct Routing {
    std::shared_ptr<const Config> config;
    Router router;
  };
  struct InFlight;
  struct InFlightEntry {
    std::shared_ptr<InFlight> flight;
    std::string event_id;
  };
  Response refuse(const IngestVerdict& verdict, const ClientInfo& client);
  net::awaitable<Response> ingest(const SourceConfig& source, const Routing& routing,
                                  std::vector<Event> events);

  net::io_context& ioc_;
  storage::EventStore& store_;
  std::shared_ptr<const Routing> routing_;
  UlidGenerator ids_;
  std::unordered_map<std::string, InFlightEntry> in_flight_;
  std::map<std::string, SourceCounters> counters_;
  CommittedFn on_committed_;
};

}  // namespace hookd::daemon
