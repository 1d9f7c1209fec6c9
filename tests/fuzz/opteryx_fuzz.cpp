// Opteryx catalog events: the input is the request body. Checks the type is
// RESOURCE_TYPE.ACTION, the attributes mirror the event object, and the key
// is the Cloud Tasks name or the body hash.

#include "tests/fuzz/fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const SourceConfig source = fuzz::make_source(Format::opteryx);
  RequestMeta meta = fuzz::make_meta();
  if (size % 2 == 0) meta.cloud_tasks_name = "projects/p/locations/l/queues/q/tasks/t";

  auto parsed = fuzz::parse_body(source, raw, meta);
  if (!parsed) return 0;
  const boost::json::value* body = &parsed->body;
  const ParseOutcome& out = parsed->out;
  if (detect_format(*body, meta) == Format::opteryx) {
    FUZZ_CHECK(out.error != ingest_errc::unknown_format);
  }
  if (!out.ok()) return 0;

  FUZZ_CHECK(out.events.size() == 1);
  const Event& ev = out.events.front();
  const auto& event = body->as_object().at("event").as_object();
  const std::string rtype(event.at("resource_type").as_string());
  FUZZ_CHECK(ev.type == rtype + "." + std::string(event.at("action").as_string()));
  FUZZ_CHECK(ev.attrs.resource_type == rtype);
  FUZZ_CHECK(ev.attrs.workspace == std::string(event.at("workspace").as_string()));
  const auto* collection = event.if_contains("collection");
  FUZZ_CHECK(ev.attrs.collection.has_value() == (collection && collection->is_string()));
  FUZZ_CHECK(!ev.attrs.bucket && !ev.attrs.object_key);
  FUZZ_CHECK(ev.idempotency_key == (meta.cloud_tasks_name ? *meta.cloud_tasks_name
                                                           : sha256_hex(raw)));
  const auto* ts = event.if_contains("timestamp");
  FUZZ_CHECK(ev.time_ms == (ts && ts->is_int64() && is_representable_time_ms(ts->get_int64())
                                ? ts->get_int64()
                                : fuzz::kReceivedMs));
  return 0;
}
