#include "tests/unit/parser_test_support.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <functional>
#include <set>

namespace hookd {
namespace {
namespace json = boost::json;
using test::kReceivedMs;
using test::parse;
using test::parse_one;
using test::read_data_file;

const SourceConfig kMinio = test::make_source("minio", Format::minio);

struct Sample {
  const char* file;
  const char* type;
  const char* bucket;
  const char* object_key;  // decoded
  std::int64_t time_ms;
  // SHA-256 of "minio.v1\n" + netstrings of the seven key fields, computed
  // independently (Python) from the sample files.
  const char* key;
};

const Sample kSamples[] = {
    {"01-put-small.json", "s3:ObjectCreated:Put", "uploads", "notes.txt", 1741598062324,
     "b631cc33a32f16fb973b0fb6f735c799122e1fcdbe396797bddd2340ab9214a4"},
    {"02-put-user-metadata.json", "s3:ObjectCreated:Put", "media", "avatars/u-8812.png",
     1741598165917, "78495f639ddc0bccefbfb51e0087c4791edac4093278f4024a029590dcd26572"},
    {"03-complete-multipart-large.json", "s3:ObjectCreated:CompleteMultipartUpload", "backups",
     "pg/base-2025-03-10.tar.gz", 1741578117201,
     "882ae10bbba7b08ce3dfc00635c9b2f020855b2c81437a52bdfd89e389c03849"},
    {"04-copy.json", "s3:ObjectCreated:Copy", "reports", "2025/q1/summary-final.pdf", 1741598415483,
     "293e4053aa3c0bb569251ef1558286b69edc7120d74e28f28c4a6a760269f17a"},
    {"05-put-tagging.json", "s3:ObjectCreated:PutTagging", "reports", "2025/q1/summary-final.pdf",
     1741598500127, "7f6a608a3b292601a21c371ea9b0d0c9fabd28d002931da3900e772ef7f955b5"},
    {"06-delete.json", "s3:ObjectRemoved:Delete", "uploads", "notes.txt", 1741604529775,
     "91822304a91ed45ee185afb8f28c5344375f203bc5dd4c1e8976673f74704d5e"},
    {"07-delete-marker-created.json", "s3:ObjectRemoved:DeleteMarkerCreated", "media",
     "avatars/u-8812.png", 1741604733215,
     "976b078718ff010c77f880db1f6255bc3db080e9d72010feca87a9c7144b5141"},
    {"08-get-ranged.json", "s3:ObjectAccessed:Get", "backups", "pg/base-2025-03-10.tar.gz",
     1741609800090, "d1937cbe6f12d43cfad379fbe442232b759c2b93eaaf003679763ad6329b6605"},
    {"09-key-spaces-unicode-slashes.json", "s3:ObjectCreated:Put", "photos",
     "2024/Sommerfest K\xC3\xB6ln/Caf\xC3\xA9 menu (v2).pdf", 1741614312649,
     "a45804458fd458f86cb0ffdade1136789fa30194a663d4c41c513950f7971a5d"},
    {"10-transition-complete.json", "s3:ObjectTransition:Complete", "logs", "app/2024-12-01.log.gz",
     1741572847881, "179b7d6d00c056ad6fc7a4df89781cd4f2a3e2b6d19cffaad63332476d423f97"},
};

std::string sample(std::string_view file) { return read_data_file("minio/" + std::string(file)); }

// Sample 01 (compact), with its only record changed by `edit`.
std::string edited(const std::function<void(json::object& record)>& edit) {
  json::value body = json::parse(sample("01-put-small.json"));
  edit(body.at("Records").at(0).as_object());
  return json::serialize(body);
}

std::string with_object_key(std::string_view key) {
  return edited([&](json::object& r) { r.at("s3").at("object").as_object()["key"] = key; });
}

TEST(MinioParserTest, EverySampleParsesWithTypeAttrsTimeAndKey) {
  for (const Sample& s : kSamples) {
    SCOPED_TRACE(s.file);
    const std::string raw = sample(s.file);
    Event ev = parse_one(kMinio, raw);
    EXPECT_EQ(ev.type, s.type);
    EXPECT_EQ(ev.attrs.bucket, std::optional<std::string>(s.bucket));
    EXPECT_EQ(ev.attrs.object_key, std::optional<std::string>(s.object_key));
    EXPECT_FALSE(ev.attrs.workspace);
    EXPECT_FALSE(ev.attrs.collection);
    EXPECT_FALSE(ev.attrs.resource_type);
    EXPECT_EQ(ev.time_ms, s.time_ms);
    EXPECT_EQ(ev.received_ms, kReceivedMs);
    EXPECT_EQ(ev.idempotency_key, s.key);
    EXPECT_EQ(ev.body, raw);
    EXPECT_EQ(ev.content_type, "application/json");
    EXPECT_EQ(ev.source, "minio");
    EXPECT_EQ(ev.format, Format::minio);
    EXPECT_TRUE(ev.id.empty());
  }
}

TEST(MinioParserTest, EverySampleFileIsCovered) {
  std::set<std::string> covered;
  for (const Sample& s : kSamples) covered.insert(s.file);
  for (const auto& entry : std::filesystem::directory_iterator(test::data_path("minio"))) {
    if (entry.path().extension() != ".json") continue;
    EXPECT_TRUE(covered.count(entry.path().filename().string())) << entry.path();
  }
}

TEST(MinioParserTest, PutAndGetWithSameSequencerAreDistinct) {
  // The samples: a multipart upload and a later ranged GET of that version.
  Event put = parse_one(kMinio, sample("03-complete-multipart-large.json"));
  Event get = parse_one(kMinio, sample("08-get-ranged.json"));
  EXPECT_NE(put.idempotency_key, get.idempotency_key);

  // Only the event name differs.
  const std::string head =
      edited([](json::object& r) { r["eventName"] = "s3:ObjectAccessed:Head"; });
  EXPECT_NE(parse_one(kMinio, head).idempotency_key,
            parse_one(kMinio, sample("01-put-small.json")).idempotency_key);
}

TEST(MinioParserTest, CopyAndTaggingOfOneVersionAreDistinct) {
  EXPECT_NE(parse_one(kMinio, sample("04-copy.json")).idempotency_key,
            parse_one(kMinio, sample("05-put-tagging.json")).idempotency_key);
}

TEST(MinioParserTest, TwoGetsInOneMillisecondDifferOnlyByRequestId) {
  auto get = [](std::string_view request_id) {
    return edited([&](json::object& r) {
      r["eventName"] = "s3:ObjectAccessed:Get";
      r.at("responseElements").as_object()["x-amz-request-id"] = request_id;
    });
  };
  EXPECT_NE(parse_one(kMinio, get("182B0000000000A1")).idempotency_key,
            parse_one(kMinio, get("182B0000000000A2")).idempotency_key);
}

TEST(MinioParserTest, ByteIdenticalResendHasSameKey) {
  const std::string raw = sample("02-put-user-metadata.json");
  EXPECT_EQ(parse_one(kMinio, raw).idempotency_key, parse_one(kMinio, raw).idempotency_key);
  // MinIO sends compact JSON; the key depends on the fields, not the layout.
  const std::string compact = json::serialize(json::parse(raw));
  EXPECT_EQ(parse_one(kMinio, compact).idempotency_key, parse_one(kMinio, raw).idempotency_key);
}

TEST(MinioParserTest, ObjectKeyIsFormDecoded) {
  EXPECT_EQ(parse_one(kMinio, with_object_key("a+b%2Fc+d.txt")).attrs.object_key, "a b/c d.txt");
  EXPECT_EQ(parse_one(kMinio, with_object_key("K%C3%B6ln.txt")).attrs.object_key,
            "K\xC3\xB6ln.txt");
  EXPECT_EQ(parse_one(kMinio, with_object_key("1%2B1%3D2")).attrs.object_key, "1+1=2");
  EXPECT_EQ(parse_one(kMinio, with_object_key("100%")).attrs.object_key, "100%");
}

TEST(MinioParserTest, KeyUsesDecodedObjectKey) {
  // The same object key escaped two ways is the same event.
  EXPECT_EQ(parse_one(kMinio, with_object_key("a%2Fb")).idempotency_key,
            parse_one(kMinio, with_object_key("a%2fb")).idempotency_key);
}

TEST(MinioParserTest, NullRequestParametersAccepted) {
  Event ev = parse_one(kMinio, edited([](json::object& r) { r["requestParameters"] = nullptr; }));
  EXPECT_EQ(ev.type, "s3:ObjectCreated:Put");
}

TEST(MinioParserTest, AbsentOptionalFieldsAccepted) {
  const std::string raw = edited([](json::object& r) {
    json::object& object = r.at("s3").at("object").as_object();
    for (const char* k :
         {"size", "eTag", "versionId", "userMetadata", "sequencer", "contentType"}) {
      object.erase(k);
    }
    r.erase("responseElements");
    r.erase("requestParameters");
    r.erase("userIdentity");
  });
  Event ev = parse_one(kMinio, raw);
  EXPECT_EQ(ev.attrs.object_key, "notes.txt");
  EXPECT_EQ(ev.idempotency_key.size(), 64u);
}

TEST(MinioParserTest, UnknownEventNamesAndExtraFieldsAccepted) {
  Event ev = parse_one(kMinio, edited([](json::object& r) {
                         r["eventName"] = "s3:Scanner:ManyVersions";
                         r["futureField"] = json::array{1, 2};
                       }));
  EXPECT_EQ(ev.type, "s3:Scanner:ManyVersions");
}

TEST(MinioParserTest, AbsentOrUnreadableEventTimeUsesReceiveTime) {
  EXPECT_EQ(parse_one(kMinio, edited([](json::object& r) { r.erase("eventTime"); })).time_ms,
            kReceivedMs);
  EXPECT_EQ(
      parse_one(kMinio, edited([](json::object& r) { r["eventTime"] = "yesterday"; })).time_ms,
      kReceivedMs);
}

TEST(MinioParserTest, MultiRecordBodyProducesOneEventPerRecord) {
  json::value body = json::parse(sample("01-put-small.json"));
  json::array& records = body.at("Records").as_array();
  json::value second =
      json::parse(sample("09-key-spaces-unicode-slashes.json")).at("Records").at(0);
  json::value third = json::parse(sample("06-delete.json")).at("Records").at(0);
  records.push_back(second);
  records.push_back(third);
  const std::string raw = json::serialize(body);

  ParseOutcome out = parse(kMinio, raw);
  ASSERT_TRUE(out.ok()) << out.message;
  ASSERT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.events[1].type, "s3:ObjectCreated:Put");
  EXPECT_EQ(out.events[1].attrs.bucket, "photos");
  EXPECT_EQ(out.events[2].type, "s3:ObjectRemoved:Delete");
  EXPECT_EQ(out.events[2].time_ms, 1741604529775);

  for (std::size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const Event& ev = out.events[i];
    // Each body is what MinIO itself would have sent for that record alone.
    json::value single = json::parse(ev.body);
    EXPECT_EQ(single.at("EventName"), json::value(ev.type));
    EXPECT_EQ(single.at("Key"), json::value(*ev.attrs.bucket + "/" + *ev.attrs.object_key));
    ASSERT_EQ(single.at("Records").as_array().size(), 1u);
    EXPECT_EQ(single.at("Records").at(0), records[i]);
    // And parses to the same event, key included.
    Event again = parse_one(kMinio, ev.body);
    EXPECT_EQ(again.idempotency_key, ev.idempotency_key);
    EXPECT_EQ(again.attrs.object_key, ev.attrs.object_key);
  }
  EXPECT_EQ(out.events[1].attrs.object_key,
            "2024/Sommerfest K\xC3\xB6ln/Caf\xC3\xA9 menu (v2).pdf");
  EXPECT_NE(out.events[0].idempotency_key, out.events[1].idempotency_key);
}

TEST(MinioParserTest, HeaderIdempotencyKeyUsedForSingleRecord) {
  RequestMeta meta = test::make_meta();
  meta.idempotency_key = "msg_2x8";
  EXPECT_EQ(parse_one(kMinio, sample("01-put-small.json"), meta).idempotency_key, "msg_2x8");
}

TEST(MinioParserTest, HeaderIdempotencyKeyGetsRecordIndexForSeveralRecords) {
  json::value body = json::parse(sample("01-put-small.json"));
  json::array& records = body.at("Records").as_array();
  records.push_back(records[0]);
  RequestMeta meta = test::make_meta();
  meta.idempotency_key = "msg_2x8";
  ParseOutcome out = parse(kMinio, json::serialize(body), meta);
  ASSERT_TRUE(out.ok()) << out.message;
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0].idempotency_key, "msg_2x8#0");
  EXPECT_EQ(out.events[1].idempotency_key, "msg_2x8#1");
}

TEST(MinioParserTest, BodyWithoutRecordsIsUnknownFormat) {
  for (const char* raw :
       {R"({"EventName":"s3:ObjectCreated:Put","Key":"a/b"})", R"({"Records":{}})", "[1,2]"}) {
    ParseOutcome out = parse(kMinio, raw);
    EXPECT_EQ(out.error, ingest_errc::unknown_format) << raw;
    EXPECT_EQ(out.message, "body is not a MinIO notification: Records array missing");
    EXPECT_TRUE(out.events.empty());
  }
}

TEST(MinioParserTest, EmptyRecordsIsMissingField) {
  ParseOutcome out = parse(kMinio, R"({"EventName":"","Key":"","Records":[]})");
  EXPECT_EQ(out.error, ingest_errc::missing_field);
  EXPECT_EQ(out.message, "Records: at least one record required");
}

TEST(MinioParserTest, MissingRequiredFieldsAreNamedByPath) {
  auto message = [](const std::function<void(json::object&)>& edit) {
    ParseOutcome out = parse(kMinio, edited(edit));
    EXPECT_EQ(out.error, ingest_errc::missing_field);
    EXPECT_TRUE(out.events.empty());
    return out.message;
  };
  EXPECT_EQ(message([](json::object& r) { r.erase("eventName"); }),
            "Records[0].eventName: non-empty string required");
  EXPECT_EQ(message([](json::object& r) { r["eventName"] = 7; }),
            "Records[0].eventName: non-empty string required");
  EXPECT_EQ(message([](json::object& r) { r.erase("s3"); }), "Records[0].s3: object required");
  EXPECT_EQ(message([](json::object& r) { r.at("s3").as_object().erase("bucket"); }),
            "Records[0].s3.bucket: object required");
  EXPECT_EQ(message([](json::object& r) { r.at("s3").at("bucket").as_object().erase("name"); }),
            "Records[0].s3.bucket.name: non-empty string required");
  EXPECT_EQ(message([](json::object& r) { r.at("s3").as_object()["object"] = nullptr; }),
            "Records[0].s3.object: object required");
  EXPECT_EQ(message([](json::object& r) { r.at("s3").at("object").as_object()["key"] = ""; }),
            "Records[0].s3.object.key: non-empty string required");
}

TEST(MinioParserTest, BadSecondRecordFailsTheWholeRequest) {
  json::value body = json::parse(sample("01-put-small.json"));
  body.at("Records").as_array().push_back("not a record");
  ParseOutcome out = parse(kMinio, json::serialize(body));
  EXPECT_EQ(out.error, ingest_errc::missing_field);
  EXPECT_EQ(out.message, "Records[1]: object required");
  EXPECT_TRUE(out.events.empty());
}

}  // namespace
}  // namespace hookd
