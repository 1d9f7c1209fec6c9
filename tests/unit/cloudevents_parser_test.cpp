#include "tests/unit/parser_test_support.hpp"

namespace hookd {
namespace {
using test::kReceivedMs;
using test::parse;
using test::parse_one;

const SourceConfig kCe = test::make_source("ce", Format::cloudevents);

constexpr std::string_view kStructured =
    R"({"specversion":"1.0","id":"A234-1234-1234","source":"/mycontext/subcontext",)"
    R"("type":"com.example.someevent","time":"2018-04-05T17:31:00Z",)"
    R"("datacontenttype":"application/json","data":{"appinfoA":"abc"}})";

RequestMeta binary_meta() {
  RequestMeta meta = test::make_meta();
  meta.ce_headers = {{"specversion", "1.0"},
                     {"type", "com.example.order.created"},
                     {"source", "https://shop.example/orders"},
                     {"id", "ord-991"},
                     {"time", "2024-02-29T23:59:59.5+01:00"}};
  return meta;
}

TEST(CloudEventsParserTest, StructuredModeEvent) {
  Event ev = parse_one(kCe, kStructured);
  EXPECT_EQ(ev.type, "com.example.someevent");
  EXPECT_EQ(ev.idempotency_key, "/mycontext/subcontext\nA234-1234-1234");
  EXPECT_EQ(ev.time_ms, 1522949460000);
  EXPECT_EQ(ev.received_ms, kReceivedMs);
  EXPECT_EQ(ev.body, kStructured);
  EXPECT_EQ(ev.content_type, "application/json");
  EXPECT_EQ(ev.source, "ce");
  EXPECT_EQ(ev.format, Format::cloudevents);
  EXPECT_FALSE(ev.attrs.bucket);
  EXPECT_FALSE(ev.attrs.workspace);
}

TEST(CloudEventsParserTest, StructuredMediaTypeIsKept) {
  RequestMeta meta = test::make_meta();
  meta.content_type = "Application/CloudEvents+JSON; charset=utf-8";
  EXPECT_EQ(parse_one(kCe, kStructured, meta).content_type, "application/cloudevents+json");
}

TEST(CloudEventsParserTest, StructuredWithoutTimeUsesReceiveTime) {
  Event ev = parse_one(kCe, R"({"specversion":"1.0","id":"1","source":"s","type":"t"})");
  EXPECT_EQ(ev.time_ms, kReceivedMs);
  Event bad_time = parse_one(
      kCe,
      R"({"specversion":"1.0","id":"1","source":"s","type":"t","time":"2018-13-01T00:00:00Z"})");
  EXPECT_EQ(bad_time.time_ms, kReceivedMs);
}

TEST(CloudEventsParserTest, StructuredMissingAttributeIsMissingField) {
  ParseOutcome out = parse(kCe, R"({"specversion":"1.0","source":"s","type":"t"})");
  EXPECT_EQ(out.error, ingest_errc::missing_field);
  EXPECT_EQ(out.message, "id: non-empty string required");
  out = parse(kCe, R"({"specversion":"1.0","id":"1","source":"s","type":7})");
  EXPECT_EQ(out.error, ingest_errc::missing_field);
  EXPECT_EQ(out.message, "type: non-empty string required");
  out = parse(kCe, R"({"specversion":null,"id":"1","source":"s","type":"t"})");
  EXPECT_EQ(out.message, "specversion: non-empty string required");
}

TEST(CloudEventsParserTest, BinaryModeTakesAttributesFromHeaders) {
  const std::string raw = R"([{"sku":"X-1","qty":2}])";
  Event ev = parse_one(kCe, raw, binary_meta());
  EXPECT_EQ(ev.type, "com.example.order.created");
  EXPECT_EQ(ev.idempotency_key, "https://shop.example/orders\nord-991");
  EXPECT_EQ(ev.time_ms, 1709247599500);  // 2024-02-29T22:59:59.5Z
  EXPECT_EQ(ev.body, raw);
  EXPECT_EQ(ev.content_type, "application/json");
}

TEST(CloudEventsParserTest, BinaryModeWinsOverBodyAttributes) {
  Event ev = parse_one(kCe, kStructured, binary_meta());
  EXPECT_EQ(ev.type, "com.example.order.created");
}

TEST(CloudEventsParserTest, BinaryModeMissingHeaderIsMissingField) {
  RequestMeta meta = binary_meta();
  meta.ce_headers.erase(meta.ce_headers.begin() + 1);  // type
  ParseOutcome out = parse(kCe, "{}", meta);
  EXPECT_EQ(out.error, ingest_errc::missing_field);
  EXPECT_EQ(out.message, "ce-type: non-empty header required");
}

TEST(CloudEventsParserTest, IdempotencyKeyHeaderTakesPrecedence) {
  RequestMeta meta = test::make_meta();
  meta.idempotency_key = "msg_1";
  EXPECT_EQ(parse_one(kCe, kStructured, meta).idempotency_key, "msg_1");
}

TEST(CloudEventsParserTest, BodyWithoutSpecversionIsUnknownFormat) {
  ParseOutcome out = parse(kCe, R"({"id":"1","source":"s","type":"t"})");
  EXPECT_EQ(out.error, ingest_errc::unknown_format);
  EXPECT_TRUE(out.events.empty());
}

}  // namespace
}  // namespace hookd
