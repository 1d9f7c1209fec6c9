#pragma once
// Key layouts of the column families, in one place:
//   events      event id (ULID, so bytewise order is time order) -> event
//   idem        source '\0' key -> fixed64 BE expires_at_ms + event id
//   deliveries  event id '.' ordinal -> delivery; prefix "event id." lists
//               one event's deliveries
//   pending     fixed64 BE next_attempt_ms + delivery id -> 0x01 +
//               subscription; the due-time-ordered index of pending
//               deliveries, enough on its own to load them at start (older
//               databases hold empty values: the record has the subscription)
//   attempts    delivery id '\0' fixed32 BE attempt number -> attempt; prefix
//               "delivery id \0" lists one delivery's attempts in order
//   by_state    state byte + subscription '\0' delivery id -> empty; the
//               index list_deliveries() and count_deliveries() read
//   subscriptions  subscription name -> subscription state
//   event_types source '\0' type -> count, first and last seen
//               (event_type_table.hpp)
//   default     kStateIndexMarker -> empty, once by_state is complete
// Delivery ids and subscription names never contain '\0' (ULIDs, decimal
// ordinals and config names), which keeps these prefixes unambiguous.
// Pure functions; no RocksDB. Thread-safe.

#include "core/errors.hpp"
#include "core/event.hpp"

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
// The due time inside a pending key (0 for one before the epoch); the
// caller checks that pending_key_delivery_id() is not empty.
std::int64_t pending_key_due_ms(std::string_view key);
// The value of a pending key: a layout byte and the delivery's subscription.
std::string pending_value(std::string_view subscription);
// The subscription inside a pending value; empty for a value written before
// pending values held one (empty). False for a value of an unknown layout.
bool parse_pending_value(std::string_view value,
                         std::string_view* subscription);

// Attempt `number` of a delivery, and the prefix of all its attempts.
std::string attempt_key(std::string_view delivery_id, std::uint32_t number);
std::string attempts_prefix(std::string_view delivery_id);

// by_state keys. The prefix of one (state, subscription) list is
// state_index_prefix(state, subscription); state_index_prefix(state) alone
// covers every subscription in that state.
std::string state_index_key(std::uint8_t state, std::string_view subscription,
                            std::string_view delivery_id);
// The by_state key of a delivery as stored (its state and subscription).
std::string state_index_key(const Delivery& delivery);
std::string state_index_prefix(std::uint8_t state);
std::string state_index_prefix(std::uint8_t state,
                               std::string_view subscription);
struct StateIndexEntry {
  std::uint8_t state = 0;
  std::string_view subscription;
  std::string_view delivery_id;
};
// False for a key without a state byte and a '\0' after the subscription.
bool parse_state_index_key(std::string_view key, StateIndexEntry* entry);

// Default-CF key present once the by_state index covers every delivery
// (written by a fresh database or after rebuilding an older one).
inline constexpr std::string_view kStateIndexMarker = "meta.by_state_index.v1";

// "event_id." and the first key after every key with that prefix.
std::string deliveries_prefix(std::string_view event_id);
std::string prefix_upper_bound(std::string_view prefix);

}  // namespace hookd::storage
