#pragma once
// Binary encoding of the records hookd stores: Event, Delivery, Attempt and
// SubscriptionState values.
//
// Every value starts with a one-byte format version (kCodecVersion) so that a
// later layout can be read beside this one. Strings are a varint length
// followed by the bytes; signed integers are zigzag varints; unsigned ones
// plain varints; enums one byte; optional fields sit behind one presence
// byte (bit i set: field i follows). Decoders reject unknown versions,
// out-of-range enums, unknown presence bits, truncation and trailing bytes
// with storage_errc::invalid_record; they never read past the input.
//
// Pure functions; no RocksDB. Thread-safe.

#include "core/errors.hpp"
#include "core/event.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace hookd::storage {

inline constexpr std::uint8_t kCodecVersion = 1;

std::string encode_event(const Event& event);
// encode_event() without the body's bytes, which follow it: a writer can
// hand the two to RocksDB as parts instead of copying the body once more.
std::string encode_event_head(const Event& event);
result<Event> decode_event(std::string_view bytes);

std::string encode_delivery(const Delivery& delivery);
result<Delivery> decode_delivery(std::string_view bytes);

std::string encode_attempt(const Attempt& attempt);
result<Attempt> decode_attempt(std::string_view bytes);

// `paused` is one byte, 0 or 1; any other value is invalid.
std::string encode_subscription_state(const SubscriptionState& state);
result<SubscriptionState> decode_subscription_state(std::string_view bytes);

// Fixed-width big-endian integers: they sort bytewise in numeric order, which
// the idem values and pending keys rely on.
void put_fixed64_be(std::string& out, std::uint64_t v);
// Reads 8 bytes at `p`; the caller checks the length.
std::uint64_t get_fixed64_be(const char* p) noexcept;

}  // namespace hookd::storage
