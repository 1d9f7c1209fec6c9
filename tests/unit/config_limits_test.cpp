// Range checks of config durations, sizes and counts: every key has an upper
// bound, reported with its line, so that no deadline or expiry overflows.
#include "tests/unit/config_test_support.hpp"

#include <gtest/gtest.h>

namespace hookd::config_test {
namespace {

std::string first_error(const ConfigLoad& load) {
  return load.errors.empty() ? std::string() : load.errors.front().to_string();
}

TEST(ConfigLimitsTest, NewServerKeysHaveDefaults) {
  auto loaded = load(kServer);
  ASSERT_TRUE(loaded.config) << first_error(loaded);
  const ServerConfig& s = loaded.config->server;
  EXPECT_EQ(s.header_timeout, Duration(10'000));
  EXPECT_EQ(s.max_connections, 1024u);
  EXPECT_EQ(s.max_connections_per_ip, 256u);
  EXPECT_EQ(s.max_records, 100u);
  EXPECT_EQ(s.busy_poll_us, 500u);
  EXPECT_TRUE(s.sched_batch);
  EXPECT_EQ(loaded.config->admin.max_connections, 64u);
  EXPECT_EQ(loaded.config->storage.outcome_delay_us, 1000u);
}

TEST(ConfigLimitsTest, OutcomeDelayMayBeTurnedOff) {
  auto loaded = load(std::string(kServer) + "[storage]\noutcome_delay_us = 0\n");
  ASSERT_TRUE(loaded.config) << first_error(loaded);
  EXPECT_EQ(loaded.config->storage.outcome_delay_us, 0u);
}

TEST(ConfigLimitsTest, HugeDurationsAreRefusedWithTheirLine) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {std::string(kServer) + "read_timeout = \"109500d\"\n",
       "test.toml:3: server.read_timeout: \"109500d\" is too long; at most 1h"},
      {std::string(kServer) + "header_timeout = \"10m\"\n",
       "test.toml:3: server.header_timeout: \"10m\" is too long; at most 5m"},
      {std::string(kServer) + "[storage]\ndedup_window = \"99999999d\"\n",
       "test.toml:4: storage.dedup_window: \"99999999d\" is too long; at most 3650d"},
      {std::string(kServer) + "max_body = \"1GiB\"\n",
       "test.toml:3: server.max_body: \"1GiB\" is too large; at most 64MiB"},
      {std::string(kServer) + "max_records = 100001\n",
       "test.toml:3: server.max_records: must be between 1 and 100000"},
      {std::string(kServer) + "busy_poll_us = 10001\n",
       "test.toml:3: server.busy_poll_us: must be between 0 and 10000"},
      {std::string(kServer) + "busy_poll_us = -1\n",
       "test.toml:3: server.busy_poll_us: must be between 0 and 10000"},
      {std::string(kServer) + "[storage]\noutcome_delay_us = 100001\n",
       "test.toml:4: storage.outcome_delay_us: must be between 0 and 100000"},
      {std::string(kServer) + "max_connections = 10\nmax_connections_per_ip = 11\n",
       "test.toml:4: server.max_connections_per_ip: must not exceed max_connections (10)"},
  };
  for (const Case& c : cases) {
    auto loaded = load(c.text);
    EXPECT_FALSE(loaded.config) << c.text;
    EXPECT_EQ(first_error(loaded), c.expected) << c.text;
  }
}

TEST(ConfigLimitsTest, SubscriptionDurationsAreBounded) {
  auto loaded = load(std::string(kServer) +
                     "[[subscription]]\nname = \"s\"\nurl = \"http://127.0.0.1:9/\"\n"
                     "timeout = \"1h\"\n[subscription.retry]\ncap = \"365d\"\n");
  ASSERT_FALSE(loaded.config);
  ASSERT_EQ(loaded.errors.size(), 2u);
  EXPECT_EQ(loaded.errors[0].to_string(),
            "test.toml:6: subscription \"s\".timeout: \"1h\" is too long; at most 10m");
  EXPECT_EQ(loaded.errors[1].to_string(),
            "test.toml:8: subscription \"s\".retry.cap: \"365d\" is too long; at most 30d");
}

TEST(ConfigLimitsTest, BoundsThemselvesAreAccepted) {
  auto loaded = load(std::string(kServer) +
                     "read_timeout = \"1h\"\nmax_body = \"64MiB\"\nmax_records = 100000\n"
                     "[storage]\ndedup_window = \"3650d\"\n");
  ASSERT_TRUE(loaded.config) << first_error(loaded);
  EXPECT_EQ(loaded.config->server.max_body, 64u << 20);
}

TEST(ConfigLimitsTest, BusyPollTakesZeroAndItsBound) {
  for (std::uint32_t us : {0u, 10'000u}) {
    auto loaded = load(std::string(kServer) + "busy_poll_us = " + std::to_string(us) + "\n");
    ASSERT_TRUE(loaded.config) << first_error(loaded);
    EXPECT_EQ(loaded.config->server.busy_poll_us, us);
  }
}

TEST(ConfigLimitsTest, SchedBatchIsABoolean) {
  auto off = load(std::string(kServer) + "sched_batch = false\n");
  ASSERT_TRUE(off.config) << first_error(off);
  EXPECT_FALSE(off.config->server.sched_batch);
  auto wrong = load(std::string(kServer) + "sched_batch = \"yes\"\n");
  EXPECT_FALSE(wrong.config);
  EXPECT_NE(first_error(wrong).find("server.sched_batch"), std::string::npos) << first_error(wrong);
}

}  // namespace
}  // namespace hookd::config_test
