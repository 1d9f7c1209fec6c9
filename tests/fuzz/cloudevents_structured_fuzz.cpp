// CloudEvents structured mode: the input is the request body, sent as
// application/cloudevents+json (odd sizes) or application/json (even sizes).

#include "tests/fuzz/fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const SourceConfig source = fuzz::make_source(Format::cloudevents);
  RequestMeta meta = fuzz::make_meta();
  const bool structured_type = size % 2 == 1;
  if (structured_type) meta.content_type = "Application/CloudEvents+JSON; charset=utf-8";

  auto parsed = fuzz::parse_body(source, raw, meta);
  if (!parsed) return 0;
  const boost::json::value* body = &parsed->body;
  const ParseOutcome& out = parsed->out;
  const bool detected = detect_format(*body, meta) == Format::cloudevents;
  if (structured_type) {
    // The media type alone says CloudEvents; only an object can be one.
    FUZZ_CHECK(detected);
    FUZZ_CHECK((out.error == ingest_errc::unknown_format) == !body->is_object());
  } else {
    FUZZ_CHECK(detected == (out.error != ingest_errc::unknown_format));
  }
  if (!out.ok()) return 0;

  FUZZ_CHECK(out.events.size() == 1);
  const Event& ev = out.events.front();
  const auto& obj = body->as_object();
  auto text = [&](const char* key) { return std::string(obj.at(key).as_string()); };
  FUZZ_CHECK(ev.type == text("type"));
  FUZZ_CHECK(ev.idempotency_key == text("source") + "\n" + text("id"));
  FUZZ_CHECK(ev.content_type ==
             (structured_type ? "application/cloudevents+json" : "application/json"));
  const auto* time = obj.if_contains("time");
  if (time && time->is_string()) {
    FUZZ_CHECK(ev.time_ms == fuzz::event_time(time->get_string()));
  } else {
    FUZZ_CHECK(ev.time_ms == fuzz::kReceivedMs);
  }
  FUZZ_CHECK(!ev.attrs.bucket && !ev.attrs.workspace);
  return 0;
}
