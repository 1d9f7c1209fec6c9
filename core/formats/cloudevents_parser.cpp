// CloudEvents 1.0 over HTTP (the HTTP protocol binding). The content mode is
// chosen as the binding says: Content-Type application/cloudevents+json is
// structured mode (the body is the event), application/cloudevents-batch+json
// is batched mode (the body is an array of events), and otherwise ce-*
// headers mean binary mode (the attributes in ce-* headers, the body is the
// data). A CloudEvents source also reads a plain JSON body holding
// "specversion" as structured mode.
//
// A binary-mode event is stored as its structured-mode equivalent, so that
// a delivery carries its id, source, time, subject and extensions and not
// the bare data alone. Its data may be of any media type.

#include "core/formats/parsers_detail.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/pct_string_view.hpp>

#include <algorithm>

namespace hookd::detail {
namespace json = boost::json;

constexpr std::string_view kStructuredType = "application/cloudevents+json";
constexpr std::string_view kBatchType = "application/cloudevents-batch+json";

namespace {

constexpr std::string_view kRequired[] = {"specversion", "id", "source", "type"};

// The one CloudEvents version hookd reads.
constexpr std::string_view kSpecVersion = "1.0";

// Attribute names are lower-case ASCII letters and digits (CloudEvents 1.0,
// section "Attribute Naming Convention").
bool is_attribute_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
}

// `prefix` names where the attributes came from: "" for structured mode's
// members, "ce-" for binary mode's headers, "[i]." for a batch's members.
ParseOutcome one_event(Event ev, std::string_view prefix, std::string_view specversion,
                       std::string_view source, std::string_view id, std::string_view type,
                       const std::string* time) {
  const std::string p(prefix);
  if (specversion != kSpecVersion) {
    return failure(ingest_errc::invalid_field,
                   p + "specversion: must be \"1.0\" (hookd reads CloudEvents 1.0)");
  }
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

// A header value as the binding writes it: percent-encoded where it is not
// printable ASCII. A value that is not valid percent-encoding (a sender that
// does not encode, and writes "100%") is taken as written.
std::string decoded_header(std::string_view value) {
  if (value.find('%') == std::string_view::npos) return std::string(value);
  auto pct = boost::urls::make_pct_string_view(value);
  if (!pct) return std::string(value);
  return pct->decode();
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
  json::object env;
  for (const auto& [name, raw_value] : meta.ce_headers) {
    const std::string where = "ce-" + name;
    if (!is_attribute_name(name)) {
      return failure(ingest_errc::invalid_field,
                     where + ": not a CloudEvents attribute name (lower-case a-z and 0-9)");
    }
    if (name == "data" || name == "datacontenttype") {
      return failure(ingest_errc::invalid_field,
                     where + ": in binary mode the body is the data and Content-Type its type");
    }
    if (env.contains(name)) return failure(ingest_errc::invalid_field, where + ": given twice");
    std::string value = decoded_header(raw_value);
    if (auto bad = invalid_field(where, value, kMaxAttributeBytes)) return std::move(*bad);
    env[name] = std::move(value);
  }
  std::optional<std::string> time;
  if (const json::string* t = string_member(env, "time")) time = std::string(*t);
  const std::string specversion(*string_member(env, "specversion"));
  const std::string source(*string_member(env, "source"));
  const std::string id(*string_member(env, "id"));
  const std::string type(*string_member(env, "type"));

  // An empty body is an event without data. JSON data is spliced in as it
  // came; other data is a string when it is UTF-8 text, else base64 (the
  // JSON event format's data_base64).
  bool splice = false;
  if (!raw.empty()) {
    std::string_view ct = meta.content_type ? std::string_view(*meta.content_type) : "";
    if (auto bad = invalid_field("Content-Type", ct, kMaxAttributeBytes)) return std::move(*bad);
    env["datacontenttype"] = ct.empty() ? std::string("application/json") : std::string(ct);
    if (ct.empty() || is_json_media_type(ct)) {
      splice = true;
    } else if (is_valid_utf8(raw)) {
      env["data"] = raw;
    } else {
      env["data_base64"] = base64_encode(raw);
    }
  }
  Event ev = base_event(config, meta);
  ev.body = json::serialize(env);
  // The data is one strict JSON value (the request passed the JSON checks);
  // splicing its bytes in keeps them exact.
  if (splice) {
    ev.body.pop_back();  // the closing '}'
    ev.body.append(",\"data\":").append(raw).append("}");
  }
  ev.content_type = std::string(kStructuredType);
  return one_event(std::move(ev), "ce-", specversion, source, id, type, time ? &*time : nullptr);
}

ParseOutcome parse_structured(const SourceConfig& config, const json::object& body,
                              std::string body_bytes, std::string content_type,
                              std::string_view prefix, const RequestMeta& meta) {
  for (std::string_view name : kRequired) {
    const json::string* v = string_member(body, name);
    if (!v || v->empty()) {
      return failure(ingest_errc::missing_field,
                     std::string(prefix) + std::string(name) + ": non-empty string required");
    }
  }
  std::optional<std::string> time;
  if (const json::string* t = string_member(body, "time")) time = std::string(*t);

  Event ev = base_event(config, meta);
  ev.body = std::move(body_bytes);
  ev.content_type = std::move(content_type);
  return one_event(std::move(ev), prefix, *string_member(body, "specversion"),
                   *string_member(body, "source"), *string_member(body, "id"),
                   *string_member(body, "type"), time ? &*time : nullptr);
}

ParseOutcome parse_batch(const SourceConfig& config, const json::value& body,
                         const RequestMeta& meta) {
  const json::array* events = body.if_array();
  if (!events) {
    return failure(ingest_errc::unknown_format,
                   "a CloudEvents batch (application/cloudevents-batch+json) is a JSON array");
  }
  ParseOutcome out;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const std::string prefix = "[" + std::to_string(i) + "].";
    const json::object* obj = (*events)[i].if_object();
    if (!obj) {
      return failure(ingest_errc::unknown_format,
                     "[" + std::to_string(i) + "]: a CloudEvent is a JSON object");
    }
    ParseOutcome one = parse_structured(config, *obj, json::serialize(*obj),
                                        std::string(kStructuredType), prefix, meta);
    if (!one.ok()) return one;
    out.events.push_back(std::move(one.events[0]));
  }
  return out;
}

}  // namespace

ParseOutcome parse_cloudevents(const SourceConfig& source, const json::value& body,
                               std::string_view raw, const RequestMeta& meta) {
  const CloudEventsMode mode = cloudevents_mode(meta);
  if (mode == CloudEventsMode::binary) return parse_binary(source, raw, meta);
  if (mode == CloudEventsMode::batch) return parse_batch(source, body, meta);
  const json::object* obj = body.if_object();
  if (!obj || (mode == CloudEventsMode::none && !obj->contains("specversion"))) {
    return failure(ingest_errc::unknown_format,
                   mode == CloudEventsMode::structured
                       ? "a structured-mode CloudEvent is a JSON object"
                       : "body is not a CloudEvent: no specversion member (structured mode) "
                         "and no ce-specversion header (binary mode)");
  }
  return parse_structured(source, *obj, std::string(raw),
                          mode == CloudEventsMode::structured ? std::string(kStructuredType)
                                                              : std::string("application/json"),
                          "", meta);
}

}  // namespace hookd::detail

namespace hookd {

CloudEventsMode cloudevents_mode(const RequestMeta& meta) {
  const std::string_view type = meta.content_type ? media_type(*meta.content_type) : "";
  if (iequals_ascii(type, detail::kStructuredType)) return CloudEventsMode::structured;
  if (iequals_ascii(type, detail::kBatchType)) return CloudEventsMode::batch;
  if (detail::ce_header(meta, "specversion")) return CloudEventsMode::binary;
  return CloudEventsMode::none;
}

}  // namespace hookd
