#pragma once
// Destination guard: which resolved addresses a delivery may connect to.
//
// A subscription created over the admin API may reach only public unicast
// addresses, so that a webhook router cannot be turned into a way to reach
// the operator's private network or a cloud metadata service. Refused by
// default: unspecified, loopback, RFC 1918, CGNAT (100.64/10), link-local
// (169.254/16, fe80::/10; the cloud metadata addresses among them),
// ULA (fc00::/7), documentation and benchmark ranges, multicast,
// reserved and broadcast (240/4), and IPv6 forms that carry an IPv4
// address to a peer (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96).
// The operator opens ranges with `allow`; `deny` closes ranges for every
// subscription, the operator's own included (the config-file default: the
// link-local metadata ranges).
//
// The check is meant for the address actually connected to (after name
// resolution), and again for IP literals when a subscription is created or
// updated. Ranges are core/config's Cidr (one parser for every range).

#include "core/config/config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookd {

// Why `addr` (4 bytes for IPv4, 16 for IPv6) is not a public unicast
// address, e.g. "loopback"; nullopt when it is one.
std::optional<std::string_view> non_public_reason(const std::uint8_t* addr, bool v6);

struct DestinationPolicy {
  bool public_only = false;  // API subscriptions: true; config-file ones: false
  std::vector<Cidr> allow;   // opened despite public_only
  std::vector<Cidr> deny;    // refused for every subscription, allow notwithstanding
};

// The ranges denied to every subscription unless the config says otherwise:
// link-local, which holds the cloud metadata services (169.254.169.254,
// fd00:ec2::254 is inside ULA and listed on its own).
std::vector<Cidr> default_denied_destinations();

// Why connecting to `addr` is refused under `policy` ("loopback address
// 127.0.0.1", "169.254.169.254 is in a denied range"), or nullopt when it
// is allowed. The caller reports it as delivery_errc::destination_not_allowed.
std::optional<std::string> destination_refusal(const DestinationPolicy& policy,
                                               const std::uint8_t* addr, bool v6);

}  // namespace hookd
