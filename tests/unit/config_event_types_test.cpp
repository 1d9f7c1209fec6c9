// [storage] event_types and max_event_types: defaults, values and the
// errors for values that do not fit.
#include "tests/unit/config_test_support.hpp"

#include <gtest/gtest.h>

namespace hookd::config_test {
namespace {

TEST(ConfigEventTypesTest, TheCatalogIsOnWithTenThousandPairsByDefault) {
  auto loaded = load(std::string(kServer) + "[storage]\npath = \"/tmp/x\"\n");
  ASSERT_TRUE(loaded.config) << all_errors(loaded);
  EXPECT_TRUE(loaded.config->storage.event_types);
  EXPECT_EQ(loaded.config->storage.max_event_types, 10'000u);
}

TEST(ConfigEventTypesTest, SwitchAndCapAreRead) {
  auto loaded =
      load(std::string(kServer) + "[storage]\nevent_types = false\nmax_event_types = 500\n");
  ASSERT_TRUE(loaded.config) << all_errors(loaded);
  EXPECT_FALSE(loaded.config->storage.event_types);
  EXPECT_EQ(loaded.config->storage.max_event_types, 500u);
}

TEST(ConfigEventTypesTest, BadValuesAreErrorsWithTheirLines) {
  auto loaded = load(std::string(kServer) +
                     "[storage]\nevent_types = \"yes\"\nmax_event_types = 0\n"
                     "[admin]\nlisten = \"127.0.0.1:0\"\n");
  EXPECT_FALSE(loaded.config);
  EXPECT_TRUE(has_error(loaded, 4, "storage.event_types: expected a boolean"))
      << all_errors(loaded);
  EXPECT_TRUE(has_error(loaded, 5, "storage.max_event_types: must be between 1 and 1000000"))
      << all_errors(loaded);

  auto huge = load(std::string(kServer) + "[storage]\nmax_event_types = 1000001\n");
  EXPECT_FALSE(huge.config);
  EXPECT_TRUE(has_error(huge, 4, "storage.max_event_types: must be between 1 and 1000000"))
      << all_errors(huge);
}

TEST(ConfigEventTypesTest, AMisspelledKeyIsUnknown) {
  auto loaded = load(std::string(kServer) + "[storage]\nevent_type = true\n");
  EXPECT_FALSE(loaded.config);
  EXPECT_TRUE(
      has_error(loaded, 4, "storage: unknown key 'event_type'; did you mean 'event_types'?"))
      << all_errors(loaded);
}

}  // namespace
}  // namespace hookd::config_test
