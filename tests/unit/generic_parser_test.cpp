#include "tests/unit/parser_test_support.hpp"

namespace hookd {
namespace {
using test::kReceivedMs;
using test::parse;
using test::parse_one;

SourceConfig generic(std::string type_pointer = "", std::string id_pointer = "") {
  SourceConfig source = test::make_source("app", Format::generic);
  source.type_pointer = std::move(type_pointer);
  source.id_pointer = std::move(id_pointer);
  return source;
}

constexpr std::string_view kBody =
    R"({"meta":{"kind":"invoice.paid","seq":4711},"uid":"inv-77","amount":12.5})";

TEST(GenericParserTest, WithoutHeaderOrPointerTypeIsGenericAndKeyIsBodyHash) {
  Event ev = parse_one(generic(), kBody);
  EXPECT_EQ(ev.type, "generic");
  EXPECT_EQ(ev.idempotency_key, sha256_hex(kBody));
  EXPECT_EQ(ev.body, kBody);
  EXPECT_EQ(ev.time_ms, kReceivedMs);
  EXPECT_EQ(ev.source, "app");
  EXPECT_EQ(ev.format, Format::generic);
  EXPECT_EQ(ev.content_type, "application/json");
}

TEST(GenericParserTest, TypePointerResolvesNestedString) {
  EXPECT_EQ(parse_one(generic("/meta/kind"), kBody).type, "invoice.paid");
}

TEST(GenericParserTest, EventTypeHeaderWinsOverPointer) {
  RequestMeta meta = test::make_meta();
  meta.event_type = "from.header";
  EXPECT_EQ(parse_one(generic("/meta/kind"), kBody, meta).type, "from.header");
}

TEST(GenericParserTest, UnresolvedTypePointerIsMissingField) {
  ParseOutcome out = parse(generic("/type"), kBody);
  EXPECT_EQ(out.error, ingest_errc::missing_field);
  EXPECT_EQ(out.message, "/type: non-empty string required (type_pointer)");
  out = parse(generic("/meta/seq"), kBody);  // a number, not a string
  EXPECT_EQ(out.error, ingest_errc::missing_field);
  out = parse(generic("meta"), kBody);  // not a JSON pointer at all
  EXPECT_EQ(out.error, ingest_errc::missing_field);
}

TEST(GenericParserTest, IdPointerStringOrIntegerIsTheKey) {
  EXPECT_EQ(parse_one(generic("", "/uid"), kBody).idempotency_key, "inv-77");
  EXPECT_EQ(parse_one(generic("", "/meta/seq"), kBody).idempotency_key, "4711");
}

TEST(GenericParserTest, UnresolvedIdPointerIsMissingField) {
  for (const char* pointer : {"/id", "/amount", "/meta"}) {
    ParseOutcome out = parse(generic("", pointer), kBody);
    EXPECT_EQ(out.error, ingest_errc::missing_field) << pointer;
    EXPECT_EQ(out.message,
              std::string(pointer) + ": non-empty string or integer required (id_pointer)");
  }
}

TEST(GenericParserTest, IdempotencyKeyHeaderMakesIdPointerUnneeded) {
  RequestMeta meta = test::make_meta();
  meta.idempotency_key = "hdr-1";
  EXPECT_EQ(parse_one(generic("", "/id"), kBody, meta).idempotency_key, "hdr-1");
}

TEST(GenericParserTest, BodyHashKeyIncludesTheHeaderType) {
  RequestMeta created = test::make_meta();
  created.event_type = "app.created";
  RequestMeta deleted = test::make_meta();
  deleted.event_type = "app.deleted";
  const std::string a = parse_one(generic(), kBody, created).idempotency_key;
  EXPECT_NE(a, parse_one(generic(), kBody, deleted).idempotency_key);
  EXPECT_EQ(a, parse_one(generic(), kBody, created).idempotency_key);
  EXPECT_EQ(parse_one(generic(), kBody).idempotency_key, sha256_hex(kBody));
}

TEST(GenericParserTest, AnyJsonValueIsAnEvent) {
  EXPECT_EQ(parse_one(generic(), "[1,2,3]").type, "generic");
  EXPECT_EQ(parse_one(generic("/0"), R"(["first", 2])").type, "first");
  EXPECT_EQ(parse_one(generic(), "\"text\"").body, "\"text\"");
}

}  // namespace
}  // namespace hookd
