#include "tests/unit/parser_test_support.hpp"

#include "core/text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace hookd {
namespace {
namespace json = boost::json;
using test::parse;
using test::read_data_file;

std::optional<boost::json::value> json_of(std::string_view text) {
  std::string message;
  return parse_json(text, message);
}

std::string json_error(std::string_view text) {
  std::string message;
  EXPECT_FALSE(parse_json(text, message)) << text;
  return message;
}

TEST(ParseJsonTest, AcceptsStrictJsonWithSurroundingWhitespace) {
  auto v = json_of(" \n{\"a\": [1, 2.5, \"x\", null, true]}\n");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("a").as_array().size(), 5u);
}

TEST(ParseJsonTest, RejectsNaNAndInfinity) {
  EXPECT_FALSE(json_error("[NaN]").empty());
  EXPECT_FALSE(json_error(R"({"x": Infinity})").empty());
  EXPECT_FALSE(json_error("[-Infinity]").empty());
  EXPECT_EQ(json_error("[1e400]"), "number out of range");
}

TEST(ParseJsonTest, RejectsTrailingContentCommentsAndTrailingCommas) {
  EXPECT_EQ(json_error(R"({"a":1} x)"), "extra data at byte 8");
  EXPECT_EQ(json_error(R"({"a":1}{"a":1})"), "extra data at byte 7");
  json_error("{\"a\":1 /* c */}");
  json_error("[1,]");
  json_error(R"({"a":1,})");
}

TEST(ParseJsonTest, RejectsTruncatedEmptyAndInvalidUtf8) {
  EXPECT_EQ(json_error(""), "incomplete JSON at byte 0");
  json_error(R"({"a":)");
  json_error("\"\xC3\x28\"");
}

TEST(ParseJsonTest, RejectsNestingDeeperThanSixtyFour) {
  EXPECT_TRUE(json_of(std::string(64, '[') + std::string(64, ']')));
  json_error(std::string(65, '[') + std::string(65, ']'));
}

TEST(Sha256HexTest, MatchesKnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(FormDecodeTest, PlusIsSpaceAndPercentIsByte) {
  EXPECT_EQ(form_decode("a+b%2Fc"), "a b/c");
  EXPECT_EQ(form_decode("K%C3%B6ln"), "K\xC3\xB6ln");
  EXPECT_EQ(form_decode("%2b%2B"), "++");
  EXPECT_EQ(form_decode("%28v2%29"), "(v2)");
  EXPECT_EQ(form_decode(""), "");
}

TEST(FormDecodeTest, InvalidEscapesAreKeptAsWritten) {
  EXPECT_EQ(form_decode("100%"), "100%");
  EXPECT_EQ(form_decode("%2"), "%2");
  EXPECT_EQ(form_decode("%zz%41"), "%zzA");
  EXPECT_EQ(form_decode("%%41"), "%A");
}

TEST(Rfc3339Test, ParsesUtcWithMillis) {
  EXPECT_EQ(parse_rfc3339_ms("2025-03-10T09:14:22.324Z"), 1741598062324);
  EXPECT_EQ(parse_rfc3339_ms("2025-03-10t09:14:22.324z"), 1741598062324);
  EXPECT_EQ(parse_rfc3339_ms("2025-03-10 09:14:22.324Z"), 1741598062324);
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
}

TEST(Rfc3339Test, FractionIsOptionalAndTruncatedToMillis) {
  EXPECT_EQ(parse_rfc3339_ms("2018-04-05T17:31:00Z"), 1522949460000);
  EXPECT_EQ(parse_rfc3339_ms("2018-04-05T17:31:00.5Z"), 1522949460500);
  EXPECT_EQ(parse_rfc3339_ms("2018-04-05T17:31:00.123999999Z"), 1522949460123);
  EXPECT_EQ(parse_rfc3339_ms("1969-12-31T23:59:59.999Z"), -1);
}

TEST(Rfc3339Test, AppliesOffsets) {
  EXPECT_EQ(parse_rfc3339_ms("2025-03-10T10:14:22.324+01:00"), 1741598062324);
  EXPECT_EQ(parse_rfc3339_ms("2025-03-10T09:14:22.324-05:30"), 1741617862324);
  EXPECT_EQ(parse_rfc3339_ms("2025-03-10T09:14:22.324+00:00"), 1741598062324);
}

TEST(Rfc3339Test, RejectsWhatIsNotRfc3339) {
  for (const char* s :
       {"", "2025-03-10", "2025-03-10T09:14:22", "2025-03-10T09:14:22.Z", "2025-3-10T09:14:22Z",
        "2025-13-10T09:14:22Z", "2025-02-29T00:00:00Z", "2025-03-10T24:00:00Z",
        "2025-03-10T09:60:00Z", "2025-03-10T09:14:22+0100", "2025-03-10T09:14:22+24:00",
        "2025-03-10T09:14:22Zjunk", "2025-03-10X09:14:22Z", "1741598062324"}) {
    EXPECT_FALSE(parse_rfc3339_ms(s)) << s;
  }
  EXPECT_TRUE(parse_rfc3339_ms("2024-02-29T00:00:00Z"));  // leap year
}

TEST(DetectFormatTest, RecognisesEachFormat) {
  RequestMeta meta = test::make_meta();
  auto format_of = [&](std::string_view text) { return detect_format(*json_of(text), meta); };
  EXPECT_EQ(format_of(read_data_file("minio/01-put-small.json")), Format::minio);
  EXPECT_EQ(format_of(read_data_file("opteryx/07-workspace-lock.json")), Format::opteryx);
  EXPECT_EQ(format_of(R"({"specversion":"1.0","id":"1","source":"s","type":"t"})"),
            Format::cloudevents);
  EXPECT_EQ(format_of(R"({"event":{},"data":"x"})"), Format::generic);
  EXPECT_EQ(format_of(R"({"Records":{}})"), Format::generic);
  EXPECT_EQ(format_of("[1]"), Format::generic);
}

TEST(DetectFormatTest, CeSpecversionHeaderMeansBinaryCloudEvents) {
  RequestMeta meta = test::make_meta();
  meta.ce_headers = {{"specversion", "1.0"}};
  EXPECT_EQ(detect_format(*json_of(read_data_file("minio/01-put-small.json")), meta),
            Format::cloudevents);
}

TEST(DetectFormatTest, CloudEventsMediaTypesMeanCloudEvents) {
  RequestMeta meta = test::make_meta();
  meta.content_type = "application/cloudevents-batch+json";
  EXPECT_EQ(detect_format(*json_of("[]"), meta), Format::cloudevents);
  meta.content_type = "Application/CloudEvents+JSON; charset=utf-8";
  EXPECT_EQ(detect_format(*json_of(R"({"id":"1"})"), meta), Format::cloudevents);
}

TEST(ParseEventsTest, LongSenderKeyOfSeveralRecordsStaysWithinTheIdBound) {
  const std::string body = read_data_file("minio/01-put-small.json");
  json::value doc = *json_of(body);
  auto& records = doc.as_object()["Records"].as_array();
  records.push_back(records[0]);
  const std::string two = json::serialize(doc);
  RequestMeta meta = test::make_meta();
  meta.idempotency_key = std::string(kMaxIdBytes, 'k');
  ParseOutcome out = parse(test::make_source("minio", Format::minio), two, meta);
  ASSERT_TRUE(out.ok()) << out.message;
  ASSERT_EQ(out.events.size(), 2u);
  for (const Event& ev : out.events) EXPECT_LE(ev.idempotency_key.size(), kMaxIdBytes);
  EXPECT_NE(out.events[0].idempotency_key, out.events[1].idempotency_key);
  meta.idempotency_key = "short";
  out = parse(test::make_source("minio", Format::minio), two, meta);
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.events[1].idempotency_key, "short#1");
}

TEST(ParseEventsTest, UsesTheSourceFormatNotTheBodyShape) {
  const std::string minio_body = read_data_file("minio/01-put-small.json");
  ParseOutcome out = parse(test::make_source("catalog", Format::opteryx), minio_body);
  EXPECT_EQ(out.error, ingest_errc::unknown_format);
  EXPECT_TRUE(out.events.empty());
  out = parse(test::make_source("app", Format::generic), minio_body);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.events.at(0).type, "generic");
}

TEST(ParseEventsTest, EmptyIdempotencyKeyHeaderCountsAsAbsent) {
  RequestMeta meta = test::make_meta();
  meta.idempotency_key = "";
  const std::string raw = R"({"x":1})";
  EXPECT_EQ(test::parse_one(test::make_source("app", Format::generic), raw, meta).idempotency_key,
            sha256_hex(raw));
}

}  // namespace
}  // namespace hookd
