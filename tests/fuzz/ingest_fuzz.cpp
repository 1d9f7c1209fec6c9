// The ingest path from raw bytes: Beast's request parser reads the input as
// one HTTP request (after a first byte that picks the client address), then
// judge_ingest_head() and prepare_ingest() (daemon/ingest_request.hpp)
// decide it against a fixed config of one source of each format, without
// storage. Checks that the head check and the full path agree, and that an
// accepted request's events are as the parsers document.

#include "core/config/config.hpp"
#include "daemon/ingest/ingest_request.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/parser.hpp>

#include <memory>

using namespace hookd;
using namespace hookd::daemon;

namespace {

// Two tokenless generic sources: a generic body without path or token is
// ambiguous (401), as the README describes.
constexpr std::string_view kConfig = R"(
[server]
listen = ["127.0.0.1:0"]
max_records = 4

[[source]]
name = "minio"
format = "minio"
token = "minio-token"
allow_from = ["127.0.0.0/8", "::1/128"]

[[source]]
name = "opteryx"
format = "opteryx"
allow_from = ["10.0.0.0/8"]

[[source]]
name = "ce"
format = "cloudevents"

[[source]]
name = "app"
format = "generic"
token = "Basic xyz"
type_pointer = "/meta/kind"
id_pointer = "/uid"

[[source]]
name = "hooks"
format = "generic"

[[source]]
name = "other"
format = "generic"
)";

const Config& config() {
  static const std::shared_ptr<const Config> cfg = [] {
    ConfigLoad load = load_config_text(kConfig, "ingest_fuzz.toml");
    if (!load.config) {
      for (const auto& e : load.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
      std::abort();
    }
    return load.config;
  }();
  return *cfg;
}

boost::asio::ip::address client_of(std::uint8_t b) {
  switch (b % 4) {
    case 0: return boost::asio::ip::make_address("127.0.0.1");
    case 1: return boost::asio::ip::make_address("10.1.2.3");
    case 2: return boost::asio::ip::make_address("::1");
    default: return boost::asio::ip::make_address("192.0.2.7");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::InputReader in(data, size);
  const auto client = client_of(in.byte());
  const std::string_view bytes = in.rest();

  // As daemon/http_server.cpp reads a request: 16 KiB of header, max_body.
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(config().server.max_body);
  parser.eager(true);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec == http::error::need_more && parser.got_some()) {  // a body ended by EOF (HTTP/1.0)
    ec = {};
    parser.put_eof(ec);
  }
  if (ec || !parser.is_done()) return 0;
  const Request& req = parser.get();

  IngestHead judged = judge_ingest_head(config(), req.base(), client);
  const IngestVerdict head = judged.who;
  IngestVerdict full = prepare_ingest(config(), req, client, fuzz::kReceivedMs);
  // The handler's path: the head judged once, by the head check, and the
  // body finished from that judgement, decides exactly as judging twice.
  IngestVerdict once = prepare_ingest(config(), req, client, fuzz::kReceivedMs, std::move(judged));
  FUZZ_CHECK(once.status == full.status && once.message == full.message);
  FUZZ_CHECK(once.source == full.source && once.not_ingest == full.not_ingest);
  FUZZ_CHECK(once.events.size() == full.events.size());
  for (std::size_t i = 0; i < once.events.size() && i < full.events.size(); ++i) {
    const Event& a = once.events[i];
    const Event& b = full.events[i];
    FUZZ_CHECK(a.source == b.source && a.type == b.type && a.time_ms == b.time_ms);
    FUZZ_CHECK(a.received_ms == b.received_ms && a.idempotency_key == b.idempotency_key);
    FUZZ_CHECK(a.content_type == b.content_type && a.body == b.body);
  }
  FUZZ_CHECK(head.ok() || !head.message.empty());
  FUZZ_CHECK(full.ok() || !full.message.empty());
  FUZZ_CHECK(head.events.empty());
  // What the head refuses, the whole request is refused for, the same way.
  if (!head.ok()) {
    FUZZ_CHECK(full.status == head.status);
    FUZZ_CHECK(full.events.empty());
    return 0;
  }
  FUZZ_CHECK(full.not_ingest == head.not_ingest);
  if (head.not_ingest) {
    FUZZ_CHECK(full.ok() && full.events.empty());
    return 0;
  }
  FUZZ_CHECK(req.method() == http::verb::post);
  if (head.source && full.source) FUZZ_CHECK(full.source == head.source);
  if (!full.ok()) {
    FUZZ_CHECK(full.events.empty());
    FUZZ_CHECK(full.status != http::status::not_found);
    return 0;
  }
  const SourceConfig* source = full.source;
  FUZZ_CHECK(source != nullptr);
  const std::string_view type = media_type(req[http::field::content_type]);
  const bool batch = source->format == Format::cloudevents &&
                     iequals_ascii(type, "application/cloudevents-batch+json");
  const bool binary = source->format == Format::cloudevents && !batch &&
                      !iequals_ascii(type, "application/cloudevents+json") &&
                      req.count("ce-specversion") > 0;
  if (!batch) FUZZ_CHECK(!full.events.empty());  // an empty batch is 200 with no events
  if (source->format == Format::minio || batch) {
    FUZZ_CHECK(full.events.size() <= config().server.max_records);
  } else {
    FUZZ_CHECK(full.events.size() == 1);
  }
  for (const Event& ev : full.events) {
    FUZZ_CHECK(ev.source == source->name);
    FUZZ_CHECK(ev.format == source->format);
    FUZZ_CHECK(ev.received_ms == fuzz::kReceivedMs);
    FUZZ_CHECK(is_representable_time_ms(ev.time_ms));
    FUZZ_CHECK(!ev.type.empty() && !field_problem(ev.type, kMaxEventTypeBytes));
    FUZZ_CHECK(!ev.idempotency_key.empty());
    if (full.events.size() == 1 && !batch && !binary) {
      FUZZ_CHECK(ev.body == req.body());
    } else {
      std::string why;
      FUZZ_CHECK(parse_json(ev.body, why).has_value());  // split or enveloped, still JSON
    }
  }
  return 0;
}
