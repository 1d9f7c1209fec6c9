#include "tests/unit/parser_test_support.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

namespace hookd {
namespace {
namespace json = boost::json;
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

TEST(CloudEventsParserTest, BinaryModeIsStoredAsItsStructuredEquivalent) {
  const std::string raw = R"([{"sku":"X-1","qty":2.50}])";
  RequestMeta meta = binary_meta();
  meta.ce_headers.emplace_back("subject", "order/991");
  meta.ce_headers.emplace_back("traceparent", "00-4bf92f-00f067-01");
  meta.content_type = "application/json; charset=utf-8";
  Event ev = parse_one(kCe, raw, meta);
  EXPECT_EQ(ev.type, "com.example.order.created");
  EXPECT_EQ(ev.idempotency_key, "https://shop.example/orders\nord-991");
  EXPECT_EQ(ev.time_ms, 1709247599500);  // 2024-02-29T22:59:59.5Z
  EXPECT_EQ(ev.content_type, "application/cloudevents+json");
  json::object env = json::parse(ev.body).as_object();
  EXPECT_EQ(env.at("specversion"), "1.0");
  EXPECT_EQ(env.at("id"), "ord-991");
  EXPECT_EQ(env.at("source"), "https://shop.example/orders");
  EXPECT_EQ(env.at("type"), "com.example.order.created");
  EXPECT_EQ(env.at("time"), "2024-02-29T23:59:59.5+01:00");
  EXPECT_EQ(env.at("subject"), "order/991");
  EXPECT_EQ(env.at("traceparent"), "00-4bf92f-00f067-01");
  EXPECT_EQ(env.at("datacontenttype"), "application/json; charset=utf-8");
  EXPECT_EQ(env.at("data"), json::parse(raw));
  // The data's bytes are kept exactly (2.50 is not rewritten as 2.5).
  EXPECT_NE(ev.body.find(",\"data\":" + raw + "}"), std::string::npos) << ev.body;
}

TEST(CloudEventsParserTest, BinaryModeWithoutBodyIsAnEventWithoutData) {
  ParseOutcome out = parse_events(kCe, json::value(), "", binary_meta());
  ASSERT_TRUE(out.ok()) << out.message;
  ASSERT_EQ(out.events.size(), 1u);
  json::object env = json::parse(out.events[0].body).as_object();
  EXPECT_EQ(env.at("id"), "ord-991");
  EXPECT_FALSE(env.contains("data"));
  EXPECT_FALSE(env.contains("datacontenttype"));
}

TEST(CloudEventsParserTest, BinaryModeDataOfAnotherMediaTypeIsAStringOrBase64) {
  RequestMeta meta = binary_meta();
  meta.content_type = "text/plain; charset=utf-8";
  ParseOutcome out = parse_events(kCe, json::value(), "caf\xc3\xa9 <b>", meta);
  ASSERT_TRUE(out.ok()) << out.message;
  json::object env = json::parse(out.events[0].body).as_object();
  EXPECT_EQ(env.at("data"), "caf\u00e9 <b>");
  EXPECT_EQ(env.at("datacontenttype"), "text/plain; charset=utf-8");

  meta.content_type = "application/octet-stream";
  const std::string bytes("\x00\xff\xfe\x01", 4);
  out = parse_events(kCe, json::value(), bytes, meta);
  ASSERT_TRUE(out.ok()) << out.message;
  env = json::parse(out.events[0].body).as_object();
  EXPECT_FALSE(env.contains("data"));
  EXPECT_EQ(env.at("data_base64"), "AP/+AQ==");
}

TEST(CloudEventsParserTest, BinaryModeHeadersArePercentDecodedWhereValid) {
  RequestMeta meta = binary_meta();
  meta.ce_headers.emplace_back("subject", "caf%C3%A9");
  meta.ce_headers.emplace_back("discount", "100%");
  json::object env = json::parse(parse_one(kCe, "{}", meta).body).as_object();
  EXPECT_EQ(env.at("subject"), "caf\u00e9");
  EXPECT_EQ(env.at("discount"), "100%");

  meta = binary_meta();
  meta.ce_headers.emplace_back("subject", "a%0Ab");
  ParseOutcome out = parse(kCe, "{}", meta);
  EXPECT_EQ(out.error, ingest_errc::invalid_field);
  EXPECT_TRUE(out.events.empty());
}

TEST(CloudEventsParserTest, BinaryModeRefusesBadAttributeNamesAndRepeats) {
  for (const char* name : {"Trace-Parent", "data", "datacontenttype", "x_y"}) {
    RequestMeta meta = binary_meta();
    meta.ce_headers.emplace_back(name, "v");
    ParseOutcome out = parse(kCe, "{}", meta);
    EXPECT_EQ(out.error, ingest_errc::invalid_field) << name;
  }
  RequestMeta meta = binary_meta();
  meta.ce_headers.emplace_back("id", "other");
  ParseOutcome out = parse(kCe, "{}", meta);
  EXPECT_EQ(out.error, ingest_errc::invalid_field);
  EXPECT_EQ(out.message, "ce-id: given twice");
}

TEST(CloudEventsParserTest, OnlySpecVersionOnePointZeroIsRead) {
  for (const char* version : {"0.3", "1.0.2", "banana", "1"}) {
    std::string body = std::string(R"({"specversion":")") + version +
                       R"(","id":"1","source":"s","type":"t"})";
    ParseOutcome out = parse(kCe, body);
    EXPECT_EQ(out.error, ingest_errc::invalid_field) << version;
    EXPECT_TRUE(out.events.empty());
    RequestMeta meta = binary_meta();
    meta.ce_headers[0].second = version;
    EXPECT_EQ(parse(kCe, "{}", meta).error, ingest_errc::invalid_field) << version;
  }
}

TEST(CloudEventsParserTest, BinaryModeWinsOverBodyAttributes) {
  Event ev = parse_one(kCe, kStructured, binary_meta());
  EXPECT_EQ(ev.type, "com.example.order.created");
}

TEST(CloudEventsParserTest, StructuredMediaTypeWinsOverCeHeaders) {
  RequestMeta meta = binary_meta();
  meta.content_type = "application/cloudevents+json";
  Event ev = parse_one(kCe, kStructured, meta);
  EXPECT_EQ(ev.type, "com.example.someevent");
  EXPECT_EQ(ev.body, kStructured);
}

TEST(CloudEventsParserTest, BatchModeIsOneEventPerMember) {
  RequestMeta meta = test::make_meta();
  meta.content_type = "application/cloudevents-batch+json";
  const std::string batch =
      R"([{"specversion":"1.0","id":"b-1","source":"/s","type":"a.created","data":{"n":1}},)"
      R"({"specversion":"1.0","id":"b-2","source":"/s","type":"a.deleted"}])";
  ParseOutcome out = parse(kCe, batch, meta);
  ASSERT_TRUE(out.ok()) << out.message;
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0].type, "a.created");
  EXPECT_EQ(out.events[0].idempotency_key, "/s\nb-1");
  EXPECT_EQ(out.events[1].idempotency_key, "/s\nb-2");
  EXPECT_EQ(out.events[0].content_type, "application/cloudevents+json");
  EXPECT_EQ(json::parse(out.events[0].body).at("data").at("n"), 1);
  EXPECT_FALSE(json::parse(out.events[1].body).as_object().contains("data"));

  EXPECT_TRUE(parse(kCe, "[]", meta).ok());
  EXPECT_TRUE(parse(kCe, "[]", meta).events.empty());

  ParseOutcome bad = parse(
      kCe, R"([{"specversion":"1.0","id":"1","source":"s","type":"t"},{"specversion":"1.0"}])",
      meta);
  EXPECT_EQ(bad.error, ingest_errc::missing_field);
  EXPECT_EQ(bad.message, "[1].id: non-empty string required");
  EXPECT_TRUE(bad.events.empty());
  EXPECT_EQ(parse(kCe, R"({"specversion":"1.0"})", meta).error, ingest_errc::unknown_format);
  EXPECT_EQ(parse(kCe, R"([7])", meta).error, ingest_errc::unknown_format);
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
