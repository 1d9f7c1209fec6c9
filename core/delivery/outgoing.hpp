#pragma once
// What hookd sends to a subscriber (SPEC section 4): the URL split into
// origin and target, the body (original or CloudEvents, with `extra` merged),
// and the headers, including Standard Webhooks signatures. Pure functions;
// the HTTP client puts the result on the wire.

#include "core/config/config.hpp"
#include "core/event.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd {

// scheme://host:port/path?query of a subscription URL.
struct TargetUrl {
  bool tls = false;        // https
  std::string host;        // without brackets for IPv6 literals
  std::uint16_t port = 0;  // 80/443 when the URL has none
  std::string target;      // path and query, "/" when empty
};
// nullopt unless http or https with a host, no userinfo and a port of
// 1 to 65535; the fragment is dropped. Registered names are percent-decoded.
std::optional<TargetUrl> parse_target_url(std::string_view url);  // Boost.URL

// The Host header value: host (IPv6 literals in brackets), plus ":port" when
// the port is not the scheme's default.
std::string host_header(const TargetUrl& url);

// "2025-03-10T09:14:22.324Z" for unix milliseconds (UTC, always with millis).
std::string format_rfc3339_ms(std::int64_t unix_ms);

struct OutgoingRequest {
  std::string target;
  std::string host_header;  // "host" or "host:port" when not the default port
  std::vector<std::pair<std::string, std::string>> headers;  // in send order
  std::string body;
};

// The Standard Webhooks signature "v1,BASE64(HMAC-SHA256(key, id.ts.body))"
// where key is the base64 decoding of the part after "whsec_". nullopt when
// the secret does not decode.
std::optional<std::string> sign_standard_webhooks(std::string_view secret, std::string_view msg_id,
                                                  std::int64_t timestamp_s, std::string_view body);

// The body for `mode`: the event's stored bytes (original) or a CloudEvents
// 1.0 structured envelope with the original as `data`; `extra` is merged into
// the top level when the body is a JSON object (extra keys win).
// Original without extra (or with a body that is not a JSON object) is the
// stored bytes unchanged; with extra the object is re-serialized. The
// envelope has specversion "1.0", id = event id, source "/hookd/sources/" +
// source name, type, time (RFC 3339 with millis) and datacontenttype; its
// `data` is the original bytes spliced in verbatim when they are JSON, else
// the original as a JSON string (with the event's content type).
std::string build_body(const Event& event, BodyMode mode, const boost::json::object& extra);

// The whole request for one attempt of `delivery` (attempt counts from 1).
// Headers in order: Content-Type (the event's content type for original,
// application/cloudevents+json for cloudevents), User-Agent, webhook-id,
// webhook-timestamp, webhook-signature (one "v1," per secret that decodes,
// space-separated; absent without secrets), hookd-event-type, hookd-source,
// hookd-attempt, Idempotency-Key (= webhook-id = delivery id, stable across
// retries), the subscription's headers in order, then Authorization: Basic
// for basic_auth.
OutgoingRequest build_delivery_request(const Event& event, const Delivery& delivery,
                                       std::uint32_t attempt, const SubscriptionConfig& sub,
                                       const TargetUrl& url, std::string_view user_agent,
                                       std::int64_t now_s);

// The name of the first header (or "target") that must not go on the wire:
// a name or value with CR, LF or NUL, which could end the header block or
// start a second request on a shared connection. nullopt when all are safe.
// Ingest refuses such values; this is the check at the other end.
std::optional<std::string> unsafe_header(const OutgoingRequest& req);

}  // namespace hookd
