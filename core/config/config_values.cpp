// The value forms of the config file: durations, sizes, CIDR ranges and
// listen addresses. Address text is parsed by inet_pton/inet_ntop only.

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>
#include <limits>

#include "core/config/config.hpp"

namespace hookd {
namespace {

constexpr std::uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0,    0,
                                              0, 0, 0, 0, 0xff, 0xff};

// Parses a run of ASCII digits (no sign, no spaces) into `out`, failing on
// overflow or any other character.
bool parse_digits(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

// Parses an IP address literal; returns its byte count (4 or 16), or 0.
int parse_address(std::string_view s, std::uint8_t (&bytes)[16]) {
  if (s.empty() || s.size() >= INET6_ADDRSTRLEN) return 0;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, s.data(), s.size());
  if (::inet_pton(AF_INET, buf, bytes) == 1) return 4;
  if (::inet_pton(AF_INET6, buf, bytes) == 1) return 16;
  return 0;
}

bool prefix_equal(const std::uint8_t* a, const std::uint8_t* b, int bits) {
  int full = bits / 8;
  if (std::memcmp(a, b, full) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

// Milliseconds per unit, or 0 for an unknown unit.
Duration::rep duration_unit(std::string_view unit) {
  struct Unit {
    std::string_view name;
    Duration::rep ms;
  };
  static constexpr std::array<Unit, 5> kUnits{{{"ms", 1},
                                               {"s", 1000},
                                               {"m", 60 * 1000},
                                               {"h", 3600 * 1000},
                                               {"d", 24 * 3600 * 1000}}};
  for (const Unit& u : kUnits) {
    if (u.name == unit) return u.ms;
  }
  return 0;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  using Rep = Duration::rep;
  Rep total = 0;
  while (!s.empty()) {
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    std::uint64_t n = 0;
    if (!parse_digits(s.substr(0, digits), n)) return std::nullopt;
    s.remove_prefix(digits);
    std::size_t unit_len = 0;
    while (unit_len < s.size() && !(s[unit_len] >= '0' && s[unit_len] <= '9')) {
      ++unit_len;
    }
    std::string_view unit = s.substr(0, unit_len);
    s.remove_prefix(unit_len);
    Rep scale = duration_unit(unit);
    if (scale == 0) return std::nullopt;
    constexpr Rep kMax = std::numeric_limits<Rep>::max();
    if (n > static_cast<std::uint64_t>(kMax / scale)) return std::nullopt;
    Rep part = static_cast<Rep>(n) * scale;
    if (total > kMax - part) return std::nullopt;
    total += part;
  }
  return Duration{total};
}

std::optional<std::uint64_t> parse_size(std::string_view s) {
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  std::uint64_t n = 0;
  if (!parse_digits(s.substr(0, digits), n)) return std::nullopt;
  std::string_view unit = s.substr(digits);
  struct Unit {
    std::string_view name;
    std::uint64_t scale;
  };
  static constexpr std::array<Unit, 10> kUnits{
      {{"", 1},
       {"B", 1},
       {"KB", 1000},
       {"KiB", 1ULL << 10},
       {"MB", 1000 * 1000},
       {"MiB", 1ULL << 20},
       {"GB", 1000ULL * 1000 * 1000},
       {"GiB", 1ULL << 30},
       {"TB", 1000ULL * 1000 * 1000 * 1000},
       {"TiB", 1ULL << 40}}};
  for (const Unit& u : kUnits) {
    if (u.name != unit) continue;
    if (n > std::numeric_limits<std::uint64_t>::max() / u.scale) {
      return std::nullopt;
    }
    return n * u.scale;
  }
  return std::nullopt;
}

std::optional<Cidr> parse_cidr(std::string_view s) {
  std::string_view addr = s;
  std::optional<std::uint64_t> prefix;
  if (auto slash = s.find('/'); slash != std::string_view::npos) {
    addr = s.substr(0, slash);
    std::uint64_t p = 0;
    if (!parse_digits(s.substr(slash + 1), p)) return std::nullopt;
    prefix = p;
  }
  Cidr cidr;
  int len = parse_address(addr, cidr.bytes);
  if (len == 0) return std::nullopt;
  cidr.v6 = len == 16;
  int max_prefix = len * 8;
  if (prefix && *prefix > static_cast<std::uint64_t>(max_prefix)) {
    return std::nullopt;
  }
  cidr.prefix = prefix ? static_cast<int>(*prefix) : max_prefix;
  // Host bits are accepted ("10.1.2.3/8") and cleared, so equal ranges compare
  // and print equal.
  for (int bit = cidr.prefix; bit < max_prefix; ++bit) {
    cidr.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  }
  return cidr;
}

bool Cidr::contains(const std::uint8_t* addr, bool addr_v6) const noexcept {
  if (v6 == addr_v6) return prefix_equal(bytes, addr, prefix);
  if (!v6) {
    // An IPv4 range seen from a dual-stack socket: ::ffff:a.b.c.d.
    if (std::memcmp(addr, kV4MappedPrefix, 12) != 0) return false;
    return prefix_equal(bytes, addr + 12, prefix);
  }
  std::uint8_t mapped[16];
  std::memcpy(mapped, kV4MappedPrefix, 12);
  std::memcpy(mapped + 12, addr, 4);
  return prefix_equal(bytes, mapped, prefix);
}

std::string Cidr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, buf, sizeof buf) == nullptr) {
    return {};
  }
  return std::string(buf) + "/" + std::to_string(prefix);
}

std::optional<ListenAddress> parse_listen(std::string_view s) {
  std::string_view host;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() ||
        s[close + 1] != ':') {
      return std::nullopt;
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  std::uint8_t bytes[16];
  int len = parse_address(host, bytes);
  // An unbracketed IPv6 address is ambiguous with its port: require brackets.
  if (len == 0 || (len == 16) != (s.front() == '[')) return std::nullopt;
  std::uint64_t p = 0;
  if (!parse_digits(port, p) || p > 65535) return std::nullopt;
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(p)};
}

std::string ListenAddress::to_string() const {
  std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

}  // namespace hookd
