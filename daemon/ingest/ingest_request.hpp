#pragma once
// What POST /event decides without storage (SPEC section 3): which source
// sent a request, whether it may, and which events its body holds.
//
// judge_ingest_head() decides from the request head alone, before any body
// byte is read: the path, the method, the sender's key and type headers, the
// path- or token-attributed source with its allow_from and token, and the
// content type. Only a request that can be attributed by its body format
// alone (a tokenless source) passes the head check without a source.
// prepare_ingest() finishes with the body: JSON, attribution by format,
// server.max_records, parsing and the field rules of core/text.hpp.
//
// Pure functions of the config and the request: no I/O, no clock (the receive
// time is passed in). The ingest handler and the ingest fuzz target call them.

#include "core/config/config.hpp"
#include "core/event.hpp"
#include "daemon/http/net.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookd::daemon {

struct IngestVerdict {
  // ok, or the status to answer with error_response(status, message).
  http::status status = http::status::ok;
  std::string message;
  // The attributed source, also when it is then refused (for its counters);
  // null before attribution.
  const SourceConfig* source = nullptr;
  // Head check only: not a POST to an event path (GET /healthz, HEAD); the
  // handler answers it without the ingest path.
  bool not_ingest = false;
  std::vector<Event> events;  // prepare_ingest(), when ok
  bool ok() const noexcept { return status == http::status::ok; }
};

// What the head check read, kept for the body so that the head is judged
// once: its verdict, the sender's metadata and the path's source.
struct IngestHead {
  IngestVerdict who;
  RequestMeta meta;
  std::string path_source;
};

IngestHead judge_ingest_head(const Config& config, const http::request_header<>& head,
                             const boost::asio::ip::address& client);

// Finishes a request whose head judge_ingest_head() passed, with the same
// config and client; the head's fields are not read again (the HTTP layer
// drops trailer fields, so the head is all the request has).
IngestVerdict prepare_ingest(const Config& config, const Request& req,
                             const boost::asio::ip::address& client, std::int64_t received_ms,
                             IngestHead head);
// Judges the head, then finishes as above.
IngestVerdict prepare_ingest(const Config& config, const Request& req,
                             const boost::asio::ip::address& client, std::int64_t received_ms);

// The source name a request path names: "" for /event, "NAME" for
// /event/NAME and /event/NAME/event (a trailing slash allowed, segments
// percent-decoded); nullopt for any other path.
std::optional<std::string> event_path_source(std::string_view target);

}  // namespace hookd::daemon
