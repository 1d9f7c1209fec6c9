#include "tests/unit/parser_test_support.hpp"

#include <filesystem>
#include <set>

namespace hookd {
namespace {
using test::kReceivedMs;
using test::parse;
using test::parse_one;
using test::read_data_file;

const SourceConfig kCatalog = test::make_source("catalog", Format::opteryx);

struct Sample {
  const char* file;
  const char* type;
  const char* workspace;
  const char* collection;  // nullptr: absent (null in the body)
  const char* resource_type;
  std::int64_t time_ms;
  const char* key;  // sha256sum of the file
};

const Sample kSamples[] = {
    {"01-dataset-create.json", "dataset.create", "acme", "sales", "dataset", 1795166047412,
     "1e6ba6bd6d84e98dd786bd5993f5c0a32a84ddb7d22532f1cdfcdd9a1ef3e00b"},
    {"02-view-create.json", "view.create", "acme", "sales", "view", 1795166515038,
     "41e491a6ac0fde93e96f7284daa736660b94c2b07bb01072d539e9f9b9f3a2e9"},
    {"03-view-update.json", "view.update", "acme", "sales", "view", 1795183351907,
     "304e67d282464eaa9193ba6656715dc1bbabec2112358c7829676a7495b02e98"},
    {"04-dataset-delete.json", "dataset.delete", "acme", "sales", "dataset", 1795189212250,
     "e35a63b60ed6b77ce4a31d7e4ddc592354f65ddf5624ff5a959125cebf3ec8eb"},
    {"05-dataset-rename.json", "dataset.rename", "acme", "finance", "dataset", 1795248224716,
     "0600c5b84dba747129f2db5834715fb852c7270f6364f85e6b0f4de57ecbcaac"},
    {"06-view-delete.json", "view.delete", "acme", "sales", "view", 1795248302001,
     "16092610b624c04277ce237b7f8fd3ac595ddb699f4828244468bc9f6c989fd6"},
    {"07-workspace-lock.json", "workspace.lock", "acme", nullptr, "workspace", 1795260600123,
     "ab119f719555b3f6b6b633de1e0737530d8506ed0432af1716fdef0466c8482f"},
    {"08-workspace-delete.json", "workspace.delete", "acme-sandbox", nullptr, "workspace",
     1795283119664, "2d8428e47c2ee86b7a404e943e22501f233a0bc0ec9d96cb4dc6276466cc0db8"},
};

std::string sample(std::string_view file) { return read_data_file("opteryx/" + std::string(file)); }

// A compact body in the catalog's json.dumps layout.
std::string body(std::string_view event_fields, std::string_view data = "{}") {
  return R"({"event": {)" + std::string(event_fields) + R"(}, "data": )" + std::string(data) + "}";
}

constexpr std::string_view kViewUpdate =
    R"("action": "update", "workspace": "acme", "collection": "sales", )"
    R"("resource_type": "view", "resource_name": "v", "timestamp": 1795183351907)";

TEST(OpteryxParserTest, EverySampleParsesWithTypeAttrsTimeAndKey) {
  for (const Sample& s : kSamples) {
    SCOPED_TRACE(s.file);
    const std::string raw = sample(s.file);
    Event ev = parse_one(kCatalog, raw);
    EXPECT_EQ(ev.type, s.type);
    EXPECT_EQ(ev.attrs.workspace, std::optional<std::string>(s.workspace));
    if (s.collection) {
      EXPECT_EQ(ev.attrs.collection, std::optional<std::string>(s.collection));
    } else {
      EXPECT_FALSE(ev.attrs.collection);
    }
    EXPECT_EQ(ev.attrs.resource_type, std::optional<std::string>(s.resource_type));
    EXPECT_FALSE(ev.attrs.bucket);
    EXPECT_FALSE(ev.attrs.object_key);
    EXPECT_EQ(ev.time_ms, s.time_ms);
    EXPECT_EQ(ev.received_ms, kReceivedMs);
    EXPECT_EQ(ev.idempotency_key, s.key);
    EXPECT_EQ(ev.body, raw);
    EXPECT_EQ(ev.content_type, "application/json");
    EXPECT_EQ(ev.source, "catalog");
    EXPECT_EQ(ev.format, Format::opteryx);
    EXPECT_TRUE(ev.id.empty());
  }
}

TEST(OpteryxParserTest, EverySampleFileIsCovered) {
  std::set<std::string> covered;
  for (const Sample& s : kSamples) covered.insert(s.file);
  for (const auto& entry : std::filesystem::directory_iterator(test::data_path("opteryx"))) {
    if (entry.path().extension() != ".json") continue;
    EXPECT_TRUE(covered.count(entry.path().filename().string())) << entry.path();
  }
}

TEST(OpteryxParserTest, CloudTasksNameIsTheKey) {
  RequestMeta meta = test::make_meta();
  meta.cloud_tasks_name = "projects/p/locations/l/queues/q/tasks/0123456789";
  EXPECT_EQ(parse_one(kCatalog, sample("02-view-create.json"), meta).idempotency_key,
            "projects/p/locations/l/queues/q/tasks/0123456789");
}

TEST(OpteryxParserTest, IdempotencyKeyHeaderWinsOverCloudTasksName) {
  RequestMeta meta = test::make_meta();
  meta.cloud_tasks_name = "tasks/1";
  meta.idempotency_key = "own-key";
  EXPECT_EQ(parse_one(kCatalog, sample("02-view-create.json"), meta).idempotency_key, "own-key");
}

TEST(OpteryxParserTest, EmptyCloudTasksNameFallsBackToBodyHash) {
  RequestMeta meta = test::make_meta();
  meta.cloud_tasks_name = "";
  const std::string raw = sample("02-view-create.json");
  EXPECT_EQ(parse_one(kCatalog, raw, meta).idempotency_key, sha256_hex(raw));
}

TEST(OpteryxParserTest, RetriedBodyHasSameKey) {
  const std::string raw = sample("03-view-update.json");
  EXPECT_EQ(parse_one(kCatalog, raw).idempotency_key, parse_one(kCatalog, raw).idempotency_key);
}

TEST(OpteryxParserTest, DifferentSqlInSameMillisecondHasDifferentKey) {
  Event first = parse_one(kCatalog, body(kViewUpdate, R"({"definition": "SELECT 1"})"));
  Event second = parse_one(kCatalog, body(kViewUpdate, R"({"definition": "SELECT 2"})"));
  EXPECT_EQ(first.time_ms, second.time_ms);
  EXPECT_EQ(first.type, second.type);
  EXPECT_NE(first.idempotency_key, second.idempotency_key);
}

TEST(OpteryxParserTest, NullOrAbsentCollectionLeavesAttributeAbsent) {
  Event null_collection = parse_one(
      kCatalog, body(R"("action": "unlock", "workspace": "w", "collection": null, )"
                     R"("resource_type": "workspace", "resource_name": "w", "timestamp": 1)",
                     R"({"unlocked_by": "x"})"));
  EXPECT_EQ(null_collection.type, "workspace.unlock");
  EXPECT_FALSE(null_collection.attrs.collection);
  Event no_collection = parse_one(
      kCatalog, body(R"("action": "lock", "workspace": "w", "resource_type": "workspace")"));
  EXPECT_FALSE(no_collection.attrs.collection);
}

TEST(OpteryxParserTest, UnicodeEscapesAreDecodedInAttributes) {
  const std::string raw =
      body(R"("action": "create", "workspace": "M\u00fcnchen", "collection": "caf\u00e9", )"
           R"("resource_type": "dataset", "resource_name": "\u00f6l", "timestamp": 5)",
           R"({"by": "J\u00f6rg \ud83d\ude00"})");
  Event ev = parse_one(kCatalog, raw);
  EXPECT_EQ(ev.attrs.workspace, "M\xC3\xBCnchen");
  EXPECT_EQ(ev.attrs.collection, "caf\xC3\xA9");
  EXPECT_EQ(ev.body, raw);  // delivered with the escapes as sent
  EXPECT_EQ(ev.time_ms, 5);
}

TEST(OpteryxParserTest, UnknownActionsResourceTypesAndDataKeysAccepted) {
  Event ev = parse_one(kCatalog, body(R"("action": "retrain", "workspace": "acme", )"
                                      R"("collection": "ml", "resource_type": "model")",
                                      R"({"anything": [1, {"nested": true}]})"));
  EXPECT_EQ(ev.type, "model.retrain");
}

TEST(OpteryxParserTest, AbsentOrNonIntegerTimestampUsesReceiveTime) {
  EXPECT_EQ(
      parse_one(kCatalog, body(R"("action": "a", "workspace": "w", "resource_type": "r")")).time_ms,
      kReceivedMs);
  EXPECT_EQ(parse_one(kCatalog, body(R"("action": "a", "workspace": "w", "resource_type": "r", )"
                                     R"("timestamp": "soon")"))
                .time_ms,
            kReceivedMs);
}

TEST(OpteryxParserTest, NaNAndInfinityAreMalformedJson) {
  for (const char* number : {"NaN", "Infinity", "-Infinity", "1e999"}) {
    ParseOutcome out =
        parse(kCatalog, body(kViewUpdate, std::string(R"({"ratio": )") + number + "}"));
    EXPECT_EQ(out.error, ingest_errc::malformed_json) << number;
    EXPECT_TRUE(out.events.empty());
  }
}

TEST(OpteryxParserTest, MissingActionIsMissingField) {
  ParseOutcome out = parse(kCatalog, body(R"("workspace": "w", "resource_type": "view")"));
  EXPECT_EQ(out.error, ingest_errc::missing_field);
  EXPECT_EQ(out.message, "event.action: non-empty string required");
}

TEST(OpteryxParserTest, OtherRequiredFieldsAreNamed) {
  auto message = [](const std::string& raw) {
    ParseOutcome out = parse(kCatalog, raw);
    EXPECT_EQ(out.error, ingest_errc::missing_field) << raw;
    return out.message;
  };
  EXPECT_EQ(message(body(R"("action": "create", "workspace": "w")")),
            "event.resource_type: non-empty string required");
  EXPECT_EQ(message(body(R"("action": "create", "resource_type": "view")")),
            "event.workspace: string required");
  EXPECT_EQ(message(body(R"("action": "create", "workspace": "w", "resource_type": "view", )"
                         R"("collection": 3)")),
            "event.collection: string or null required");
  EXPECT_EQ(message(body(kViewUpdate, "[]")), "data: object required");
  EXPECT_EQ(message(R"({"event": {"action": "create"}})"), "data: object required");
}

TEST(OpteryxParserTest, BodyWithoutEventObjectIsUnknownFormat) {
  for (const char* raw : {R"({"data": {}})", R"({"event": "x", "data": {}})", "[]"}) {
    ParseOutcome out = parse(kCatalog, raw);
    EXPECT_EQ(out.error, ingest_errc::unknown_format) << raw;
    EXPECT_EQ(out.message, "body is not an Opteryx event: event object missing");
  }
}

}  // namespace
}  // namespace hookd
