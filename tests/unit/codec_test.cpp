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

TEST(CodecTest, AnEventsHeadAndBodyDecodeAsTheWholeEvent) {
  // The writer stores the two as parts; their length prefix must match.
  for (std::size_t size : {0, 1, 127, 128, 16383, 16384}) {
    Event e = full_event();
    e.body.assign(size, 'b');
    const std::string head = encode_event_head(e);
    EXPECT_EQ(head + e.body, encode_event(e));
    auto decoded = decode_event(head + e.body);
    ASSERT_TRUE(decoded) << size;
    expect_equal(e, *decoded);
    if (size > 0) EXPECT_FALSE(decode_event(head + e.body.substr(1))) << size;
  }
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
  dbytes[4] = 4;  // one past cancelled
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

Attempt full_attempt() {
  Attempt a;
  a.number = UINT32_MAX;
  a.started_ms = INT64_MIN;
  a.latency_us = INT64_MAX;
  a.status = -1;
  a.error = "connect: refused";
  a.response_excerpt = std::string("bin\0\xff", 5);
  return a;
}

void expect_equal(const Attempt& a, const Attempt& b) {
  EXPECT_EQ(a.number, b.number);
  EXPECT_EQ(a.started_ms, b.started_ms);
  EXPECT_EQ(a.latency_us, b.latency_us);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.response_excerpt, b.response_excerpt);
}

TEST(CodecTest, AttemptRoundTrips) {
  Attempt a = full_attempt();
  std::string bytes = encode_attempt(a);
  EXPECT_EQ(static_cast<std::uint8_t>(bytes[0]), kCodecVersion);
  auto decoded = decode_attempt(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message();
  expect_equal(*decoded, a);
  Attempt plain;
  plain.number = 1;
  plain.status = 200;
  auto decoded_plain = decode_attempt(encode_attempt(plain));
  ASSERT_TRUE(decoded_plain);
  expect_equal(*decoded_plain, plain);
}

TEST(CodecTest, SubscriptionStateRoundTrips) {
  for (const SubscriptionState& s :
       {SubscriptionState{true, "410 Gone from subscriber", -3},
        SubscriptionState{false, "", INT64_MAX}, SubscriptionState{}}) {
    auto decoded = decode_subscription_state(encode_subscription_state(s));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->paused, s.paused);
    EXPECT_EQ(decoded->reason, s.reason);
    EXPECT_EQ(decoded->since_ms, s.since_ms);
  }
}

TEST(CodecTest, DamagedAttemptsAndSubscriptionStatesAreInvalid) {
  std::string attempt = encode_attempt(full_attempt());
  for (std::size_t n = 0; n < attempt.size(); ++n)
    ASSERT_FALSE(decode_attempt(std::string_view(attempt).substr(0, n))) << n;
  EXPECT_FALSE(decode_attempt(attempt + "x"));
  std::string state = encode_subscription_state({true, "paused", 42});
  for (std::size_t n = 0; n < state.size(); ++n)
    ASSERT_FALSE(
        decode_subscription_state(std::string_view(state).substr(0, n)));
  EXPECT_FALSE(decode_subscription_state(state + '\0'));

  attempt[0] = static_cast<char>(kCodecVersion + 1);
  EXPECT_EQ(decode_attempt(attempt).error(), storage_errc::invalid_record);
  state[0] = 0;
  EXPECT_FALSE(decode_subscription_state(state));

  // paused is 0 or 1.
  std::string two = encode_subscription_state({});
  two[1] = 2;
  EXPECT_FALSE(decode_subscription_state(two));
  // A status beyond int: version, number 0, started 0, latency 0, then the
  // zigzag varint 2^32 (does not fit 32 bits).
  std::string big("\x01\x00\x00\x00\x80\x80\x80\x80\x10\x00\x00", 11);
  big[0] = static_cast<char>(kCodecVersion);
  EXPECT_FALSE(decode_attempt(big));
  std::string fits = big;
  fits.replace(4, 5, "\x02");  // status 1
  auto ok = decode_attempt(fits);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 1);
  EXPECT_FALSE(decode_attempt(""));
  EXPECT_FALSE(decode_subscription_state(""));
  EXPECT_FALSE(decode_attempt("{\"json\":true}"));
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

TEST(KeysTest, PendingValueCarriesTheSubscription) {
  std::string_view sub = "unset";
  ASSERT_TRUE(parse_pending_value(pending_value("orders"), &sub));
  EXPECT_EQ(sub, "orders");
  ASSERT_TRUE(parse_pending_value("", &sub));  // written before values held it
  EXPECT_EQ(sub, "");
  EXPECT_FALSE(parse_pending_value("orders", &sub));  // an unknown layout
  EXPECT_EQ(pending_key_due_ms(pending_key(1'750'000'000'123, "E.1")), 1'750'000'000'123);
  EXPECT_EQ(pending_key_due_ms(pending_key(-5, "E.1")), 0);
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

TEST(KeysTest, AttemptKeysSortByNumberWithinOneDelivery) {
  EXPECT_LT(attempt_key("E.1", 2), attempt_key("E.1", 10));
  EXPECT_LT(attempt_key("E.1", 255), attempt_key("E.1", 256));
  EXPECT_LT(attempt_key("E.1", UINT32_MAX), attempt_key("E.10", 0));
  std::string prefix = attempts_prefix("E.1");
  EXPECT_EQ(attempt_key("E.1", 1).substr(0, prefix.size()), prefix);
  EXPECT_NE(attempt_key("E.10", 1).substr(0, prefix.size()), prefix);
  EXPECT_EQ(attempt_key("E.1", 0x01020304), std::string("E.1\0\1\2\3\4", 8));
}

TEST(KeysTest, StateIndexKeysParseBackAndGroupBySubscription) {
  std::string key = state_index_key(2, "orders", "E.3");
  EXPECT_EQ(key, std::string("\2orders\0E.3", 11));
  StateIndexEntry entry;
  ASSERT_TRUE(parse_state_index_key(key, &entry));
  EXPECT_EQ(entry.state, 2);
  EXPECT_EQ(entry.subscription, "orders");
  EXPECT_EQ(entry.delivery_id, "E.3");
  EXPECT_FALSE(parse_state_index_key("", &entry));
  EXPECT_FALSE(parse_state_index_key("\2orders", &entry));
  std::string sub = state_index_prefix(2, "sub");
  EXPECT_NE(state_index_key(2, "sub1", "E.1").substr(0, sub.size()), sub);
  Delivery d;
  d.id = "E.3";
  d.subscription = "orders";
  d.state = DeliveryState::dead;
  EXPECT_EQ(state_index_key(d), key);
}

}  // namespace
}  // namespace hookd::storage
