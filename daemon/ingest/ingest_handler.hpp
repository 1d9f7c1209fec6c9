#pragma once
// IngestHandler: the POST /event endpoint (SPEC section 3). Attributes the
// request to a source, authenticates it, parses the body into events, drops
// duplicates, routes each new event to its subscriptions and hands the event,
// its idempotency key and its deliveries to the store as one atomic write.
// The 200 is produced only after that write is durable.
//
// Threads: handle() and check_head() run on every io thread (each session on
// its own). Keys whose write is in flight are held in in_flight_, shared by
// all threads under a mutex, so that a concurrent re-send on any thread waits
// for that write instead of storing the event twice: the idempotency lookup
// and the reservation of a key happen under that mutex. Counters and the
// routing snapshot are guarded too; set_config() may come from any thread.
// Lifetime: the store outlives the handler.

#include "core/config/config.hpp"
#include "core/router.hpp"
#include "core/stats_series.hpp"
#include "core/ulid.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/ingest/ingest_request.hpp"
#include "storage/event_store.hpp"

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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
  // Called on the request's io thread after a write is durable, with the
  // deliveries it created (the delivery engine schedules them).
  using CommittedFn = std::function<void(const std::vector<Delivery>&)>;

  IngestHandler(storage::EventStore& store, std::shared_ptr<const Config> config);

  void set_config(std::shared_ptr<const Config> config);
  void on_committed(CommittedFn fn) { on_committed_ = std::move(fn); }

  // The server's head check (HttpServer::HeadCheck): a refusal decided by
  // the request head, answered before the body is read; nullopt to go on,
  // with the head's judgement (and the config it used) left in `head_state`
  // for handle(), which then does not judge the head again. Without one
  // (an empty `head_state`), handle() judges the head itself.
  std::optional<Response> check_head(const http::request_header<>& head, const ClientInfo& client,
                                     std::any& head_state);
  net::awaitable<Response> handle(Request& req, const ClientInfo& client, std::any& head_state);
  // The server's refusal hook (HttpServer::RefusalHook): an answer the HTTP
  // layer gave (400, 408, 413, 417, 431, 501), counted as rejected and
  // logged like the handler's own refusals.
  void http_refusal(http::status status, std::string_view reason, const ClientInfo& client);

  std::map<std::string, SourceCounters> counters() const;
  // Events per minute by result of the last hour, per configured source,
  // ending at `now_minute` (unix minutes); any thread.
  std::map<std::string, std::array<SourceMinute, kSeriesMinutes>, std::less<>> series(
      std::int64_t now_minute) const;
  std::size_t writes_in_flight() const;
  // A fresh event id from the same generator as ingest's (time-ordered,
  // unique across threads), for events hookd makes itself (hookd.test).
  std::string new_event_id(std::int64_t now_ms);

 private:
  struct Routing {
    std::shared_ptr<const Config> config;
    Router router;
  };
  // What check_head() leaves for handle(): the routing it judged by (its
  // source pointer is into that config) and its judgement.
  struct CheckedHead {
    std::shared_ptr<const Routing> routing;
    IngestHead head;
  };
  struct InFlight;
  struct InFlightEntry {
    std::shared_ptr<InFlight> flight;
    std::string event_id;
  };
  Response refuse(const IngestVerdict& verdict, const ClientInfo& client);
  // Counts a rejected request for `source` ("" when none is known) and logs it.
  void note_rejected(const std::string& source, http::status status, std::string_view reason,
                     const ClientInfo& client);
  std::shared_ptr<const Routing> routing() const;
  void count(const std::string& source, std::uint64_t SourceCounters::*field, std::uint64_t n = 1);
  net::awaitable<Response> ingest(const SourceConfig& source, const Routing& routing,
                                  std::vector<Event> events);

  storage::EventStore& store_;
  mutable std::mutex routing_mu_;
  std::shared_ptr<const Routing> routing_;
  mutable std::mutex mu_;  // in_flight_ and ids_
  UlidGenerator ids_;
  std::unordered_map<std::string, InFlightEntry> in_flight_;
  mutable std::mutex counters_mu_;
  std::map<std::string, SourceCounters> counters_;
  SeriesMap<SourceMinute> series_{0};  // under counters_mu_; bounded by the config's sources
  CommittedFn on_committed_;
};

}  // namespace hookd::daemon
