#include "core/formats/parsers.hpp"

#include "core/formats/parsers_detail.hpp"
#include "core/text.hpp"

#include <openssl/evp.h>

#include <boost/json/parser.hpp>

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace hookd {
namespace json = boost::json;

namespace {

// Boost.JSON turns a number like 1e400 into an infinite double, which would
// serialize as the non-JSON "Infinity"; such bodies are refused like NaN.
bool numbers_finite(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: return std::isfinite(v.get_double());
    case json::kind::array:
      for (const json::value& e : v.get_array()) {
        if (!numbers_finite(e)) return false;
      }
      return true;
    case json::kind::object:
      for (const json::key_value_pair& kv : v.get_object()) {
        if (!numbers_finite(kv.value())) return false;
      }
      return true;
    default: return true;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads fixed-width decimal fields and single separators from an RFC 3339
// string, left to right.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  std::optional<int> digits(std::size_t n) {
    if (s_.size() - pos_ < n) return std::nullopt;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      char c = s_[pos_ + i];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    return v;
  }
  // Consumes one character if it is any of `chars`; returns it, or '\0'.
  char one_of(std::string_view chars) {
    if (pos_ < s_.size() && chars.find(s_[pos_]) != std::string_view::npos) return s_[pos_++];
    return '\0';
  }
  bool is_digit() const { return pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9'; }
  bool at_end() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

// kMaxJsonDepth is deep enough for any real webhook body, shallow enough
// that the recursive walks below (and json::value's destructor) cannot
// exhaust the stack.
std::optional<json::value> parse_json(std::string_view body, std::string& message,
                                      std::size_t max_depth) {
  json::parse_options opts;  // defaults: no comments, no trailing commas, UTF-8 only
  opts.max_depth = max_depth;
  json::parser p(json::storage_ptr(), opts);
  error_code ec;
  std::size_t n = p.write(body.data(), body.size(), ec);
  if (ec) {
    message = ec.message() + " at byte " + std::to_string(n);
    return std::nullopt;
  }
  json::value v = p.release();
  if (!numbers_finite(v)) {
    message = "number out of range";
    return std::nullopt;
  }
  return v;
}

Format detect_format(const json::value& body, const RequestMeta& meta) {
  if (cloudevents_mode(meta) != CloudEventsMode::none) return Format::cloudevents;
  const json::object* obj = body.if_object();
  if (!obj) return Format::generic;
  if (obj->contains("specversion")) return Format::cloudevents;
  if (detail::array_member(*obj, "Records")) return Format::minio;
  if (detail::object_member(*obj, "event") && detail::object_member(*obj, "data")) {
    return Format::opteryx;
  }
  return Format::generic;
}

ParseOutcome parse_events(const SourceConfig& source, const json::value& body, std::string_view raw,
                          const RequestMeta& meta) {
  ParseOutcome out;
  switch (source.format) {
    case Format::minio: out = detail::parse_minio(source, body, raw, meta); break;
    case Format::opteryx: out = detail::parse_opteryx(source, body, raw, meta); break;
    case Format::cloudevents: out = detail::parse_cloudevents(source, body, raw, meta); break;
    case Format::generic: out = detail::parse_generic(source, body, raw, meta); break;
  }
  if (!out.ok()) {
    out.events.clear();
    return out;
  }
  // The sender's own key wins for every format (SPEC section 3). One request
  // carrying several records needs one key per record.
  if (detail::has_value(meta.idempotency_key)) {
    if (out.events.size() == 1) {
      out.events[0].idempotency_key = *meta.idempotency_key;
    } else {
      // KEY#i stays within the identifier bound: a key too long for the
      // suffix is replaced by its digest first.
      std::string key = *meta.idempotency_key;
      const std::string last = "#" + std::to_string(out.events.size());  // >= the last index
      if (key.size() + last.size() > kMaxIdBytes) key = "sha256:" + sha256_hex(key);
      for (std::size_t i = 0; i < out.events.size(); ++i) {
        out.events[i].idempotency_key = key + "#" + std::to_string(i);
      }
    }
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(sha256) failed");  // only without memory
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0x0f];
  }
  return out;
}

// Hand-rolled rather than Boost.URL's decode_view: Boost.URL refuses the
// whole string on one invalid escape, while a key must never make MinIO's
// event a 400 (it would block MinIO's queue), so invalid escapes stay as
// written.
std::string form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view s) {
  Scanner in(s);
  auto y = in.digits(4);
  if (!y || !in.one_of("-")) return std::nullopt;
  auto mo = in.digits(2);
  if (!mo || !in.one_of("-")) return std::nullopt;
  auto d = in.digits(2);
  if (!d || !in.one_of("Tt ")) return std::nullopt;
  auto h = in.digits(2);
  if (!h || !in.one_of(":")) return std::nullopt;
  auto mi = in.digits(2);
  if (!mi || !in.one_of(":")) return std::nullopt;
  auto sec = in.digits(2);
  if (!sec) return std::nullopt;

  int ms = 0;
  if (in.one_of(".")) {
    if (!in.is_digit()) return std::nullopt;
    for (int scale = 100; in.is_digit(); scale /= 10) ms += *in.digits(1) * scale;
  }

  int offset_min = 0;
  char zone = in.one_of("Zz+-");
  if (zone == '+' || zone == '-') {
    auto oh = in.digits(2);
    if (!oh || !in.one_of(":")) return std::nullopt;
    auto om = in.digits(2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_min = (zone == '-' ? -1 : 1) * (*oh * 60 + *om);
  } else if (zone == '\0') {
    return std::nullopt;
  }
  if (!in.at_end()) return std::nullopt;

  using namespace std::chrono;
  const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)},
                           day{static_cast<unsigned>(*d)}};
  // Second 60 is a leap second; it is counted as the next second.
  if (!ymd.ok() || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  const std::int64_t days = sys_days{ymd}.time_since_epoch().count();
  const std::int64_t secs = ((days * 24 + *h) * 60 + *mi) * 60 + *sec - offset_min * 60LL;
  // An offset can move 0000-01-01 or 9999-12-31 out of what RFC 3339 writes.
  if (!is_representable_time_ms(secs * 1000 + ms)) return std::nullopt;
  return secs * 1000 + ms;
}

namespace detail {

Event base_event(const SourceConfig& source, const RequestMeta& meta) {
  Event ev;
  ev.source = source.name;
  ev.format = source.format;
  ev.received_ms = meta.received_ms;
  ev.time_ms = meta.received_ms;
  return ev;
}

ParseOutcome failure(ingest_errc error, std::string message) {
  ParseOutcome out;
  out.error = error;
  out.message = std::move(message);
  return out;
}

std::optional<ParseOutcome> invalid_field(std::string_view path, std::string_view value,
                                          std::size_t max_bytes) {
  if (auto problem = field_problem(value, max_bytes))
    return failure(ingest_errc::invalid_field, std::string(path) + ": " + *problem);
  return std::nullopt;
}

std::optional<ParseOutcome> invalid_identifier(std::string_view path, std::string_view value) {
  if (auto problem = identifier_problem(value))
    return failure(ingest_errc::invalid_field, std::string(path) + ": " + *problem);
  return std::nullopt;
}

const json::string* string_member(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return v ? v->if_string() : nullptr;
}

const json::object* object_member(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return v ? v->if_object() : nullptr;
}

const json::array* array_member(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return v ? v->if_array() : nullptr;
}

std::string_view string_or_empty(const json::object& obj, std::string_view key) {
  const json::string* s = string_member(obj, key);
  return s ? std::string_view(*s) : std::string_view();
}

bool has_value(const std::optional<std::string>& s) { return s && !s->empty(); }

const std::string* ce_header(const RequestMeta& meta, std::string_view name) {
  for (const auto& [key, value] : meta.ce_headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

void append_netstring(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ',';
}

}  // namespace detail
}  // namespace hookd
