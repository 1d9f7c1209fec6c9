// Generic JSON sources: any JSON body is one event. Its type comes from the
// X-Event-Type header, else from the source's type_pointer, else "generic";
// its key from the source's id_pointer, else the hash of the body (and of
// the X-Event-Type header's type, when it gives one).

#include "core/formats/parsers_detail.hpp"

namespace hookd::detail {
namespace json = boost::json;

namespace {

// The value at JSON pointer `pointer`, or null when it does not resolve
// (including a malformed pointer).
const json::value* at_pointer(const json::value& body, std::string_view pointer) {
  error_code ec;
  const json::value* v = body.find_pointer(pointer, ec);
  return ec ? nullptr : v;
}

}  // namespace

ParseOutcome parse_generic(const SourceConfig& source, const json::value& body,
                           std::string_view raw, const RequestMeta& meta) {
  Event ev = base_event(source, meta);
  if (has_value(meta.event_type)) {
    if (auto bad = invalid_field("X-Event-Type", *meta.event_type, kMaxEventTypeBytes))
      return std::move(*bad);
    ev.type = *meta.event_type;
  } else if (!source.type_pointer.empty()) {
    const json::value* v = at_pointer(body, source.type_pointer);
    if (!v || !v->is_string() || v->get_string().empty()) {
      return failure(ingest_errc::missing_field,
                     source.type_pointer + ": non-empty string required (type_pointer)");
    }
    if (auto bad = invalid_field(source.type_pointer + " (type_pointer)", v->get_string(),
                                 kMaxEventTypeBytes))
      return std::move(*bad);
    ev.type = v->get_string();
  } else {
    ev.type = "generic";
  }

  // With the sender's own key the id pointer is not needed, nor enforced.
  if (has_value(meta.idempotency_key)) {
    ev.idempotency_key = *meta.idempotency_key;
  } else if (!source.id_pointer.empty()) {
    const json::value* v = at_pointer(body, source.id_pointer);
    if (v && v->is_string() && !v->get_string().empty()) {
      if (auto bad = invalid_identifier(source.id_pointer + " (id_pointer)", v->get_string()))
        return std::move(*bad);
      ev.idempotency_key = v->get_string();
    } else if (v && v->is_int64()) {
      ev.idempotency_key = std::to_string(v->get_int64());
    } else if (v && v->is_uint64()) {
      ev.idempotency_key = std::to_string(v->get_uint64());
    } else {
      return failure(ingest_errc::missing_field,
                     source.id_pointer + ": non-empty string or integer required (id_pointer)");
    }
  } else if (has_value(meta.event_type)) {
    // The same body sent as two types is two events.
    std::string keyed;
    append_netstring(keyed, ev.type);
    keyed.append(raw);
    ev.idempotency_key = sha256_hex(keyed);
  } else {
    ev.idempotency_key = sha256_hex(raw);
  }
  ev.body = std::string(raw);
  ParseOutcome out;
  out.events.push_back(std::move(ev));
  return out;
}

}  // namespace hookd::detail
