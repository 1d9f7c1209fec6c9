#include "core/delivery/outgoing.hpp"

#include "core/formats/parsers.hpp"
#include "core/text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>

namespace hookd {

namespace json = boost::json;
namespace urls = boost::urls;

namespace {

constexpr std::string_view kWhsecPrefix = "whsec_";

// The HMAC key of a "whsec_..." secret (the prefix is optional here; config
// validation requires it). Unpadded base64 is accepted. nullopt when the
// rest is not base64 or decodes to nothing.
std::optional<std::string> decode_whsec(std::string_view secret) {
  if (secret.starts_with(kWhsecPrefix)) secret.remove_prefix(kWhsecPrefix.size());
  if (secret.empty()) return std::nullopt;
  std::string b64(secret);
  while (b64.size() % 4 != 0) b64.push_back('=');
  const std::size_t padding = b64.size() - (b64.find_last_not_of('=') + 1);
  if (padding > 2 || b64.find('=') < b64.size() - padding) return std::nullopt;
  std::string key(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0 || static_cast<std::size_t>(n) <= padding) {
    OPENSSL_cleanse(key.data(), key.size());
    return std::nullopt;
  }
  key.resize(static_cast<std::size_t>(n) - padding);
  return key;
}

// "v1," + BASE64(HMAC-SHA256(key, content)); wipes the key.
std::string sign_v1(std::string& key, std::string_view content) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_len);
  OPENSSL_cleanse(key.data(), key.size());
  return "v1," + base64_encode({reinterpret_cast<const char*>(mac), mac_len});
}

std::string signed_content(std::string_view msg_id, std::int64_t timestamp_s,
                           std::string_view body) {
  std::string content;
  content.reserve(msg_id.size() + body.size() + 24);
  content.append(msg_id).append(".").append(std::to_string(timestamp_s)).append(".");
  content.append(body);
  return content;
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::uint16_t default_port(bool tls) { return tls ? 443 : 80; }

// A stored body may be a binary-mode CloudEvent's envelope: one level
// around data of up to kMaxJsonDepth.
constexpr std::size_t kStoredJsonDepth = kMaxJsonDepth + 1;

std::string cloudevents_body(const Event& event, const json::object& extra) {
  json::object env;
  env["specversion"] = "1.0";
  env["id"] = event.id;
  env["source"] = "/hookd/sources/" + event.source;
  env["type"] = event.type;
  env["time"] = format_rfc3339_ms(event.time_ms);
  std::string message;
  std::optional<json::value> data = parse_json(event.body, message, kStoredJsonDepth);
  env["datacontenttype"] =
      data || event.content_type.empty() ? "application/json" : event.content_type;
  if (!data) env["data"] = event.body;
  for (const auto& [key, value] : extra) env[key] = value;
  std::string out = json::serialize(env);
  // Splicing the original bytes in keeps them exact (no number or escape
  // rewriting); they are one strict JSON value, so the result is JSON.
  if (data && !env.contains("data")) {
    out.pop_back();  // the closing '}'
    out.append(",\"data\":").append(event.body).append("}");
  }
  return out;
}

}  // namespace

std::optional<TargetUrl> parse_target_url(std::string_view url) {
  auto parsed = urls::parse_uri(url);
  if (!parsed) return std::nullopt;
  const urls::url_view& u = *parsed;
  TargetUrl out;
  if (u.scheme_id() == urls::scheme::https) {
    out.tls = true;
  } else if (u.scheme_id() != urls::scheme::http) {
    return std::nullopt;
  }
  if (!u.has_authority() || u.has_userinfo()) return std::nullopt;
  switch (u.host_type()) {
    case urls::host_type::name:
      out.host = u.host_name();
      break;
    case urls::host_type::ipv4:
      out.host = u.host_ipv4_address().to_string();
      break;
    case urls::host_type::ipv6:
      out.host = u.host_ipv6_address().to_string();
      break;
    default:
      return std::nullopt;
  }
  if (out.host.empty()) return std::nullopt;
  out.port = default_port(out.tls);
  if (u.has_port() && !u.port().empty()) {
    auto port = parse_port(u.port());
    if (!port) return std::nullopt;
    out.port = *port;
  }
  out.target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) out.target.append("?").append(u.encoded_query());
  return out;
}

std::optional<std::string> unsafe_header(const OutgoingRequest& req) {
  if (!is_safe_header_value(req.target) || req.target.find(' ') != std::string::npos)
    return std::string("target");
  if (!is_safe_header_value(req.host_header)) return std::string("Host");
  for (const auto& [name, value] : req.headers) {
    if (!is_safe_header_value(name) || !is_safe_header_value(value))
      return is_safe_header_value(name) ? name : std::string("(header name)");
  }
  return std::nullopt;
}

std::string host_header(const TargetUrl& url) {
  std::string out = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != default_port(url.tls)) out.append(":").append(std::to_string(url.port));
  return out;
}

std::string format_rfc3339_ms(std::int64_t unix_ms) {
  using namespace std::chrono;
  // Parsers keep event times within these; never write a 5-digit year.
  unix_ms = std::clamp(unix_ms, kMinRfc3339Ms, kMaxRfc3339Ms);
  const sys_time<milliseconds> t{milliseconds{unix_ms}};
  const sys_days day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                int(time.minutes().count()), int(time.seconds().count()),
                int(time.subseconds().count()));
  return buf;
}

std::optional<std::string> sign_standard_webhooks(std::string_view secret, std::string_view msg_id,
                                                  std::int64_t timestamp_s, std::string_view body) {
  std::optional<std::string> key = decode_whsec(secret);
  if (!key) return std::nullopt;
  return sign_v1(*key, signed_content(msg_id, timestamp_s, body));
}

std::string build_body(const Event& event, BodyMode mode, const json::object& extra) {
  if (mode == BodyMode::cloudevents) return cloudevents_body(event, extra);
  if (extra.empty()) return event.body;
  std::string message;
  std::optional<json::value> body = parse_json(event.body, message, kStoredJsonDepth);
  if (!body || !body->is_object()) return event.body;
  json::object& obj = body->get_object();
  for (const auto& [key, value] : extra) obj[key] = value;
  return json::serialize(obj);
}

OutgoingRequest build_delivery_request(const Event& event, const Delivery& delivery,
                                       std::uint32_t attempt, const SubscriptionConfig& sub,
                                       const TargetUrl& url, std::string_view user_agent,
                                       std::int64_t now_s) {
  OutgoingRequest req;
  req.target = url.target;
  req.host_header = host_header(url);
  req.body = build_body(event, sub.body, sub.extra);

  auto& h = req.headers;
  std::string content_type = sub.body == BodyMode::cloudevents ? "application/cloudevents+json"
                             : event.content_type.empty()      ? "application/json"
                                                               : event.content_type;
  h.emplace_back("Content-Type", std::move(content_type));
  h.emplace_back("User-Agent", std::string(user_agent));
  h.emplace_back("webhook-id", delivery.id);
  h.emplace_back("webhook-timestamp", std::to_string(now_s));
  if (!sub.secrets.empty()) {
    const std::string content = signed_content(delivery.id, now_s, req.body);
    std::string signatures;
    for (const std::string& secret : sub.secrets) {
      std::optional<std::string> key = decode_whsec(secret);
      if (!key) continue;  // config validation rejects these; never send a bogus one
      if (!signatures.empty()) signatures.push_back(' ');
      signatures.append(sign_v1(*key, content));
    }
    if (!signatures.empty()) h.emplace_back("webhook-signature", std::move(signatures));
  }
  h.emplace_back("hookd-event-type", event.type);
  h.emplace_back("hookd-source", event.source);
  h.emplace_back("hookd-attempt", std::to_string(attempt));
  h.emplace_back("Idempotency-Key", delivery.id);
  for (const auto& header : sub.headers) h.push_back(header);
  if (sub.basic_auth) {
    h.emplace_back("Authorization",
                   "Basic " + base64_encode(sub.basic_auth->user + ":" + sub.basic_auth->password));
  }
  return req;
}

}  // namespace hookd
