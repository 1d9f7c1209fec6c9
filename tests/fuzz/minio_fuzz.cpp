// MinIO bucket notifications: the input is the request body. Checks, besides
// the common event contract, that each record of a multi-record body becomes
// a single-record body that parses back to the same event.

#include "tests/fuzz/fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const SourceConfig source = fuzz::make_source(Format::minio);
  RequestMeta meta = fuzz::make_meta();
  if (size % 3 == 0) meta.idempotency_key = "sender-key";  // both paths, deterministically

  auto parsed = fuzz::parse_body(source, raw, meta);
  if (!parsed) return 0;
  const boost::json::value* body = &parsed->body;
  const ParseOutcome& out = parsed->out;
  if (detect_format(*body, meta) == Format::minio) {
    FUZZ_CHECK(out.error != ingest_errc::unknown_format);
  }
  if (!out.ok()) return 0;

  const auto& records = body->as_object().at("Records").as_array();
  FUZZ_CHECK(out.events.size() == records.size());
  for (std::size_t i = 0; i < out.events.size(); ++i) {
    const Event& ev = out.events[i];
    FUZZ_CHECK(ev.type == records[i].as_object().at("eventName").as_string());
    FUZZ_CHECK(ev.attrs.bucket && !ev.attrs.bucket->empty());
    FUZZ_CHECK(ev.attrs.object_key && !ev.attrs.object_key->empty());
    FUZZ_CHECK(!ev.attrs.workspace && !ev.attrs.collection && !ev.attrs.resource_type);
    if (out.events.size() == 1) continue;
    // The split body is a MinIO body of its own and yields the same event.
    std::string why;
    auto single = parse_json(ev.body, why);
    FUZZ_CHECK(single.has_value());
    FUZZ_CHECK(detect_format(*single, fuzz::make_meta()) == Format::minio);
    ParseOutcome again = parse_events(source, *single, ev.body, fuzz::make_meta());
    FUZZ_CHECK(again.ok() && again.events.size() == 1);
    const Event& one = again.events.front();
    FUZZ_CHECK(one.type == ev.type);
    FUZZ_CHECK(one.time_ms == ev.time_ms);
    FUZZ_CHECK(one.attrs.bucket == ev.attrs.bucket);
    FUZZ_CHECK(one.attrs.object_key == ev.attrs.object_key);
    if (!meta.idempotency_key) FUZZ_CHECK(one.idempotency_key == ev.idempotency_key);
  }
  return 0;
}
