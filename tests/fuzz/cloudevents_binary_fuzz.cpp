// CloudEvents binary mode. The input is "Name: value" header lines, an empty
// line, then the body (the event's data), as in an HTTP request. Headers
// named ce-* become RequestMeta::ce_headers the way the ingest handler makes
// them (lower case, prefix dropped).

#include "tests/fuzz/fuzz_support.hpp"

#include <cctype>

using namespace hookd;

namespace {

const std::string* first_header(const RequestMeta& meta, std::string_view name) {
  for (const auto& [k, v] : meta.ce_headers)
    if (k == name) return &v;
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::InputReader in(data, size);
  RequestMeta meta = fuzz::make_meta();
  while (!in.rest().empty()) {
    std::string_view line = in.line();
    if (line.empty()) break;  // end of the headers
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name.size() <= 3) continue;
    std::string lower(name);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.substr(0, 3) != "ce-") continue;
    meta.ce_headers.emplace_back(lower.substr(3), std::string(value));
  }
  const SourceConfig source = fuzz::make_source(Format::cloudevents);

  std::string message;
  auto parsed = parse_json(in.rest(), message);
  // The ingest path answers 400 to data that is not JSON before parsing; such
  // an input still tests the headers, as an event without data.
  const std::string_view raw = parsed ? in.rest() : std::string_view();
  const boost::json::value body = parsed ? *parsed : boost::json::value();
  ParseOutcome out = parse_events(source, body, raw, meta);
  fuzz::check_outcome(source, meta, raw, out);

  const std::string* spec = first_header(meta, "specversion");
  if (!spec) return 0;  // structured mode: covered by its own target
  FUZZ_CHECK(detect_format(body, meta) == Format::cloudevents);
  bool complete = true;
  for (const char* name : {"specversion", "id", "source", "type"}) {
    const std::string* v = first_header(meta, name);
    complete = complete && v && !v->empty();
  }
  if (!complete) FUZZ_CHECK(out.error == ingest_errc::missing_field);
  if (complete && !out.ok()) FUZZ_CHECK(out.error == ingest_errc::invalid_field);
  if (!out.ok()) return 0;
  FUZZ_CHECK(out.events.size() == 1);
  const Event& ev = out.events.front();
  // Stored as the structured-mode envelope: every attribute, decoded, and
  // the data spliced in.
  FUZZ_CHECK(ev.content_type == "application/cloudevents+json");
  auto envelope = parse_json(ev.body, message);
  FUZZ_CHECK(envelope && envelope->is_object());
  const auto& env = envelope->as_object();
  auto attr = [&](const char* name) { return std::string(env.at(name).as_string()); };
  FUZZ_CHECK(attr("specversion") == "1.0");
  FUZZ_CHECK(!identifier_problem(attr("id")));
  FUZZ_CHECK(!identifier_problem(attr("source")));
  FUZZ_CHECK(ev.type == attr("type"));
  FUZZ_CHECK(ev.idempotency_key == attr("source") + "\n" + attr("id"));
  for (const auto& [name, value] : meta.ce_headers) {
    FUZZ_CHECK(env.contains(name));
    // Only percent-encoding changes a value.
    if (value.find('%') == std::string::npos) FUZZ_CHECK(attr(name.c_str()) == value);
  }
  FUZZ_CHECK(env.contains("data") == !raw.empty());
  if (!raw.empty()) FUZZ_CHECK(fuzz::same_json(env.at("data"), body));
  const std::string* time = first_header(meta, "time");
  FUZZ_CHECK(ev.time_ms ==
             (time ? fuzz::event_time(attr("time")) : fuzz::kReceivedMs));
  return 0;
}
