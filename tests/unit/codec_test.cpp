#include "storage/codec.hpp"
#include "storage/keys.hpp"

#include <gtest/gtest.h>

#include <climits>

namespace hookd::storage {
namespace {

Event full_event() {
  Event e;
  e.id = "01HZX3J9Q8T6V5W4X3Y2Z1A0BC";
  e.source = "minio";
  e.format = Format::minio;
  e.type = "s3:ObjectCreated:Put";
  e.time_ms = 1'717'000'000'123;
  e.received_ms = 1'717'000'000'456;
  e.idempotency_key = std::string("key\0with nul", 12);
  e.attrs.bucket = "photos";
  e.attrs.object_key = "uploads/a b.jpg";
  e.attrs.workspace = "";
  e.attrs.collection = "c";
  e.attrs.resource_type = "dataset";
  e.content_type = "application/json; charset=utf-8";
  e.body = std::string(300, 'x') + "\xff\x00\x80" + "{}";
  return e;
}

Delivery full_delivery() {
  Delivery d;
  d.id = "01HZX3J9Q8T6V5W4X3Y2Z1A0BC.12";
  d.event_id = "01HZX3J9Q8T6V5W4X3Y2Z1A0BC";
  d.subscription = "thumbnails";
  d.state = DeliveryState::dead;
  d.attempts = UINT32_MAX;
  d.next_attempt_ms = -5;
  d.created_ms = INT64_MIN;
  d.updated_ms = INT64_MAX;
  d.last_error = "timeout";
  return d;
}

void expect_equal(const Event& a, const Event& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.format, b.format);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.time_ms, b.time_ms);
  EXPECT_EQ(a.received_ms, b.received_ms);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
  EXPECT_EQ(a.attrs.bucket, b.attrs.bucket);
  EXPECT_EQ(a.attrs.object_key, b.attrs.object_key);
  EXPECT_EQ(a.attrs.workspace, b.attrs.workspace);
  EXPECT_EQ(a.attrs.collection, b.attrs.collection);
  EXPECT_EQ(a.attrs.resource_type, b.attrs.resource_type);
  EXPECT_EQ(a.content_type, b.content_type);
  EXPECT_EQ(a.body, b.body);
}

void expect_equal(const Delivery& a, const Delivery& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.event_id, b.event_id);
  EXPECT_EQ(a.subscription, b.subscription);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.attempts, b.attempts);
  EXPECT_EQ(a.next_attempt_ms, b.next_attempt_ms);
  EXPECT_EQ(a.created_ms, b.created_ms);
  EXPECT_EQ(a.updated_ms, b.updated_ms);
  EXPECT_EQ(a.last_error, b.last_error);
}

TEST(CodecTest, EventRoundTripsWithEveryField) {
  Event e = full_event();
  std::string bytes = encode_event(e);
  EXPECT_EQ(static_cast<std::uint8_t>(bytes[0]), kCodecVersion);
  auto decoded = decode_event(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message();
  expect_equal(*decoded, e);
}

TEST(CodecTest, EventRoundTripsWithNoOptionalFields) {
  Event e;  // defaults: empty strings, absent attributes, zero times
  auto decoded = decode_event(encode_event(e));
  ASSERT_TRUE(decoded);
  expect_equal(*decoded, e);
  EXPECT_FALSE(decoded->attrs.bucket.has_value());
  EXPECT_FALSE(decoded->attrs.collection.has_value());
}

TEST(CodecTest, EmptyOptionalIsNotAbsent) {
  Event e;
  e.attrs.collection = "";
  auto decoded = decode_event(encode_event(e));
  ASSERT_TRUE(decoded);
  ASSERT_TRUE(decoded->attrs.collection.has_value());
  EXPECT_EQ(*decoded->attrs.collection, "");
}

TEST(CodecTest, DeliveryRoundTripsIncludingExtremes) {
  Delivery d = full_delivery();
  auto decoded = decode_delivery(encode_delivery(d));
  ASSERT_TRUE(decoded) << decoded.error().message();
  expect_equal(*decoded, d);
  Delivery plain;
  auto decoded_plain = decode_delivery(encode_delivery(plain));
  ASSERT_TRUE(decoded_plain);
  expect_equal(*decoded_plain, plain);
}

TEST(CodecTest, EveryTruncationIsInvalid) {
  std::string event = encode_event(full_event());
  for (std::size_t n = 0; n < event.size(); ++n) {
    auto r = decode_event(std::string_view(event).substr(0, n));
    ASSERT_FALSE(r) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.error(), storage_errc::invalid_record);
  }
  std::string delivery = encode_delivery(full_delivery());
  for (std::size_t n = 0; n < delivery.size(); ++n)
    ASSERT_FALSE(decode_delivery(std::string_view(delivery).substr(0, n)));
}

TEST(CodecTest, TrailingBytesAreInvalid) {
  EXPECT_FALSE(decode_event(encode_event(full_event()) + "x"));
  EXPECT_FALSE(decode_delivery(encode_delivery(full_delivery()) + '\0'));
}

TEST(CodecTest, UnknownVersionIsInvalid) {
  std::string bytes = encode_event(full_event());
  bytes[0] = static_cast<char>(kCodecVersion + 1);
  EXPECT_EQ(decode_event(bytes).error(), storage_errc::invalid_record);
  bytes[0] = 0;
  EXPECT_FALSE(decode_event(bytes));
}

TEST(CodecTest, OutOfRangeEnumsAndFlagsAreInvalid) {
  Event e;
  std::string bytes = encode_event(e);
  // version, id "", source "", then the format byte.
  ASSERT_EQ(bytes[3], static_cast<char>(Format::generic));
  bytes[3] = 9;
  EXPECT_FALSE(decode_event(bytes));

  bytes = encode_event(e);
  // After format: type "", time 0, received 0, key "", then the flags.
  ASSERT_EQ(bytes[8], 0);
  bytes[8] = static_cast<char>(0x20);
  EXPECT_FALSE(decode_event(bytes));

  Delivery d;
  std::string dbytes = encode_delivery(d);
  // version, id "", event_id "", subscription "", then the state byte.
  dbytes[4] = 3;
  EXPECT_FALSE(decode_delivery(dbytes));
}

TEST(CodecTest, GarbageIsInvalid) {
  EXPECT_FALSE(decode_event(""));
  EXPECT_FALSE(decode_delivery(""));
  // A length far beyond the input.
  std::string huge("\x01\xff\xff\xff\xff\x0f", 6);
  EXPECT_FALSE(decode_event(huge));
  EXPECT_FALSE(decode_delivery(huge));
  // A varint longer than ten bytes.
  std::string endless(1, '\x01');
  endless.append(12, '\x80');
  EXPECT_FALSE(decode_event(endless));
  // attempts that do not fit 32 bits.
  Delivery d;
  std::string bytes = encode_delivery(d);
  std::string big = bytes.substr(0, 5) +
                    std::string("\xff\xff\xff\xff\x10", 5) + bytes.substr(6);
  EXPECT_FALSE(decode_delivery(big));
  EXPECT_FALSE(decode_event("{\"json\":true}"));
}

TEST(KeysTest, IdemValueRoundTripsAndRejectsShortValues) {
  std::string value = encode_idem_value(1'700'000'000'000, "01EVENT");
  auto decoded = decode_idem_value(value);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->expires_at_ms, 1'700'000'000'000);
  EXPECT_EQ(decoded->event_id, "01EVENT");
  EXPECT_FALSE(decode_idem_value("short"));
  EXPECT_FALSE(decode_idem_value(value.substr(0, 8)));
}

TEST(KeysTest, IdemKeyScopesBySource) {
  EXPECT_NE(idem_key("a", "bc"), idem_key("ab", "c"));
  EXPECT_EQ(idem_key("src", "k"), std::string("src\0k", 5));
}

TEST(KeysTest, PendingKeysSortByDueTimeThenId) {
  EXPECT_LT(pending_key(255, "z"), pending_key(256, "a"));
  EXPECT_LT(pending_key(1'000, "a"), pending_key(1'000, "b"));
  EXPECT_LT(pending_key(1'000, "a"), pending_key(1LL << 40, "a"));
  EXPECT_EQ(pending_key(-7, "a"), pending_key(0, "a"));
  EXPECT_EQ(pending_key_delivery_id(pending_key(42, "ev.3")), "ev.3");
  EXPECT_EQ(pending_key_delivery_id("short"), "");
}

TEST(KeysTest, PrefixUpperBoundCoversThePrefixOnly) {
  std::string prefix = deliveries_prefix("EV");
  EXPECT_EQ(prefix, "EV.");
  std::string upper = prefix_upper_bound(prefix);
  EXPECT_LT(std::string("EV.99999"), upper);
  EXPECT_GE(std::string("EV0"), upper);
  EXPECT_EQ(prefix_upper_bound("a\xff"), "b");
  EXPECT_EQ(prefix_upper_bound("\xff\xff"), "");
}

}  // namespace
}  // namespace hookd::storage
