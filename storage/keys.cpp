#include "storage/keys.hpp"

#include "storage/codec.hpp"

namespace hookd::storage {

std::string idem_key(std::string_view source, std::string_view key) {
  std::string out;
  out.reserve(source.size() + 1 + key.size());
  out.append(source);
  out.push_back('\0');
  out.append(key);
  return out;
}

std::string encode_idem_value(std::int64_t expires_at_ms,
                              std::string_view event_id) {
  std::string out;
  out.reserve(8 + event_id.size());
  put_fixed64_be(out, static_cast<std::uint64_t>(expires_at_ms));
  out.append(event_id);
  return out;
}

bool idem_expires_at(std::string_view bytes, std::int64_t* expires_at_ms) {
  if (bytes.size() < 8) return false;
  *expires_at_ms = static_cast<std::int64_t>(get_fixed64_be(bytes.data()));
  return true;
}

result<IdemValue> decode_idem_value(std::string_view bytes) {
  IdemValue v;
  if (!idem_expires_at(bytes, &v.expires_at_ms) || bytes.size() == 8)
    return storage_errc::invalid_record;
  v.event_id.assign(bytes.substr(8));
  return v;
}

std::string pending_key(std::int64_t next_attempt_ms,
                        std::string_view delivery_id) {
  std::string out;
  out.reserve(8 + delivery_id.size());
  put_fixed64_be(out, next_attempt_ms < 0
                          ? 0
                          : static_cast<std::uint64_t>(next_attempt_ms));
  out.append(delivery_id);
  return out;
}

std::string_view pending_key_delivery_id(std::string_view key) {
  return key.size() > 8 ? key.substr(8) : std::string_view();
}

std::int64_t pending_key_due_ms(std::string_view key) {
  return static_cast<std::int64_t>(get_fixed64_be(key.data()));
}

namespace {

constexpr char kPendingValueV1 = '\x01';

}  // namespace

std::string pending_value(std::string_view subscription) {
  std::string out;
  out.reserve(1 + subscription.size());
  out.push_back(kPendingValueV1);
  out.append(subscription);
  return out;
}

bool parse_pending_value(std::string_view value,
                         std::string_view* subscription) {
  if (value.empty()) {
    *subscription = {};
    return true;
  }
  if (value[0] != kPendingValueV1) return false;
  *subscription = value.substr(1);
  return true;
}

std::string attempts_prefix(std::string_view delivery_id) {
  std::string out;
  out.reserve(delivery_id.size() + 5);
  out.append(delivery_id);
  out.push_back('\0');
  return out;
}

std::string attempt_key(std::string_view delivery_id, std::uint32_t number) {
  std::string out = attempts_prefix(delivery_id);
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((number >> shift) & 0xff));
  return out;
}

std::string state_index_prefix(std::uint8_t state) {
  return std::string(1, static_cast<char>(state));
}

std::string state_index_prefix(std::uint8_t state,
                               std::string_view subscription) {
  std::string out;
  out.reserve(2 + subscription.size());
  out.push_back(static_cast<char>(state));
  out.append(subscription);
  out.push_back('\0');
  return out;
}

std::string state_index_key(std::uint8_t state, std::string_view subscription,
                            std::string_view delivery_id) {
  std::string out = state_index_prefix(state, subscription);
  out.append(delivery_id);
  return out;
}

std::string state_index_key(const Delivery& d) {
  return state_index_key(static_cast<std::uint8_t>(d.state), d.subscription,
                         d.id);
}

bool parse_state_index_key(std::string_view key, StateIndexEntry* entry) {
  if (key.empty()) return false;
  std::size_t nul = key.find('\0', 1);
  if (nul == std::string_view::npos) return false;
  entry->state = static_cast<std::uint8_t>(key[0]);
  entry->subscription = key.substr(1, nul - 1);
  entry->delivery_id = key.substr(nul + 1);
  return true;
}

std::string deliveries_prefix(std::string_view event_id) {
  std::string out(event_id);
  out.push_back('.');
  return out;
}

std::string prefix_upper_bound(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    auto last = static_cast<unsigned char>(out.back());
    if (last != 0xff) {
      out.back() = static_cast<char>(last + 1);
      return out;
    }
    out.pop_back();
  }
  return out;  // every byte was 0xff: no upper bound exists; empty means none
}

}  // namespace hookd::storage
