// The value forms of the config file: durations, sizes, CIDRs, listen
// addresses (core/config_values.cpp).

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "core/config/config.hpp"
#include "tests/unit/config_test_support.hpp"

namespace hookd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ConfigValuesTest, ParseDurationAcceptsEveryUnitAndCompounds) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("10s"), seconds(10));
  EXPECT_EQ(parse_duration("5m"), minutes(5));
  EXPECT_EQ(parse_duration("2h"), hours(2));
  EXPECT_EQ(parse_duration("7d"), hours(7 * 24));
  EXPECT_EQ(parse_duration("1h30m"), minutes(90));
  EXPECT_EQ(parse_duration("1m500ms"), milliseconds(60'500));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
}

TEST(ConfigValuesTest, ParseDurationRejectsNegativeEmptyAndUnknownUnits) {
  for (const char* bad :
       {"", "-1s", "10", "s", "1x", "1.5s", " 1s", "1s ", "1h30", "1 h", "+5m",
        "1us", "1S", "99999999999999999999d", "9999999999999999d"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(ConfigValuesTest, ParseSizeAcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(parse_size("100"), 100u);
  EXPECT_EQ(parse_size("100B"), 100u);
  EXPECT_EQ(parse_size("1KB"), 1000u);
  EXPECT_EQ(parse_size("512KiB"), 512u * 1024);
  EXPECT_EQ(parse_size("1MB"), 1000u * 1000);
  EXPECT_EQ(parse_size("1MiB"), 1024u * 1024);
  EXPECT_EQ(parse_size("1GB"), 1000ULL * 1000 * 1000);
  EXPECT_EQ(parse_size("1GiB"), 1ULL << 30);
  EXPECT_EQ(parse_size("2TiB"), 2ULL << 40);
}

TEST(ConfigValuesTest, ParseSizeRejectsBadInput) {
  for (const char* bad : {"", "MiB", "1 MiB", "-1", "1mib", "1.5MiB", "1M",
                          "1KiB ", "20000000000TiB", "99999999999999999999"}) {
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
  }
}

TEST(ConfigValuesTest, ParseCidrAcceptsV4V6AndBareAddresses) {
  auto v4 = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(v4);
  EXPECT_FALSE(v4->v6);
  EXPECT_EQ(v4->prefix, 8);
  EXPECT_EQ(v4->to_string(), "10.0.0.0/8");
  auto v6 = parse_cidr("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(v6->to_string(), "fd00::/8");
  EXPECT_EQ(parse_cidr("127.0.0.1")->to_string(), "127.0.0.1/32");
  EXPECT_EQ(parse_cidr("::1")->to_string(), "::1/128");
  EXPECT_EQ(parse_cidr("0.0.0.0/0")->to_string(), "0.0.0.0/0");
}

TEST(ConfigValuesTest, ParseCidrMasksHostBits) {
  EXPECT_EQ(parse_cidr("10.1.2.3/8")->to_string(), "10.0.0.0/8");
  EXPECT_EQ(parse_cidr("192.168.1.77/26")->to_string(), "192.168.1.64/26");
  EXPECT_EQ(parse_cidr("2001:db8::1/32")->to_string(), "2001:db8::/32");
}

TEST(ConfigValuesTest, ParseCidrRejectsBadPrefixesAndAddresses) {
  for (const char* bad :
       {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0/8",
        "example.com/8", "10.0.0.0/8/8", "10.0.0.0/ 8", "fe80::1%eth0/64",
        "10.0.0.0/08x"}) {
    EXPECT_FALSE(parse_cidr(bad).has_value()) << bad;
  }
}

bool contains(const char* cidr, const char* addr) {
  std::uint8_t bytes[16] = {};
  bool v6 = std::string_view(addr).find(':') != std::string_view::npos;
  EXPECT_EQ(inet_pton(v6 ? AF_INET6 : AF_INET, addr, bytes), 1) << addr;
  return parse_cidr(cidr)->contains(bytes, v6);
}

TEST(ConfigValuesTest, CidrContainsMatchesSameFamily) {
  EXPECT_TRUE(contains("10.0.0.0/8", "10.200.3.4"));
  EXPECT_FALSE(contains("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(contains("192.168.1.64/26", "192.168.1.127"));
  EXPECT_FALSE(contains("192.168.1.64/26", "192.168.1.128"));
  EXPECT_TRUE(contains("0.0.0.0/0", "8.8.8.8"));
  EXPECT_TRUE(contains("::1/128", "::1"));
  EXPECT_FALSE(contains("::1/128", "::2"));
  EXPECT_TRUE(contains("fd00::/8", "fd12:3456::1"));
}

TEST(ConfigValuesTest, CidrContainsMatchesV4MappedV6AgainstV4Ranges) {
  EXPECT_TRUE(contains("127.0.0.1/32", "::ffff:127.0.0.1"));
  EXPECT_TRUE(contains("10.0.0.0/8", "::ffff:10.9.8.7"));
  EXPECT_FALSE(contains("10.0.0.0/8", "::ffff:11.0.0.1"));
  // Not mapped: the same low bytes under another prefix are another host.
  EXPECT_FALSE(contains("127.0.0.1/32", "::127.0.0.1"));
  EXPECT_FALSE(contains("0.0.0.0/0", "::1"));
  EXPECT_TRUE(contains("::ffff:0:0/96", "1.2.3.4"));
  EXPECT_FALSE(contains("::1/128", "127.0.0.1"));
}

TEST(ConfigValuesTest, ParseListenAcceptsV4V6AndPortZero) {
  auto v4 = parse_listen("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  EXPECT_EQ(v4->to_string(), "127.0.0.1:8080");
  auto v6 = parse_listen("[::1]:8080");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->to_string(), "[::1]:8080");
  auto any = parse_listen("0.0.0.0:0");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->port, 0);
  EXPECT_EQ(parse_listen("[::]:65535")->port, 65535);
}

TEST(ConfigValuesTest, ParseListenRejectsBadInput) {
  for (const char* bad :
       {"", "127.0.0.1", "::1:8080", "[::1]8080", "[::1]", "127.0.0.1:65536",
        "localhost:80", "127.0.0.1:", ":80", "[127.0.0.1]:80", "127.0.0.1:-1",
        "127.0.0.1:80x", "[::1]:"}) {
    EXPECT_FALSE(parse_listen(bad).has_value()) << bad;
  }
}

TEST(ConfigValuesTest, NumbersDurationsAndSizesAreChecked) {
  ConfigLoad l = config_test::load(R"toml([server]
listen = ["127.0.0.1:0"]
max_body = "1 MiB"
idle_timeout = "0s"
[delivery]
max_in_flight = -1
[[subscription]]
name = "a"
url = "http://h/"
timeout = "-5s"
max_in_flight = 0
retry = { attempts = 0, base = "1h", cap = "1s" }
)toml");
  EXPECT_TRUE(
      config_test::has_error(l, 3, "server.max_body: invalid size \"1 MiB\""));
  EXPECT_TRUE(config_test::has_error(
      l, 4, "server.idle_timeout: must be greater than zero"));
  EXPECT_TRUE(config_test::has_error(
      l, 6, "delivery.max_in_flight: must be between 1 and 1000000"));
  EXPECT_TRUE(config_test::has_error(
      l, 10, "subscription \"a\".timeout: invalid duration \"-5s\""));
  EXPECT_TRUE(config_test::has_error(
      l, 11, "subscription \"a\".max_in_flight: must be between 1"));
  EXPECT_TRUE(config_test::has_error(
      l, 12, "subscription \"a\".retry.attempts: must be between 1"));
  EXPECT_TRUE(config_test::has_error(
      l, 12,
      "subscription \"a\".retry.base: base must not be longer than cap"));
  EXPECT_EQ(l.errors.size(), 7u) << config_test::all_errors(l);
  // A base above the default cap is an error too, even with cap omitted.
  EXPECT_TRUE(config_test::has_error(
      config_test::load(std::string(config_test::kServer) +
                        "[[subscription]]\nname = \"a\"\n"
                        "url = \"http://h/\"\nretry = { base = \"2h\" }\n"),
      6, "base must not be longer than cap"));
}

TEST(ConfigValuesTest, AllowFromRejectsBadCidrsAtTheirLines) {
  ConfigLoad l =
      config_test::load(std::string(config_test::kServer) + R"toml([[source]]
name = "m"
allow_from = ["10.0.0.0/8",
  "10.0.0.0/33",
  "::1/129"]
)toml");
  EXPECT_TRUE(config_test::has_error(
      l, 6, "source \"m\".allow_from[1]: invalid CIDR \"10.0.0.0/33\""));
  EXPECT_TRUE(config_test::has_error(
      l, 7, "source \"m\".allow_from[2]: invalid CIDR \"::1/129\""));
  EXPECT_EQ(l.errors.size(), 2u) << config_test::all_errors(l);
}

}  // namespace
}  // namespace hookd
