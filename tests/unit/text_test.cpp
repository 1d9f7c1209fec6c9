// The rules for sender-controlled text (core/text.hpp) and the field checks
// every parser applies with them.
#include "core/delivery/outgoing.hpp"
#include "core/text.hpp"
#include "tests/unit/parser_test_support.hpp"

#include <gtest/gtest.h>

namespace hookd {
namespace {

using test::make_meta;
using test::make_source;
using test::parse;

TEST(TextTest, Utf8ValidityFollowsUnicodeTable) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(TextTest, RepairReplacesEachBadByteWithReplacementCharacter) {
  EXPECT_EQ(to_valid_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(to_valid_utf8("\xC3"), "\xEF\xBF\xBD");
  EXPECT_EQ(to_valid_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_TRUE(is_valid_utf8(to_valid_utf8("\x80\x81\xE2\x82")));
}

TEST(TextTest, PrefixNeverSplitsACharacter) {
  const std::string euro = "\xE2\x82\xAC";  // 3 bytes
  std::string s = "ab" + euro + euro;
  EXPECT_EQ(utf8_prefix(s, 3), "ab");
  EXPECT_EQ(utf8_prefix(s, 4), "ab");
  EXPECT_EQ(utf8_prefix(s, 5), "ab" + euro);
  EXPECT_EQ(utf8_prefix(s, 100), s);
  std::string ascii(2000, 'x');
  EXPECT_EQ(utf8_prefix(ascii, 1024).size(), 1024u);
  // A 1024-byte excerpt of a body of 2-byte characters is valid UTF-8.
  std::string wide;
  for (int i = 0; i < 700; ++i) wide += "\xC3\xA9";
  wide = "x" + wide;
  auto cut = utf8_prefix(wide, 1024);
  EXPECT_EQ(cut.size(), 1023u);
  EXPECT_TRUE(is_valid_utf8(cut));
}

TEST(TextTest, FieldsRefuseControlsAndLength) {
  EXPECT_FALSE(field_problem("s3:ObjectCreated:Put", 256));
  EXPECT_FALSE(field_problem("caf\xC3\xA9", 256));
  EXPECT_TRUE(field_problem("a\r\nX-Injected: 1", 256));
  EXPECT_TRUE(field_problem(std::string("a\0b", 3), 256));
  EXPECT_TRUE(field_problem("a\x7F", 256));
  EXPECT_TRUE(field_problem("a\xC2\x85", 256));  // NEL, a C1 control
  EXPECT_TRUE(field_problem("a\xFF", 256));
  EXPECT_FALSE(field_problem(std::string(256, 'a'), 256));
  EXPECT_TRUE(field_problem(std::string(257, 'a'), 256));
}

TEST(TextTest, IdentifiersArePrintableAscii) {
  EXPECT_FALSE(identifier_problem("evt-123 ok~"));
  EXPECT_TRUE(identifier_problem("caf\xC3\xA9"));
  EXPECT_TRUE(identifier_problem("a\tb"));
  EXPECT_FALSE(identifier_problem(std::string(255, 'k')));
  EXPECT_TRUE(identifier_problem(std::string(256, 'k')));
}

TEST(TextTest, BearerTokenAndSecretCompare) {
  EXPECT_EQ(bearer_token("Bearer abc").value_or(""), "abc");
  EXPECT_EQ(bearer_token("bEaReR  abc ").value_or(""), "abc");
  EXPECT_FALSE(bearer_token("Basic abc"));
  EXPECT_FALSE(bearer_token("Bearer "));
  EXPECT_TRUE(secret_equals("token-1", "token-1"));
  EXPECT_FALSE(secret_equals("token-1", "token-2"));
  EXPECT_FALSE(secret_equals("token", "token-1"));
  EXPECT_FALSE(secret_equals("", "token"));
}

TEST(TextTest, OutgoingRequestWithCrLfIsRefusedByName) {
  Event ev;
  ev.id = "01JTEST";
  ev.source = "app";
  ev.type = "order.created\r\nX-Injected: 1";
  ev.body = "{}";
  Delivery d;
  d.id = "01JTEST.0";
  SubscriptionConfig sub;
  sub.name = "s";
  auto url = parse_target_url("http://127.0.0.1:9/hook");
  ASSERT_TRUE(url);
  OutgoingRequest req = build_delivery_request(ev, d, 1, sub, *url, "hookd/test", 1);
  EXPECT_EQ(unsafe_header(req).value_or(""), "hookd-event-type");
  ev.type = "order.created";
  sub.headers.emplace_back("X-Tenant", std::string("a\0b", 3));
  req = build_delivery_request(ev, d, 1, sub, *url, "hookd/test", 1);
  EXPECT_EQ(unsafe_header(req).value_or(""), "X-Tenant");
  sub.headers.clear();
  req = build_delivery_request(ev, d, 1, sub, *url, "hookd/test", 1);
  EXPECT_FALSE(unsafe_header(req));
}

// Each format's fields that reach a header, a key or the API, with CR/LF.
TEST(ParserFieldRulesTest, EveryFormatNamesTheFieldWithACrLf) {
  const std::string crlf = "\\r\\nX-Injected: 1";
  struct Case {
    Format format;
    std::string body;
    std::string field;  // expected at the start of the message
  };
  const Case cases[] = {
      {Format::minio,
       R"({"Records":[{"eventName":"s3:ObjectCreated:Put)" + crlf +
           R"(","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]})",
       "Records[0].eventName"},
      {Format::minio,
       R"({"Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"b)" + crlf +
           R"("},"object":{"key":"k"}}}]})",
       "Records[0].s3.bucket.name"},
      {Format::opteryx,
       R"({"event":{"action":"create)" + crlf +
           R"(","resource_type":"dataset","workspace":"w"},"data":{}})",
       "event.action"},
      {Format::opteryx,
       R"({"event":{"action":"create","resource_type":"dataset)" + crlf +
           R"(","workspace":"w"},"data":{}})",
       "event.resource_type"},
      {Format::cloudevents,
       R"({"specversion":"1.0","id":"1","source":"/s","type":"t)" + crlf + R"("})", "type"},
      {Format::cloudevents,
       R"({"specversion":"1.0","id":"1)" + crlf + R"(","source":"/s","type":"t"})", "id"},
      {Format::cloudevents,
       R"({"specversion":"1.0","id":"1","source":"/s)" + crlf + R"(","type":"t"})", "source"},
  };
  for (const Case& c : cases) {
    ParseOutcome out = parse(make_source("src", c.format), c.body);
    EXPECT_EQ(out.error, ingest_errc::invalid_field) << c.body;
    EXPECT_TRUE(out.message.starts_with(c.field + ":")) << out.message;
    EXPECT_TRUE(out.events.empty());
  }
}

TEST(ParserFieldRulesTest, GenericPointersAndHeadersAreChecked) {
  SourceConfig src = make_source("app", Format::generic);
  src.type_pointer = "/kind";
  ParseOutcome out = parse(src, R"({"kind":"a\nb"})");
  EXPECT_EQ(out.error, ingest_errc::invalid_field);
  EXPECT_TRUE(out.message.starts_with("/kind (type_pointer):")) << out.message;

  src.type_pointer.clear();
  src.id_pointer = "/id";
  out = parse(src, R"({"id":"caf\u00e9"})");
  EXPECT_EQ(out.error, ingest_errc::invalid_field);
  EXPECT_TRUE(out.message.starts_with("/id (id_pointer):")) << out.message;

  RequestMeta meta = make_meta();
  meta.event_type = std::string(257, 't');
  out = parse(make_source("app", Format::generic), "{}", meta);
  EXPECT_EQ(out.error, ingest_errc::invalid_field);
  EXPECT_TRUE(out.message.starts_with("X-Event-Type:")) << out.message;

  meta = make_meta();
  meta.ce_headers = {{"specversion", "1.0"}, {"id", "1"}, {"source", "/s"}, {"type", "t\r\n"}};
  out = parse(make_source("ce", Format::cloudevents), "{}", meta);
  EXPECT_EQ(out.error, ingest_errc::invalid_field);
  EXPECT_TRUE(out.message.starts_with("ce-type:")) << out.message;
}

TEST(ParserFieldRulesTest, EventTypeOfExactly256BytesIsAccepted) {
  std::string type(256, 't');
  ParseOutcome out = parse(make_source("ce", Format::cloudevents),
                           R"({"specversion":"1.0","id":"1","source":"/s","type":")" + type + "\"}");
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.events[0].type, type);
}

TEST(ParserFieldRulesTest, OutOfRangeTimesFallBackToReceiveTime) {
  const std::string opteryx =
      R"({"event":{"action":"create","resource_type":"dataset","workspace":"w",)"
      R"("timestamp":9223372036854775807},"data":{}})";
  ParseOutcome out = parse(make_source("catalog", Format::opteryx), opteryx);
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.events[0].time_ms, test::kReceivedMs);
  EXPECT_FALSE(parse_rfc3339_ms("9999-12-31T23:59:59-01:00"));
  EXPECT_FALSE(parse_rfc3339_ms("0000-01-01T00:00:00+01:00"));
  EXPECT_EQ(parse_rfc3339_ms("9999-12-31T23:59:59.999Z").value_or(0), kMaxRfc3339Ms);
  EXPECT_EQ(format_rfc3339_ms(std::numeric_limits<std::int64_t>::max()),
            "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_ms(std::numeric_limits<std::int64_t>::min()),
            "0000-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace hookd
