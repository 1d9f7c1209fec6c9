// MinIO bucket notifications (SPEC section 3): {"EventName","Key","Records"}.
// Every record is one event; a request with several records is split into
// one MinIO-shaped body per record, as MinIO's webhook target itself sends.

#include "core/formats/parsers_detail.hpp"

#include <boost/json/serialize.hpp>

namespace hookd::detail {
namespace json = boost::json;

namespace {

// The fields that together tell one MinIO event from another. The sequencer
// alone would not do: it is the object version's modification time, shared
// by the PUT and every later GET, HEAD, tagging or restore event of it.
std::string minio_key(std::string_view event_name, std::string_view bucket,
                      std::string_view object_key, const json::object& object,
                      const json::object& record) {
  std::string request_id;
  if (const json::object* resp = object_member(record, "responseElements")) {
    request_id = string_or_empty(*resp, "x-amz-request-id");
  }
  std::string canonical = "minio.v1\n";
  append_netstring(canonical, event_name);
  append_netstring(canonical, bucket);
  append_netstring(canonical, object_key);
  append_netstring(canonical, string_or_empty(object, "versionId"));
  append_netstring(canonical, string_or_empty(object, "sequencer"));
  append_netstring(canonical, string_or_empty(record, "eventTime"));
  append_netstring(canonical, request_id);
  return sha256_hex(canonical);
}

// One record as a single-record MinIO body; `Key` is the bucket and the
// decoded object key, as MinIO writes it.
std::string single_record_body(std::string_view event_name, std::string_view bucket,
                               std::string_view object_key, const json::value& record) {
  json::object body;
  body["EventName"] = event_name;
  std::string key(bucket);
  key += '/';
  key += object_key;
  // A decoded key may hold bytes that are not UTF-8 (%FF); the body must stay JSON.
  body["Key"] = to_valid_utf8(key);
  json::array records;
  records.push_back(record);
  body["Records"] = std::move(records);
  return json::serialize(body);
}

// The record at `index` of a request of `count` records as a one-event
// outcome, or the reason it cannot be an event.
ParseOutcome parse_record(const SourceConfig& source, const json::value& value, std::size_t index,
                          std::size_t count, std::string_view raw, const RequestMeta& meta) {
  const std::string path = "Records[" + std::to_string(index) + "]";
  const json::object* record = value.if_object();
  if (!record) return failure(ingest_errc::missing_field, path + ": object required");

  const json::string* event_name = string_member(*record, "eventName");
  if (!event_name || event_name->empty()) {
    return failure(ingest_errc::missing_field, path + ".eventName: non-empty string required");
  }
  if (auto bad = invalid_field(path + ".eventName", *event_name, kMaxEventTypeBytes))
    return std::move(*bad);
  const json::object* s3 = object_member(*record, "s3");
  if (!s3) return failure(ingest_errc::missing_field, path + ".s3: object required");
  const json::object* bucket = object_member(*s3, "bucket");
  if (!bucket) return failure(ingest_errc::missing_field, path + ".s3.bucket: object required");
  const json::string* bucket_name = string_member(*bucket, "name");
  if (!bucket_name || bucket_name->empty()) {
    return failure(ingest_errc::missing_field, path + ".s3.bucket.name: non-empty string required");
  }
  if (auto bad = invalid_field(path + ".s3.bucket.name", *bucket_name, kMaxAttributeBytes))
    return std::move(*bad);
  const json::object* object = object_member(*s3, "object");
  if (!object) return failure(ingest_errc::missing_field, path + ".s3.object: object required");
  const json::string* raw_key = string_member(*object, "key");
  if (!raw_key || raw_key->empty()) {
    return failure(ingest_errc::missing_field, path + ".s3.object.key: non-empty string required");
  }

  Event ev = base_event(source, meta);
  ev.type = *event_name;
  std::string object_key = form_decode(*raw_key);
  // An unreadable time is no reason to refuse the event: MinIO would retry
  // the same bytes forever.
  if (const json::string* t = string_member(*record, "eventTime")) {
    ev.time_ms = parse_rfc3339_ms(*t).value_or(meta.received_ms);
  }
  ev.idempotency_key = minio_key(*event_name, *bucket_name, object_key, *object, *record);
  ev.body = count == 1 ? std::string(raw)
                       : single_record_body(*event_name, *bucket_name, object_key, value);
  ev.attrs.bucket = std::string(*bucket_name);
  ev.attrs.object_key = std::move(object_key);

  ParseOutcome out;
  out.events.push_back(std::move(ev));
  return out;
}

}  // namespace

ParseOutcome parse_minio(const SourceConfig& source, const json::value& body, std::string_view raw,
                         const RequestMeta& meta) {
  const json::object* root = body.if_object();
  const json::array* records = root ? array_member(*root, "Records") : nullptr;
  if (!records) {
    return failure(ingest_errc::unknown_format,
                   "body is not a MinIO notification: Records array missing");
  }
  if (records->empty()) {
    return failure(ingest_errc::missing_field, "Records: at least one record required");
  }
  ParseOutcome out;
  out.events.reserve(records->size());
  for (std::size_t i = 0; i < records->size(); ++i) {
    ParseOutcome one = parse_record(source, (*records)[i], i, records->size(), raw, meta);
    if (!one.ok()) return one;
    out.events.push_back(std::move(one.events.front()));
  }
  return out;
}

}  // namespace hookd::detail
