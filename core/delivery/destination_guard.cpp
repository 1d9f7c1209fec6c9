#include "core/delivery/destination_guard.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace hookd {
namespace {

struct Range {
  Cidr cidr;
  std::string_view reason;
};

std::vector<Range> ranges(std::initializer_list<std::pair<const char*, std::string_view>> list) {
  std::vector<Range> out;
  for (const auto& [text, reason] : list) out.push_back({*parse_cidr(text), reason});
  return out;
}

const std::vector<Range>& v4_ranges() {
  static const std::vector<Range> table = ranges({
      {"0.0.0.0/8", "unspecified"},
      {"10.0.0.0/8", "private (RFC 1918)"},
      {"100.64.0.0/10", "shared address space (CGNAT)"},
      {"127.0.0.0/8", "loopback"},
      {"169.254.0.0/16", "link-local"},
      {"172.16.0.0/12", "private (RFC 1918)"},
      {"192.0.0.0/24", "IETF protocol assignments"},
      {"192.0.2.0/24", "documentation"},
      {"192.88.99.0/24", "6to4 relay anycast"},
      {"192.168.0.0/16", "private (RFC 1918)"},
      {"198.18.0.0/15", "benchmarking"},
      {"198.51.100.0/24", "documentation"},
      {"203.0.113.0/24", "documentation"},
      {"224.0.0.0/4", "multicast"},
      {"240.0.0.0/4", "reserved or broadcast"},
  });
  return table;
}

const std::vector<Range>& v6_ranges() {
  static const std::vector<Range> table = ranges({
      {"::/128", "unspecified"},
      {"::1/128", "loopback"},
      {"::ffff:0:0/96", "IPv4-mapped"},
      {"::/96", "IPv4-compatible"},
      {"64:ff9b:1::/48", "local-use NAT64"},
      {"100::/64", "discard-only"},
      {"2001:db8::/32", "documentation"},
      {"fc00::/7", "unique local (ULA)"},
      {"fe80::/10", "link-local"},
      {"fec0::/10", "site-local"},
      {"ff00::/8", "multicast"},
  });
  return table;
}

std::string address_text(const std::uint8_t* addr, bool v6) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(v6 ? AF_INET6 : AF_INET, addr, buf, sizeof buf) == nullptr) return "?";
  return buf;
}

// Cidr::contains matches IPv4 ranges against IPv4-mapped IPv6 addresses and
// the reverse; here an address is judged in its own family only.
bool in(const Cidr& c, const std::uint8_t* addr, bool v6) {
  return c.v6 == v6 && c.contains(addr, v6);
}

bool in_any(const std::vector<Cidr>& list, const std::uint8_t* addr, bool v6) {
  for (const auto& c : list)
    if (in(c, addr, v6)) return true;
  return false;
}

}  // namespace

std::optional<std::string_view> non_public_reason(const std::uint8_t* addr, bool v6) {
  for (const auto& r : v6 ? v6_ranges() : v4_ranges())
    if (in(r.cidr, addr, v6)) return r.reason;
  if (v6) {
    // Forms that embed an IPv4 address the peer is reached through: judged
    // by that address (NAT64 64:ff9b::/96, 6to4 2002::/16).
    static const Cidr nat64 = *parse_cidr("64:ff9b::/96");
    static const Cidr six_to_four = *parse_cidr("2002::/16");
    if (in(nat64, addr, true)) {
      if (auto inner = non_public_reason(addr + 12, false)) return inner;
    } else if (in(six_to_four, addr, true)) {
      if (auto inner = non_public_reason(addr + 2, false)) return inner;
    }
  }
  return std::nullopt;
}

std::vector<Cidr> default_denied_destinations() {
  return {*parse_cidr("169.254.0.0/16"), *parse_cidr("fe80::/10"),
          *parse_cidr("fd00:ec2::254/128")};
}

std::optional<std::string> destination_refusal(const DestinationPolicy& policy,
                                               const std::uint8_t* addr, bool v6) {
  if (in_any(policy.deny, addr, v6))
    return address_text(addr, v6) + " is in a denied range";
  if (!policy.public_only || in_any(policy.allow, addr, v6)) return std::nullopt;
  if (auto reason = non_public_reason(addr, v6))
    return std::string(*reason) + " address " + address_text(addr, v6);
  return std::nullopt;
}

}  // namespace hookd
