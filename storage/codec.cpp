#include "storage/codec.hpp"

#include <climits>
#include <optional>

namespace hookd::storage {
namespace {

// Presence bits of EventAttributes, in field order.
constexpr std::uint8_t kHasBucket = 1 << 0;
constexpr std::uint8_t kHasObjectKey = 1 << 1;
constexpr std::uint8_t kHasWorkspace = 1 << 2;
constexpr std::uint8_t kHasCollection = 1 << 3;
constexpr std::uint8_t kHasResourceType = 1 << 4;
constexpr std::uint8_t kAllAttrBits = (1 << 5) - 1;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_signed(std::string& out, std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  put_varint(out, (u << 1) ^ (v < 0 ? ~std::uint64_t{0} : 0));
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

void put_optional(std::string& out, const std::optional<std::string>& s) {
  if (s) put_string(out, *s);
}

// Bounds-checked cursor over an encoded value. Once a read fails, ok() stays
// false and every later read returns a zero value, so decoders check once.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool ok() const noexcept { return ok_; }
  bool at_end() const noexcept { return pos_ == in_.size(); }

  std::uint8_t byte() {
    if (!ok_ || pos_ >= in_.size()) return fail(), 0;
    return static_cast<std::uint8_t>(in_[pos_++]);
  }

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t b = byte();
      if (!ok_) return 0;
      // The tenth byte may carry only the top bit of a 64-bit value.
      if (shift == 63 && b > 1) return fail(), 0;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return fail(), 0;
  }

  std::int64_t signed_varint() {
    std::uint64_t u = varint();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }

  int int32() {
    std::int64_t v = signed_varint();
    if (v < INT_MIN || v > INT_MAX) return fail(), 0;
    return static_cast<int>(v);
  }

  std::uint32_t varint32() {
    std::uint64_t v = varint();
    if (v > UINT32_MAX) return fail(), 0;
    return static_cast<std::uint32_t>(v);
  }

  std::string string() {
    std::uint64_t n = varint();
    if (!ok_ || n > in_.size() - pos_) return fail(), std::string();
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  std::optional<std::string> optional(std::uint8_t flags, std::uint8_t bit) {
    if ((flags & bit) == 0) return std::nullopt;
    return string();
  }

 private:
  void fail() noexcept { ok_ = false; }

  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

error_code invalid() { return storage_errc::invalid_record; }

}  // namespace

void put_fixed64_be(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::uint64_t get_fixed64_be(const char* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

std::string encode_event_head(const Event& e) {
  std::string out;
  out.reserve(64 + e.id.size() + e.source.size() + e.type.size() +
              e.idempotency_key.size() + e.content_type.size());
  out.push_back(static_cast<char>(kCodecVersion));
  put_string(out, e.id);
  put_string(out, e.source);
  out.push_back(static_cast<char>(e.format));
  put_string(out, e.type);
  put_signed(out, e.time_ms);
  put_signed(out, e.received_ms);
  put_string(out, e.idempotency_key);
  const EventAttributes& a = e.attrs;
  std::uint8_t flags =
      (a.bucket ? kHasBucket : 0) | (a.object_key ? kHasObjectKey : 0) |
      (a.workspace ? kHasWorkspace : 0) | (a.collection ? kHasCollection : 0) |
      (a.resource_type ? kHasResourceType : 0);
  out.push_back(static_cast<char>(flags));
  put_optional(out, a.bucket);
  put_optional(out, a.object_key);
  put_optional(out, a.workspace);
  put_optional(out, a.collection);
  put_optional(out, a.resource_type);
  put_string(out, e.content_type);
  put_varint(out, e.body.size());  // the body's bytes follow
  return out;
}

std::string encode_event(const Event& e) {
  std::string out = encode_event_head(e);
  out.append(e.body);
  return out;
}

result<Event> decode_event(std::string_view bytes) {
  Reader r(bytes);
  if (r.byte() != kCodecVersion) return invalid();
  Event e;
  e.id = r.string();
  e.source = r.string();
  std::uint8_t format = r.byte();
  if (format > static_cast<std::uint8_t>(Format::generic)) return invalid();
  e.format = static_cast<Format>(format);
  e.type = r.string();
  e.time_ms = r.signed_varint();
  e.received_ms = r.signed_varint();
  e.idempotency_key = r.string();
  std::uint8_t flags = r.byte();
  if (flags & ~kAllAttrBits) return invalid();
  e.attrs.bucket = r.optional(flags, kHasBucket);
  e.attrs.object_key = r.optional(flags, kHasObjectKey);
  e.attrs.workspace = r.optional(flags, kHasWorkspace);
  e.attrs.collection = r.optional(flags, kHasCollection);
  e.attrs.resource_type = r.optional(flags, kHasResourceType);
  e.content_type = r.string();
  e.body = r.string();
  if (!r.ok() || !r.at_end()) return invalid();
  return e;
}

std::string encode_delivery(const Delivery& d) {
  std::string out;
  out.reserve(48 + d.id.size() + d.event_id.size() + d.subscription.size() +
              d.last_error.size());
  out.push_back(static_cast<char>(kCodecVersion));
  put_string(out, d.id);
  put_string(out, d.event_id);
  put_string(out, d.subscription);
  out.push_back(static_cast<char>(d.state));
  put_varint(out, d.attempts);
  put_signed(out, d.next_attempt_ms);
  put_signed(out, d.created_ms);
  put_signed(out, d.updated_ms);
  put_string(out, d.last_error);
  put_varint(out, d.attempt_base);
  return out;
}

result<Delivery> decode_delivery(std::string_view bytes) {
  Reader r(bytes);
  if (r.byte() != kCodecVersion) return invalid();
  Delivery d;
  d.id = r.string();
  d.event_id = r.string();
  d.subscription = r.string();
  std::uint8_t state = r.byte();
  if (state > static_cast<std::uint8_t>(DeliveryState::cancelled)) return invalid();
  d.state = static_cast<DeliveryState>(state);
  d.attempts = r.varint32();
  d.next_attempt_ms = r.signed_varint();
  d.created_ms = r.signed_varint();
  d.updated_ms = r.signed_varint();
  d.last_error = r.string();
  d.attempt_base = r.varint32();
  if (!r.ok() || !r.at_end()) return invalid();
  return d;
}

std::string encode_attempt(const Attempt& a) {
  std::string out;
  out.reserve(32 + a.error.size() + a.response_excerpt.size());
  out.push_back(static_cast<char>(kCodecVersion));
  put_varint(out, a.number);
  put_signed(out, a.started_ms);
  put_signed(out, a.latency_us);
  put_signed(out, a.status);
  put_string(out, a.error);
  put_string(out, a.response_excerpt);
  return out;
}

result<Attempt> decode_attempt(std::string_view bytes) {
  Reader r(bytes);
  if (r.byte() != kCodecVersion) return invalid();
  Attempt a;
  a.number = r.varint32();
  a.started_ms = r.signed_varint();
  a.latency_us = r.signed_varint();
  a.status = r.int32();
  a.error = r.string();
  a.response_excerpt = r.string();
  if (!r.ok() || !r.at_end()) return invalid();
  return a;
}

std::string encode_subscription_state(const SubscriptionState& s) {
  std::string out;
  out.reserve(16 + s.reason.size());
  out.push_back(static_cast<char>(kCodecVersion));
  out.push_back(s.paused ? 1 : 0);
  put_string(out, s.reason);
  put_signed(out, s.since_ms);
  return out;
}

result<SubscriptionState> decode_subscription_state(std::string_view bytes) {
  Reader r(bytes);
  if (r.byte() != kCodecVersion) return invalid();
  SubscriptionState s;
  std::uint8_t paused = r.byte();
  if (paused > 1) return invalid();
  s.paused = paused == 1;
  s.reason = r.string();
  s.since_ms = r.signed_varint();
  if (!r.ok() || !r.at_end()) return invalid();
  return s;
}

}  // namespace hookd::storage
