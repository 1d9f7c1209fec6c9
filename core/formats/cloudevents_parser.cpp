// CloudEvents 1.0 over HTTP: structured mode (the body is the event, with
// specversion, id, source and type) and binary mode (those attributes in
// ce-* headers, the body is the data). One event per request.

#include "core/formats/parsers_detail.hpp"

#include <cctype>

namespace hookd::detail {
namespace json = boost::json;

namespace {

constexpr std::string_view kRequired[] = {"specversion", "id", "source", "type"};

// True when the request's media type (parameters ignored, any case) is the
// structured-mode one.
bool is_structured_media_type(const std::optional<std::string>& content_type) {
  if (!content_type) return false;
  std::string_view ct = *content_type;
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
  while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t')) ct.remove_prefix(1);
  constexpr std::string_view kStructured = "application/cloudevents+json";
  if (ct.size() != kStructured.size()) return false;
  for (std::size_t i = 0; i < ct.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(ct[i])) != kStructured[i]) return false;
  }
  return true;
}

// `prefix` names where the attributes came from: "" for structured mode's
// members, "ce-" for binary mode's headers.
ParseOutcome one_event(Event ev, std::string_view prefix, std::string_view source,
                       std::string_view id, std::string_view type, const std::string* time) {
  const std::string p(prefix);
  if (auto bad = invalid_field(p + "type", type, kMaxEventTypeBytes)) return std::move(*bad);
  if (auto bad = invalid_identifier(p + "id", id)) return std::move(*bad);
  if (auto bad = invalid_identifier(p + "source", source)) return std::move(*bad);
  ev.type = type;
  // An unreadable time falls back to the receive time rather than dropping
  // the event.
  if (time) ev.time_ms = parse_rfc3339_ms(*time).value_or(ev.received_ms);
  ev.idempotency_key = std::string(source) + "\n" + std::string(id);
  ParseOutcome out;
  out.events.push_back(std::move(ev));
  return out;
}

ParseOutcome parse_binary(const SourceConfig& config, std::string_view raw,
                          const RequestMeta& meta) {
  for (std::string_view name : kRequired) {
    const std::string* v = ce_header(meta, name);
    if (!v || v->empty()) {
      return failure(ingest_errc::missing_field,
                     "ce-" + std::string(name) + ": non-empty header required");
    }
  }
  Event ev = base_event(config, meta);
  ev.body = std::string(raw);
  ev.content_type = "application/json";
  return one_event(std::move(ev), "ce-", *ce_header(meta, "source"), *ce_header(meta, "id"),
                   *ce_header(meta, "type"), ce_header(meta, "time"));
}

ParseOutcome parse_structured(const SourceConfig& config, const json::object& body,
                              std::string_view raw, const RequestMeta& meta) {
  for (std::string_view name : kRequired) {
    const json::string* v = string_member(body, name);
    if (!v || v->empty()) {
      return failure(ingest_errc::missing_field, std::string(name) + ": non-empty string required");
    }
  }
  std::optional<std::string> time;
  if (const json::string* t = string_member(body, "time")) time = std::string(*t);

  Event ev = base_event(config, meta);
  ev.body = std::string(raw);
  ev.content_type = is_structured_media_type(meta.content_type) ? "application/cloudevents+json"
                                                                : "application/json";
  return one_event(std::move(ev), "", *string_member(body, "source"), *string_member(body, "id"),
                   *string_member(body, "type"), time ? &*time : nullptr);
}

}  // namespace

ParseOutcome parse_cloudevents(const SourceConfig& source, const json::value& body,
                               std::string_view raw, const RequestMeta& meta) {
  if (ce_header(meta, "specversion")) return parse_binary(source, raw, meta);
  const json::object* obj = body.if_object();
  if (!obj || !obj->contains("specversion")) {
    return failure(ingest_errc::unknown_format,
                   "body is not a CloudEvent: no specversion member (structured mode) "
                   "and no ce-specversion header (binary mode)");
  }
  return parse_structured(source, *obj, raw, meta);
}

}  // namespace hookd::detail
