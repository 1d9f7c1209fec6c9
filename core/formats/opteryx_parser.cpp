// Opteryx catalog events (SPEC section 3):
// {"event":{action, workspace, collection, resource_type, resource_name,
// timestamp}, "data":{...}}. One event per request; type RESOURCE_TYPE.ACTION.

#include "core/formats/parsers_detail.hpp"

namespace hookd::detail {
namespace json = boost::json;

ParseOutcome parse_opteryx(const SourceConfig& source, const json::value& body,
                           std::string_view raw, const RequestMeta& meta) {
  const json::object* root = body.if_object();
  const json::object* event = root ? object_member(*root, "event") : nullptr;
  if (!event) {
    return failure(ingest_errc::unknown_format,
                   "body is not an Opteryx event: event object missing");
  }
  if (!object_member(*root, "data")) {
    return failure(ingest_errc::missing_field, "data: object required");
  }
  const json::string* action = string_member(*event, "action");
  if (!action || action->empty()) {
    return failure(ingest_errc::missing_field, "event.action: non-empty string required");
  }
  const json::string* resource_type = string_member(*event, "resource_type");
  if (!resource_type || resource_type->empty()) {
    return failure(ingest_errc::missing_field, "event.resource_type: non-empty string required");
  }
  const json::string* workspace = string_member(*event, "workspace");
  if (!workspace) return failure(ingest_errc::missing_field, "event.workspace: string required");
  const json::value* collection = event->if_contains("collection");
  if (collection && !collection->is_string() && !collection->is_null()) {
    return failure(ingest_errc::missing_field, "event.collection: string or null required");
  }

  if (auto bad = invalid_field("event.action", *action, kMaxEventTypeBytes)) return std::move(*bad);
  if (auto bad = invalid_field("event.resource_type", *resource_type, kMaxEventTypeBytes))
    return std::move(*bad);
  if (resource_type->size() + 1 + action->size() > kMaxEventTypeBytes) {
    return failure(ingest_errc::invalid_field,
                   "event.resource_type, event.action: the type RESOURCE_TYPE.ACTION is longer than " +
                       std::to_string(kMaxEventTypeBytes) + " bytes");
  }
  if (auto bad = invalid_field("event.workspace", *workspace, kMaxAttributeBytes))
    return std::move(*bad);
  if (collection && collection->is_string()) {
    if (auto bad = invalid_field("event.collection", collection->get_string(), kMaxAttributeBytes))
      return std::move(*bad);
  }

  Event ev = base_event(source, meta);
  ev.type = std::string(*resource_type) + "." + std::string(*action);
  // The catalog sends integer milliseconds; anything else falls back to the
  // receive time rather than dropping the event.
  if (const json::value* ts = event->if_contains("timestamp");
      ts && ts->is_int64() && is_representable_time_ms(ts->get_int64())) {
    ev.time_ms = ts->get_int64();
  }
  ev.attrs.workspace = std::string(*workspace);
  if (collection && collection->is_string()) {
    ev.attrs.collection = std::string(collection->get_string());
  }
  ev.attrs.resource_type = std::string(*resource_type);
  // The six event fields are not unique (millisecond timestamp, no sequence
  // number) but a Cloud Tasks retry is byte-identical, so the body hash
  // dedups exactly the retries.
  ev.idempotency_key = has_value(meta.cloud_tasks_name) ? *meta.cloud_tasks_name : sha256_hex(raw);
  ev.body = std::string(raw);

  ParseOutcome out;
  out.events.push_back(std::move(ev));
  return out;
}

}  // namespace hookd::detail
