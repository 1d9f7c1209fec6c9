#include "core/ulid.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace hookd {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int decode_char(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (int i = 0; i < 32; ++i)
    if (kAlphabet[i] == c) return i;
  return -1;
}

std::string encode(std::int64_t ms, const std::array<std::uint8_t, 10>& rnd) {
  std::string out(26, '0');
  auto t = static_cast<std::uint64_t>(ms);
  for (int i = 9; i >= 0; --i) {
    out[i] = kAlphabet[t & 31];
    t >>= 5;
  }
  // 80 random bits as 16 base32 characters, most significant first.
  for (int i = 0; i < 16; ++i) {
    int bit = i * 5;
    int v = 0;
    for (int b = 0; b < 5; ++b, ++bit) {
      v = (v << 1) | ((rnd[bit / 8] >> (7 - bit % 8)) & 1);
    }
    out[10 + i] = kAlphabet[v];
  }
  return out;
}

}  // namespace

UlidGenerator::UlidGenerator() = default;

std::string UlidGenerator::next(std::int64_t now_ms) {
  if (now_ms > last_ms_) {
    last_ms_ = now_ms;
    if (RAND_bytes(random_.data(), static_cast<int>(random_.size())) != 1)
      throw std::runtime_error("RAND_bytes failed");
    random_[0] &= 0x7f;  // headroom so increments within a ms cannot overflow
  } else {
    // Same millisecond or the clock stepped back: keep last_ms_ and count up.
    for (int i = static_cast<int>(random_.size()) - 1; i >= 0; --i) {
      if (++random_[i] != 0) break;
    }
  }
  return encode(last_ms_, random_);
}

std::optional<std::int64_t> ulid_time_ms(std::string_view id) {
  if (id.size() < 26) return std::nullopt;
  std::uint64_t t = 0;
  for (int i = 0; i < 10; ++i) {
    int v = decode_char(id[i]);
    if (v < 0) return std::nullopt;
    t = (t << 5) | static_cast<std::uint64_t>(v);
  }
  if (t >> 48) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

std::string ulid_floor(std::int64_t ms) {
  return encode(ms < 0 ? 0 : ms, {});
}

}  // namespace hookd
