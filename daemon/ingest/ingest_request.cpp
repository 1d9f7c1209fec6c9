#include "daemon/ingest/ingest_request.hpp"

#include "core/formats/parsers.hpp"
#include "core/text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

namespace hookd::daemon {

namespace {

// Names are at most 64 characters (config); a longer path segment, header
// name or content type a sender chose is not echoed whole into answers and
// logs.
constexpr std::size_t kMaxEchoedName = 64;

// `name` as quoted in an answer and a log line: at most kMaxEchoedName bytes
// of valid UTF-8.
std::string echoed(std::string_view name) {
  std::string shown = to_valid_utf8(utf8_prefix(name, kMaxEchoedName));
  if (name.size() > kMaxEchoedName) shown += "...";
  return shown;
}

bool token_matches(std::string_view header, const std::string& token) {
  // MinIO sends "Bearer TOKEN" for a one-word token and a two-word token
  // ("Basic xyz") verbatim; accept either form.
  if (secret_equals(header, token)) return true;
  auto bearer = bearer_token(header);
  return bearer && secret_equals(*bearer, token);
}

bool allowed(const SourceConfig& source, const net::ip::address& addr) {
  if (source.allow_from.empty()) return true;
  if (addr.is_v4()) {
    auto b = addr.to_v4().to_bytes();
    for (const auto& c : source.allow_from)
      if (c.contains(b.data(), false)) return true;
  } else {
    auto b = addr.to_v6().to_bytes();
    for (const auto& c : source.allow_from)
      if (c.contains(b.data(), true)) return true;
  }
  return false;
}

std::optional<std::string> header(const http::request_header<>& req, std::string_view name) {
  auto it = req.find(name);
  // An empty value is no value (a sender's template with nothing filled in).
  if (it == req.end() || it->value().empty()) return std::nullopt;
  return std::string(it->value());
}

http::status status_of(ingest_errc e) {
  switch (e) {
    case ingest_errc::unauthorized:
    case ingest_errc::unknown_source: return http::status::unauthorized;
    case ingest_errc::forbidden: return http::status::forbidden;
    case ingest_errc::unsupported_media_type: return http::status::unsupported_media_type;
    case ingest_errc::body_too_large: return http::status::payload_too_large;
    default: return http::status::bad_request;
  }
}

IngestVerdict refuse(http::status status, std::string message,
                     const SourceConfig* source = nullptr) {
  IngestVerdict v;
  v.status = status;
  v.message = std::move(message);
  v.source = source;
  return v;
}

// A sender's key header, checked: printable ASCII; one longer than 255 bytes
// is replaced by "sha256:" + its hex digest, so that keys stay bounded (and
// a multi-record body's KEY#i too) while distinct keys stay distinct.
std::optional<std::string> sender_key(const http::request_header<>& head, std::string_view name,
                                      IngestVerdict& bad) {
  auto value = header(head, name);
  if (!value) return std::nullopt;
  if (auto problem = identifier_problem(*value, std::string::npos)) {
    bad = refuse(http::status::bad_request, std::string("header ") + std::string(name) + ": " +
                                                *problem);
    return std::nullopt;
  }
  if (value->size() > kMaxIdBytes) return "sha256:" + sha256_hex(*value);
  return value;
}

// The request metadata parsers read, with every header a sender controls
// checked; a violation is a 400 in `bad`.
RequestMeta read_meta(const http::request_header<>& head, std::int64_t received_ms,
                      IngestVerdict& bad) {
  RequestMeta meta;
  meta.received_ms = received_ms;
  meta.idempotency_key = sender_key(head, "Idempotency-Key", bad);
  if (!bad.ok()) return meta;
  if (!meta.idempotency_key) meta.idempotency_key = sender_key(head, "webhook-id", bad);
  if (!bad.ok()) return meta;
  meta.cloud_tasks_name = sender_key(head, "X-CloudTasks-TaskName", bad);
  if (!bad.ok()) return meta;
  meta.event_type = header(head, "X-Event-Type");
  if (meta.event_type) {
    if (auto problem = field_problem(*meta.event_type, kMaxEventTypeBytes)) {
      bad = refuse(http::status::bad_request, "header X-Event-Type: " + *problem);
      return meta;
    }
  }
  meta.content_type = header(head, "Content-Type");
  for (const auto& f : head) {
    std::string_view name(f.name_string().data(), f.name_string().size());
    if (name.size() <= 3 || !beast::iequals(name.substr(0, 3), "ce-")) continue;
    std::string key(name.substr(3));
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value(f.value().data(), f.value().size());
    if (auto problem = field_problem(value, kMaxAttributeBytes)) {
      bad = refuse(http::status::bad_request, "header " + echoed(name) + ": " + *problem);
      return meta;
    }
    meta.ce_headers.emplace_back(std::move(key), std::string(value));
  }
  return meta;
}

// Attribution (SPEC section 3): the path's source, else the source whose
// token the Authorization header carries, else (with `body`) the one
// tokenless source of the body's format. Without `body`, an unattributed
// request is ok with no source: the body decides.
IngestVerdict attribute(const Config& cfg, const http::request_header<>& req,
                        std::string_view path_source, const net::ip::address& client,
                        const boost::json::value* body, const RequestMeta& meta) {
  auto auth = header(req, "Authorization");
  auto check = [&](const SourceConfig& s) -> IngestVerdict {
    if (!allowed(s, client))
      return refuse(http::status::forbidden,
                    "client address not allowed for source '" + s.name + "'", &s);
    if (!s.token.empty() && !(auth && token_matches(*auth, s.token)))
      return refuse(http::status::unauthorized,
                    auth ? "wrong token for source '" + s.name + "'"
                         : "source '" + s.name + "' requires a token",
                    &s);
    IngestVerdict v;
    v.source = &s;
    return v;
  };
  if (!path_source.empty()) {
    const SourceConfig* s = cfg.find_source(path_source);
    if (!s) {
      return refuse(http::status::unauthorized, "unknown source '" + echoed(path_source) + "'");
    }
    return check(*s);
  }
  if (auth) {
    for (const auto& s : cfg.sources)
      if (!s.token.empty() && token_matches(*auth, s.token)) return check(s);
  }
  if (!body) return IngestVerdict{};  // decided once the body is parsed
  Format format = detect_format(*body, meta);
  const SourceConfig* match = nullptr;
  int tokenless = 0;
  bool tokened = false;
  for (const auto& s : cfg.sources) {
    if (s.format != format) continue;
    if (s.token.empty()) {
      ++tokenless;
      match = &s;
    } else {
      tokened = true;
    }
  }
  if (tokenless == 1) return check(*match);
  if (tokenless > 1)
    return refuse(http::status::unauthorized,
                  std::string("several sources accept ") + to_string(format) +
                      " events; name one in the path (/event/NAME) or send its token");
  if (tokened || auth)
    return refuse(http::status::unauthorized,
                  auth ? "token matches no source" : "a token is required");
  return refuse(http::status::bad_request,
                std::string("no source accepts ") + to_string(format) + " events");
}

// Everything the head decides; on success also the metadata and path source.
IngestVerdict head_verdict(const Config& config, const http::request_header<>& head,
                           const net::ip::address& client, std::int64_t received_ms,
                           RequestMeta& meta, std::string& path_source) {
  std::string_view target(head.target().data(), head.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  const bool get_or_head = head.method() == http::verb::get || head.method() == http::verb::head;
  auto named = event_path_source(target);
  if (!named) {
    IngestVerdict v;
    if ((path == "/healthz" && get_or_head) || (path == "/" && head.method() == http::verb::head)) {
      v.not_ingest = true;
      return v;
    }
    return refuse(http::status::not_found, "no such path; events go to POST /event");
  }
  if (head.method() == http::verb::head) {
    IngestVerdict v;
    v.not_ingest = true;
    return v;
  }
  if (head.method() != http::verb::post) return refuse(http::status::method_not_allowed, "use POST");
  path_source = std::move(*named);

  // Who may send comes first: a sender that is not let in learns nothing
  // about its headers.
  IngestVerdict who = attribute(config, head, path_source, client, nullptr, meta);
  if (!who.ok()) return who;
  IngestVerdict bad;
  meta = read_meta(head, received_ms, bad);
  if (!bad.ok()) {
    bad.source = who.source;
    return bad;
  }
  // A binary-mode CloudEvent's body is its data, of any media type.
  const bool any_data = cloudevents_mode(meta) == CloudEventsMode::binary &&
                        (!who.source || who.source->format == Format::cloudevents);
  if (meta.content_type && !is_json_media_type(*meta.content_type) && !any_data)
    return refuse(http::status::unsupported_media_type,
                  "content type must be JSON, not '" +
                      echoed(*meta.content_type) + "'",
                  who.source);
  // A compressed body would be read as bytes that are not JSON.
  if (auto coding = header(head, "Content-Encoding"); coding && !beast::iequals(*coding, "identity"))
    return refuse(http::status::unsupported_media_type,
                  "Content-Encoding '" + echoed(*coding) +
                      "' is not supported; send the body unencoded",
                  who.source);
  return who;
}

// MinIO sends one record per request; a MinIO body's Records or a
// CloudEvents batch longer than `max` is refused before any record is
// parsed.
std::optional<IngestVerdict> too_many_records(const SourceConfig& source,
                                              const boost::json::value& body, std::uint32_t max,
                                              const RequestMeta& meta) {
  const boost::json::value* records = nullptr;
  std::string_view what;
  if (source.format == Format::minio) {
    const auto* obj = body.if_object();
    records = obj ? obj->if_contains("Records") : nullptr;
    what = "Records: ";
  } else if (source.format == Format::cloudevents &&
             cloudevents_mode(meta) == CloudEventsMode::batch) {
    records = &body;
    what = "batch: ";
  }
  if (!records || !records->is_array() || records->get_array().size() <= max) return std::nullopt;
  return refuse(http::status::bad_request,
                std::string(what) + std::to_string(records->get_array().size()) +
                    " records; at most " + std::to_string(max) +
                    " per request (server.max_records)",
                &source);
}

// A binary-mode CloudEvent's body is its data: none (an empty body) or of a
// media type other than JSON is not parsed.
bool is_unparsed_data(const RequestMeta& meta, std::string_view body) {
  if (cloudevents_mode(meta) != CloudEventsMode::binary) return false;
  return body.empty() || (meta.content_type && !is_json_media_type(*meta.content_type));
}

}  // namespace

std::optional<std::string> event_path_source(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return std::nullopt;
  // Decoded segments: /event/c%65 names the source "ce".
  const auto segments = parsed->segments();
  // At most /event/NAME/event/: more segments name no event path.
  if (segments.empty() || segments.size() > 4) return std::nullopt;
  std::vector<std::string> parts(segments.begin(), segments.end());
  if (parts.size() > 1 && parts.back().empty()) parts.pop_back();  // a trailing slash
  if (parts.front() != "event") return std::nullopt;
  if (parts.size() == 1) return std::string();
  // Opteryx posts to https://DOMAIN/event; a domain "host/event/NAME" thus
  // yields /event/NAME/event.
  if (parts.size() == 3 && parts[2] == "event") parts.pop_back();
  if (parts.size() != 2 || parts[1].empty()) return std::nullopt;
  return std::move(parts[1]);
}

IngestHead judge_ingest_head(const Config& config, const http::request_header<>& head,
                             const net::ip::address& client) {
  IngestHead judged;
  judged.who = head_verdict(config, head, client, 0, judged.meta, judged.path_source);
  return judged;
}

IngestVerdict prepare_ingest(const Config& config, const Request& req,
                             const net::ip::address& client, std::int64_t received_ms) {
  return prepare_ingest(config, req, client, received_ms, judge_ingest_head(config, req, client));
}

IngestVerdict prepare_ingest(const Config& config, const Request& req,
                             const net::ip::address& client, std::int64_t received_ms,
                             IngestHead head) {
  IngestVerdict who = std::move(head.who);
  if (!who.ok() || who.not_ingest) return who;
  RequestMeta& meta = head.meta;
  meta.received_ms = received_ms;
  const std::string& path_source = head.path_source;
  std::string message;
  std::optional<boost::json::value> body;
  const bool unparsed = is_unparsed_data(meta, req.body());
  if (unparsed) {
    body.emplace();  // null
  } else {
    body = parse_json(req.body(), message);
  }
  if (!body) return refuse(http::status::bad_request, "malformed JSON: " + message, who.source);
  if (!who.source) {
    who = attribute(config, req, path_source, client, &*body, meta);
    if (!who.ok()) return who;
  }
  const SourceConfig& source = *who.source;
  // Only a CloudEvent may come without a body or with data that is not JSON.
  if (unparsed && source.format != Format::cloudevents) {
    if (req.body().empty())
      return refuse(http::status::bad_request, "malformed JSON: empty body", who.source);
    return refuse(http::status::unsupported_media_type, "content type must be JSON", who.source);
  }
  if (auto refused = too_many_records(source, *body, config.server.max_records, meta))
    return *refused;
  ParseOutcome parsed = parse_events(source, *body, req.body(), meta);
  if (!parsed.ok()) return refuse(status_of(parsed.error), std::move(parsed.message), &source);
  who.events = std::move(parsed.events);
  return who;
}

}  // namespace hookd::daemon
