#pragma once
// The normalized event: what a parser makes of one accepted record, what the
// router matches and what storage keeps. Plain data; no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hookd {

enum class Format { minio, opteryx, cloudevents, generic };

// The fields subscription filters look at. Empty optionals mean "this event
// has no such field" (a bucket filter never matches an Opteryx event).
struct EventAttributes {
  std::optional<std::string> bucket;         // MinIO
  std::optional<std::string> object_key;     // MinIO, form-decoded
  std::optional<std::string> workspace;      // Opteryx
  std::optional<std::string> collection;     // Opteryx; absent for null
  std::optional<std::string> resource_type;  // Opteryx
};

struct Event {
  std::string id;            // time-ordered (ULID); set by the ingest path
  std::string source;        // source name from the config
  Format format = Format::generic;
  std::string type;          // "s3:ObjectCreated:Put", "dataset.create", ...
  std::int64_t time_ms = 0;  // event time from the body, else receive time
  std::int64_t received_ms = 0;
  std::string idempotency_key;  // unscoped; storage scopes it by source
  EventAttributes attrs;
  std::string content_type = "application/json";
  std::string body;          // exact bytes to deliver as "original"
};

// Request metadata a parser may need besides the body.
struct RequestMeta {
  std::optional<std::string> idempotency_key;  // Idempotency-Key or webhook-id
  std::optional<std::string> cloud_tasks_name; // X-CloudTasks-TaskName
  std::optional<std::string> event_type;       // X-Event-Type (generic)
  std::optional<std::string> content_type;
  // CloudEvents binary mode: ce-* headers, lower-case names without "ce-".
  std::vector<std::pair<std::string, std::string>> ce_headers;
  std::int64_t received_ms = 0;
};

// cancelled: its subscription was deleted while it was pending; final, like
// delivered, and never sent again.
enum class DeliveryState : std::uint8_t { pending = 0, delivered = 1, dead = 2, cancelled = 3 };

// One event's delivery to one subscription. Retry state lives here so that
// it survives restarts.
struct Delivery {
  std::string id;            // event id + "." + ordinal
  std::string event_id;
  std::string subscription;  // subscription name
  DeliveryState state = DeliveryState::pending;
  std::uint32_t attempts = 0;
  std::int64_t next_attempt_ms = 0;  // unix ms when the next attempt is due
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::string last_error;
  // Attempts made before an operator's last retry of this delivery: the
  // retry policy's budget counts attempts - attempt_base.
  std::uint32_t attempt_base = 0;
};

// One delivery attempt as recorded in storage (SPEC section 5: every attempt
// with time, status, latency, error and a response excerpt).
struct Attempt {
  std::uint32_t number = 0;        // 1 for the first attempt
  std::int64_t started_ms = 0;     // unix ms
  std::int64_t latency_us = 0;     // request written to response read (or failure)
  int status = 0;                  // HTTP status; 0 when no response arrived
  std::string error;               // "" on a response; else what failed ("connect: refused")
  std::string response_excerpt;    // first KiB of the response body
};

// A subscription's persisted operational state (410 Gone or an operator pauses it).
struct SubscriptionState {
  bool paused = false;
  std::string reason;              // "410 Gone from subscriber", "paused by operator"
  std::int64_t since_ms = 0;
};

const char* to_string(Format f) noexcept;
const char* to_string(DeliveryState s) noexcept;

}  // namespace hookd
