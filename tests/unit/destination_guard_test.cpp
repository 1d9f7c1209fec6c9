// The destination guard (core/delivery/destination_guard): which resolved
// addresses an API subscription may reach, and how operator ranges open or
// close them.
#include "core/delivery/destination_guard.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <string>

namespace hookd {
namespace {

struct Addr {
  std::uint8_t bytes[16] = {};
  bool v6 = false;
};

Addr addr(const std::string& text) {
  Addr a;
  if (::inet_pton(AF_INET, text.c_str(), a.bytes) == 1) return a;
  EXPECT_EQ(::inet_pton(AF_INET6, text.c_str(), a.bytes), 1) << text;
  a.v6 = true;
  return a;
}

std::optional<std::string_view> reason(const std::string& text) {
  Addr a = addr(text);
  return non_public_reason(a.bytes, a.v6);
}

std::optional<std::string> refusal(const DestinationPolicy& p, const std::string& text) {
  Addr a = addr(text);
  return destination_refusal(p, a.bytes, a.v6);
}

TEST(DestinationGuardTest, NonPublicAddressesAreNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"0.0.0.0", "unspecified"},
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"10.20.30.40", "private (RFC 1918)"},
      {"172.16.0.1", "private (RFC 1918)"},
      {"172.31.255.255", "private (RFC 1918)"},
      {"192.168.1.1", "private (RFC 1918)"},
      {"100.64.0.1", "shared address space (CGNAT)"},
      {"100.127.255.255", "shared address space (CGNAT)"},
      {"169.254.169.254", "link-local"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"255.255.255.255", "reserved or broadcast"},
      {"192.0.2.7", "documentation"},
      {"198.18.0.1", "benchmarking"},
      {"::", "unspecified"},
      {"::1", "loopback"},
      {"::ffff:8.8.8.8", "IPv4-mapped"},
      {"::ffff:127.0.0.1", "IPv4-mapped"},
      {"::10.0.0.1", "IPv4-compatible"},
      {"fd12:3456::1", "unique local (ULA)"},
      {"fd00:ec2::254", "unique local (ULA)"},
      {"fe80::1", "link-local"},
      {"ff02::1", "multicast"},
      {"2001:db8::1", "documentation"},
      {"64:ff9b::a00:1", "private (RFC 1918)"},  // NAT64 of 10.0.0.1
      {"2002:7f00:1::", "loopback"},             // 6to4 of 127.0.0.1
  };
  for (const auto& [text, why] : cases) {
    auto r = reason(text);
    ASSERT_TRUE(r) << text << " passed as public";
    EXPECT_EQ(*r, why) << text;
  }
}

TEST(DestinationGuardTest, PublicUnicastPasses) {
  for (const char* text : {"8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.0", "100.63.255.255",
                           "100.128.0.0", "169.253.255.255", "192.169.0.1", "223.255.255.255",
                           "2606:4700:4700::1111", "2a00:1450:4001:80b::200e",
                           "64:ff9b::808:808", "2002:808:808::1"})
    EXPECT_FALSE(reason(text)) << text << ": " << *reason(text);
}

TEST(DestinationGuardTest, ApiPolicyRefusesNonPublicUnlessOpened) {
  DestinationPolicy api;
  api.public_only = true;
  auto r = refusal(api, "10.20.1.2");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "private (RFC 1918) address 10.20.1.2");
  EXPECT_FALSE(refusal(api, "93.184.216.34"));

  api.allow.push_back(*parse_cidr("10.20.0.0/16"));
  EXPECT_FALSE(refusal(api, "10.20.1.2")) << "opened by the operator";
  EXPECT_TRUE(refusal(api, "10.21.0.1")) << "outside the opened range";
  // An IPv4 range does not open the IPv4-mapped form of its addresses.
  EXPECT_TRUE(refusal(api, "::ffff:10.20.1.2"));
}

TEST(DestinationGuardTest, DenyAppliesToEverySubscriptionEvenWhenAllowed) {
  DestinationPolicy config_file;  // the operator's own: private targets are fine
  config_file.deny = default_denied_destinations();
  EXPECT_FALSE(refusal(config_file, "127.0.0.1"));
  EXPECT_FALSE(refusal(config_file, "10.0.0.5"));
  auto r = refusal(config_file, "169.254.169.254");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "169.254.169.254 is in a denied range");
  EXPECT_TRUE(refusal(config_file, "fd00:ec2::254"));
  EXPECT_TRUE(refusal(config_file, "fe80::1"));

  DestinationPolicy api;
  api.public_only = true;
  api.allow.push_back(*parse_cidr("169.254.0.0/16"));
  api.deny = default_denied_destinations();
  EXPECT_TRUE(refusal(api, "169.254.169.254")) << "deny wins over allow";
}

}  // namespace
}  // namespace hookd
