#include "core/errors.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace hookd {
namespace {

const std::vector<delivery_errc>& all_delivery_codes() {
  static const std::vector<delivery_errc> all{
      delivery_errc::ok,
      delivery_errc::already_delivered,
      delivery_errc::unknown_subscription,
      delivery_errc::resolve_failed,
      delivery_errc::connect_failed,
      delivery_errc::tls_config,
      delivery_errc::tls_handshake_failed,
      delivery_errc::tls_verify_failed,
      delivery_errc::timeout,
      delivery_errc::cancelled,
      delivery_errc::write_failed,
      delivery_errc::read_failed,
      delivery_errc::connection_closed,
      delivery_errc::bad_response,
      delivery_errc::response_too_large,
      delivery_errc::invalid_request,
      delivery_errc::unsafe_header,
      delivery_errc::event_missing,
      delivery_errc::destination_not_allowed,
  };
  return all;
}

TEST(DeliveryErrcTest, ExistingCodesKeepTheirValues) {
  EXPECT_EQ(static_cast<int>(delivery_errc::ok), 0);
  EXPECT_EQ(static_cast<int>(delivery_errc::already_delivered), 1);
  EXPECT_EQ(static_cast<int>(delivery_errc::unknown_subscription), 2);
}

TEST(DeliveryErrcTest, EveryCodeIsDistinctWithItsOwnMessageAndName) {
  std::set<int> values;
  std::set<std::string> messages, names;
  for (delivery_errc e : all_delivery_codes()) {
    error_code ec = e;
    values.insert(ec.value());
    messages.insert(ec.message());
    names.insert(to_string(e));
    EXPECT_NE(ec.message(), "unknown delivery error") << to_string(e);
    EXPECT_STRNE(to_string(e), "unknown") << ec.value();
  }
  EXPECT_EQ(values.size(), all_delivery_codes().size());
  EXPECT_EQ(messages.size(), all_delivery_codes().size());
  EXPECT_EQ(names.size(), all_delivery_codes().size());
}

TEST(DeliveryErrcTest, MakeErrorCodeRoundTrips) {
  for (delivery_errc e : all_delivery_codes()) {
    error_code ec = make_error_code(e);
    EXPECT_EQ(&ec.category(), &delivery_category());
    EXPECT_EQ(static_cast<delivery_errc>(ec.value()), e);
    EXPECT_EQ(ec, e);
    EXPECT_EQ(static_cast<bool>(ec), e != delivery_errc::ok);
  }
  EXPECT_STREQ(delivery_category().name(), "hookd.delivery");
}

TEST(DeliveryErrcTest, CodesOfOtherCategoriesDoNotCompareEqual) {
  error_code ec = delivery_errc::timeout;
  EXPECT_NE(ec, delivery_errc::connect_failed);
  EXPECT_NE(ec, make_error_code(storage_errc::io_error));
  EXPECT_NE(make_error_code(delivery_errc::already_delivered),
            make_error_code(storage_errc::io_error));  // both are value 1
}

TEST(DeliveryErrcTest, ErrorTextIsTheNameThenTheDetail) {
  EXPECT_EQ(delivery_error_text(delivery_errc::timeout, ""), "timeout");
  EXPECT_EQ(delivery_error_text(delivery_errc::connect_failed, "some reason"),
            "connect_failed: some reason");
  EXPECT_EQ(delivery_error_text(storage_errc::closed, ""), "storage closed");
}

}  // namespace
}  // namespace hookd
