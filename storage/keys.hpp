#pragma once
// Key layouts of the column families, in one place:
//   events      event id (ULID, so bytewise order is time order) -> event
//   idem        source '\0' key -> fixed64 BE expires_at_ms + event id
//   deliveries  event id '.' ordinal -> delivery; prefix "event id." lists
//               one event's deliveries
//   pending     fixed64 BE next_attempt_ms + delivery id -> empty; the
//               due-time-ordered index of pending deliveries
// Pure functions; no RocksDB. Thread-safe.

#include "core/errors.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace hookd::storage {

// The idem key of an idempotency key, scoped by source name. Source names
// come from the config and never contain '\0'.
std::string idem_key(std::string_view source, std::string_view key);

struct IdemValue {
  std::int64_t expires_at_ms = 0;
  std::string event_id;
};
std::string encode_idem_value(std::int64_t expires_at_ms,
                              std::string_view event_id);
result<IdemValue> decode_idem_value(std::string_view bytes);
// Reads only the expiry; false when `bytes` is too short to hold one.
bool idem_expires_at(std::string_view bytes, std::int64_t* expires_at_ms);

// Due times before the epoch sort as 0: they are all due already.
std::string pending_key(std::int64_t next_attempt_ms,
                        std::string_view delivery_id);
// The delivery id inside a pending key; empty for a malformed key.
std::string_view pending_key_delivery_id(std::string_view key);

// "event_id." and the first key after every key with that prefix.
std::string deliveries_prefix(std::string_view event_id);
std::string prefix_upper_bound(std::string_view prefix);

}  // namespace hookd::storage
