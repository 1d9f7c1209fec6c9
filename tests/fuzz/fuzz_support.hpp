#pragma once
// Helpers shared by the libFuzzer targets in tests/fuzz: an invariant check
// that aborts (so libFuzzer saves the input whatever NDEBUG says), a reader
// that splits the fuzzer's bytes into fields, and the checks every parsed
// event must pass. Built both with clang (-fsanitize=fuzzer) and with g++
// against replay_main.cpp.

#include "core/formats/parsers.hpp"
#include "core/text.hpp"
#include "tests/support/parser_inputs.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

// Fails the run with the condition and its place; libFuzzer keeps the input.
#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                        \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

namespace hookd::fuzz {

using test::kReceivedMs;
using test::make_meta;

// The time a parser takes from a field, or the receive time when it is not
// a representable RFC 3339 time.
inline std::int64_t event_time(std::string_view text) {
  auto ms = parse_rfc3339_ms(text);
  return ms && is_representable_time_ms(*ms) ? *ms : kReceivedMs;
}

// Splits the fuzzer's input into newline-terminated fields, left to right;
// what no field took is the rest (usually a body).
class InputReader {
 public:
  InputReader(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}
  // The next line without its '\n'; the whole rest when there is no '\n'.
  std::string_view line() {
    auto nl = rest_.find('\n');
    std::string_view out = rest_.substr(0, nl);
    rest_.remove_prefix(nl == std::string_view::npos ? rest_.size() : nl + 1);
    return out;
  }
  // The first byte (0 when empty), consumed.
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

inline SourceConfig make_source(Format format) { return test::make_source("fuzz", format); }

// Equal JSON values, except that doubles may differ in the last few bits:
// Boost.JSON 1.81 does not round every decimal correctly ("39811e70" parses
// 1 ulp above strtod's result, a 60-digit mantissa 3 ulps below), while
// serialize prints the shortest exact form, so a parse/serialize/parse cycle
// may move a double by a few ulps.
inline bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-14 * std::fabs(x);
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &xa = a.get_array(), &ya = b.get_array();
    if (xa.size() != ya.size()) return false;
    for (std::size_t i = 0; i < xa.size(); ++i)
      if (!same_json(xa[i], ya[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &xo = a.get_object(), &yo = b.get_object();
    if (xo.size() != yo.size()) return false;
    for (const auto& kv : xo) {
      const boost::json::value* other = yo.if_contains(kv.key());
      if (!other || !same_json(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

// A JSON value survives serialize + parse (parse_json's contract: strict,
// finite numbers, so its output is always valid JSON again).
inline void check_round_trip(const boost::json::value& v) {
  std::string text = boost::json::serialize(v);
  std::string message;
  auto again = parse_json(text, message);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(same_json(*again, v));
}

// What parse_events() documents for every outcome: an error has a message
// and no events; a success has at least one event with source, format and
// receive time set, a non-empty type and key, and the sender's key applied.
inline void check_outcome(const SourceConfig& source, const RequestMeta& meta,
                          std::string_view raw, const ParseOutcome& out) {
  if (!out.ok()) {
    FUZZ_CHECK(out.events.empty());
    FUZZ_CHECK(!out.message.empty());
    return;
  }
  // A CloudEvents batch may be empty; every other success is an event or more.
  if (cloudevents_mode(meta) != CloudEventsMode::batch)
    FUZZ_CHECK(!out.events.empty());
  const bool own_key = meta.idempotency_key && !meta.idempotency_key->empty();
  for (std::size_t i = 0; i < out.events.size(); ++i) {
    const Event& ev = out.events[i];
    FUZZ_CHECK(ev.id.empty());
    FUZZ_CHECK(ev.source == source.name);
    FUZZ_CHECK(ev.format == source.format);
    FUZZ_CHECK(ev.received_ms == meta.received_ms);
    FUZZ_CHECK(!ev.type.empty());
    FUZZ_CHECK(!field_problem(ev.type, kMaxEventTypeBytes));  // core/text.hpp rules
    FUZZ_CHECK(is_representable_time_ms(ev.time_ms));
    FUZZ_CHECK(!ev.idempotency_key.empty());
    FUZZ_CHECK(!ev.content_type.empty());
    if (own_key) {
      std::string want = *meta.idempotency_key;
      if (out.events.size() > 1) {
        const std::string last = "#" + std::to_string(out.events.size());
        if (want.size() + last.size() > kMaxIdBytes) want = "sha256:" + sha256_hex(want);
        want += "#" + std::to_string(i);
        FUZZ_CHECK(ev.idempotency_key.size() <= kMaxIdBytes);
      }
      FUZZ_CHECK(ev.idempotency_key == want);
    }
    // Every event's body is JSON; one event's is the request's, except a
    // binary-mode CloudEvent's, which is its structured-mode envelope, and
    // a batch member's.
    std::string why;
    FUZZ_CHECK(parse_json(ev.body, why).has_value());
    const auto mode = cloudevents_mode(meta);
    const bool rewritten = source.format == Format::cloudevents &&
                           (mode == CloudEventsMode::binary || mode == CloudEventsMode::batch);
    if (out.events.size() == 1 && !rewritten) FUZZ_CHECK(ev.body == raw);
  }
}

// A body parsed as the ingest path does (parse_json, then parse_events),
// with the checks every body target shares: a JSON error has a message, the
// JSON round-trips, and the outcome keeps parse_events()'s contract.
struct ParsedBody {
  boost::json::value body;
  ParseOutcome out;
};
inline std::optional<ParsedBody> parse_body(const SourceConfig& source, std::string_view raw,
                                            const RequestMeta& meta) {
  std::string message;
  auto body = parse_json(raw, message);
  if (!body) {
    FUZZ_CHECK(!message.empty());
    return std::nullopt;
  }
  check_round_trip(*body);
  ParseOutcome out = parse_events(source, *body, raw, meta);
  check_outcome(source, meta, raw, out);
  return ParsedBody{std::move(*body), std::move(out)};
}

}  // namespace hookd::fuzz
