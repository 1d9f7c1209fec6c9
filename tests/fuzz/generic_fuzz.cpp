// Generic JSON sources. The input is four lines, then the body:
//   type_pointer, id_pointer, X-Event-Type, Idempotency-Key
// (an empty line leaves that setting or header out).

#include "core/formats/parsers_detail.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace hookd;

namespace {

std::optional<std::string> header(std::string_view line) {
  if (line.empty()) return std::nullopt;
  return std::string(line);
}

const boost::json::value* at_pointer(const boost::json::value& v, std::string_view pointer) {
  boost::system::error_code ec;
  const boost::json::value* found = v.find_pointer(pointer, ec);
  return ec ? nullptr : found;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::InputReader in(data, size);
  SourceConfig source = fuzz::make_source(Format::generic);
  source.type_pointer = in.line();
  source.id_pointer = in.line();
  RequestMeta meta = fuzz::make_meta();
  meta.event_type = header(in.line());
  meta.idempotency_key = header(in.line());
  const std::string_view raw = in.rest();

  auto parsed = fuzz::parse_body(source, raw, meta);
  if (!parsed) return 0;
  const boost::json::value* body = &parsed->body;
  const ParseOutcome& out = parsed->out;
  if (!out.ok()) {
    FUZZ_CHECK(out.error == ingest_errc::missing_field || out.error == ingest_errc::invalid_field);
    return 0;
  }
  FUZZ_CHECK(out.events.size() == 1);
  const Event& ev = out.events.front();
  if (meta.event_type) {
    FUZZ_CHECK(ev.type == *meta.event_type);
  } else if (!source.type_pointer.empty()) {
    const auto* v = at_pointer(*body, source.type_pointer);
    FUZZ_CHECK(v && v->is_string() && ev.type == v->get_string());
  } else {
    FUZZ_CHECK(ev.type == "generic");
  }
  if (!meta.idempotency_key) {
    if (source.id_pointer.empty() && meta.event_type && !meta.event_type->empty()) {
      std::string keyed;
      detail::append_netstring(keyed, *meta.event_type);
      FUZZ_CHECK(ev.idempotency_key == sha256_hex(keyed.append(raw)));
    } else if (source.id_pointer.empty()) {
      FUZZ_CHECK(ev.idempotency_key == sha256_hex(raw));
    } else {
      const auto* v = at_pointer(*body, source.id_pointer);
      FUZZ_CHECK(v != nullptr);
      if (v->is_string()) FUZZ_CHECK(ev.idempotency_key == v->get_string());
      else FUZZ_CHECK(ev.idempotency_key == boost::json::serialize(*v));  // integers only
    }
  }
  FUZZ_CHECK(ev.time_ms == fuzz::kReceivedMs);
  return 0;
}
