#pragma once
// Body parsers: turn one request body into normalized events (core/event.hpp),
// each with its type, time, filter attributes, idempotency key (SPEC section
// 3) and the exact bytes to deliver. Pure functions; no I/O.

#include "core/config/config.hpp"
#include "core/errors.hpp"
#include "core/event.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookd {

// What parsing produced: events, or an error code with a message for the
// JSON error body ("Records[0].s3.bucket.name: string required").
struct ParseOutcome {
  std::vector<Event> events;
  ingest_errc error = ingest_errc::ok;
  std::string message;
  bool ok() const noexcept { return error == ingest_errc::ok; }
};

// Parses the body as strict JSON (no NaN/Infinity, no comments, no trailing
// garbage). On failure sets `message` to the reason alone, without a
// "malformed JSON" prefix ("extra data at byte 8"), and returns nullopt.
//
// Nesting deeper than `max_depth` is refused: kMaxJsonDepth for what
// senders send; a stored body, which may be a binary-mode CloudEvent's
// envelope around such data, is read with one level more.
inline constexpr std::size_t kMaxJsonDepth = 64;
std::optional<boost::json::value> parse_json(std::string_view body, std::string& message,
                                             std::size_t max_depth = kMaxJsonDepth);

// The format a body is in: CloudEvents when the Content-Type is
// application/cloudevents+json or application/cloudevents-batch+json, when
// meta.ce_headers has specversion (binary mode), or when the object has
// "specversion";
// MinIO when it has a "Records" array; Opteryx when it has "event" and
// "data" objects; otherwise generic.
Format detect_format(const boost::json::value& body, const RequestMeta& meta);

// Parses an already-parsed body of `source.format`. `raw` is the body's exact
// bytes, strict JSON that `body` is the parse of (CloudEvents binary mode
// splices them into its envelope); only a binary-mode CloudEvent's may be
// empty (no data) or, with a Content-Type that is not JSON, any bytes (its
// data, kept as a string or as base64), with `body` null. Sets each event's source, format, type, time_ms, received_ms,
// idempotency_key, attrs, content_type and body; leaves id empty.
ParseOutcome parse_events(const SourceConfig& source, const boost::json::value& body,
                          std::string_view raw, const RequestMeta& meta);

// How a CloudEvent travels in a request (the HTTP binding's content modes):
// structured for Content-Type application/cloudevents+json, batch for
// application/cloudevents-batch+json, else binary when ce-specversion is
// given; none when neither says (a body holding "specversion" is then read
// as structured mode).
enum class CloudEventsMode { none, structured, batch, binary };
CloudEventsMode cloudevents_mode(const RequestMeta& meta);

// Lower-case hex SHA-256 of bytes (OpenSSL).
std::string sha256_hex(std::string_view bytes);

// Decodes a URL query component: "+" is a space, "%XX" a byte. Invalid
// escapes are kept as written.
std::string form_decode(std::string_view s);

// Unix milliseconds of an RFC 3339 date-time ("2025-03-10T09:14:22.324Z",
// "2025-03-10T10:14:22+01:00"): 'T' (or 't' or a space) between date and
// time, an optional fraction of any length (truncated to milliseconds), and
// 'Z' or a +hh:mm/-hh:mm offset. nullopt for anything else, including
// impossible dates.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view s);

// Unix milliseconds of 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z:
// the times RFC 3339 can write. An event time outside them is replaced by
// the receive time.
inline constexpr std::int64_t kMinRfc3339Ms = -62167219200000;
inline constexpr std::int64_t kMaxRfc3339Ms = 253402300799999;
constexpr bool is_representable_time_ms(std::int64_t ms) noexcept {
  return ms >= kMinRfc3339Ms && ms <= kMaxRfc3339Ms;
}

}  // namespace hookd
