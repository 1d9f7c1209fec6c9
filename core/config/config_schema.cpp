// The [[source]] and [[subscription]] tables of the config file (SPEC
// section 2): their keys, value checks and secret resolution. Checks that
// span tables (duplicate names, source references) are in core/config.cpp.

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>

#include "core/config/api_subscription.hpp"
#include "core/config/config_reader.hpp"
#include "core/text.hpp"

namespace hookd {
namespace {

constexpr std::size_t kMaxNameLength = 64;

// Names appear in URL paths (/event/NAME, /v1/subscriptions/NAME) and logs.
bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

std::string read_name(TableReader& r) {
  if (!r.has("name")) {
    r.error("name", "required");
    return {};
  }
  std::optional<std::string> name = r.string("name");
  if (!name) return {};
  if (!valid_name(*name)) r.error("name", check_subscription_name(*name));
  return *name;
}

std::optional<Format> format_from_string(std::string_view s) {
  for (Format f :
       {Format::minio, Format::opteryx, Format::cloudevents, Format::generic}) {
    if (s == to_string(f)) return f;
  }
  return std::nullopt;
}

bool valid_json_pointer(std::string_view p) {
  if (p.empty()) return true;
  if (p.front() != '/') return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '~' &&
        (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) {
      return false;
    }
  }
  return true;
}

// An error message for a bad pattern, or empty when it is fine.
std::string check_pattern(std::string_view pattern) {
  if (pattern.empty()) return "must not be empty";
  std::size_t start = 0;
  while (start <= pattern.size()) {
    std::size_t end = pattern.find_first_of(":.", start);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view segment = pattern.substr(start, end - start);
    if (segment.empty()) {
      return "\"" + std::string(pattern) + "\" has an empty segment";
    }
    if (segment != "*" && segment.find('*') != std::string_view::npos) {
      return "\"" + std::string(pattern) +
             "\": '*' must be a whole segment (between ':' or '.')";
    }
    start = end + 1;
  }
  return {};
}

bool valid_header_name(std::string_view name) {
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), [&](unsigned char c) {
           return std::isalnum(c) ||
                  kSpecials.find(c) != std::string_view::npos;
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Headers hookd sets itself on every delivery (SPEC section 4).
bool reserved_header(std::string_view lower_name) {
  static constexpr std::array<std::string_view, 13> kReserved{
      "host",           "content-length",    "content-type",
      "connection",     "transfer-encoding", "user-agent",
      "webhook-id",     "webhook-timestamp", "webhook-signature",
      "hookd-source",   "hookd-event-type",  "hookd-attempt",
      "idempotency-key"};
  return std::find(kReserved.begin(), kReserved.end(), lower_name) !=
         kReserved.end();
}

// An empty port ("https://h:/") means the scheme's default.
bool valid_port(std::string_view port) {
  if (port.empty()) return true;
  unsigned value = 0;
  auto [end, ec] =
      std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc{} && end == port.data() + port.size() && value >= 1 &&
         value <= 65535;
}

void read_url(TableReader& r, SubscriptionConfig& sub) {
  if (!r.has("url")) {
    r.error("url", "required");
    return;
  }
  std::optional<std::string> url = r.string("url");
  if (!url) return;
  sub.url = *url;
  // The URL is not quoted in messages: it may carry tokens in its query.
  auto parsed = boost::urls::parse_uri(*url);
  if (!parsed) {
    r.error("url", "https or http URL required (not a valid URL)");
    return;
  }
  if (parsed->scheme() != "http" && parsed->scheme() != "https") {
    r.error("url", "https or http URL required");
  } else if (parsed->encoded_host().empty()) {
    r.error("url", "the URL has no host");
  } else if (parsed->has_userinfo()) {
    r.error("url", "credentials in the URL are not allowed; use basic_auth");
  } else if (parsed->has_fragment()) {
    r.error("url", "the URL must not have a fragment");
  } else if (!valid_port(parsed->port())) {
    r.error("url", "the URL's port must be 1 to 65535");
  }
}

void read_secrets(TableReader& r, SubscriptionConfig& sub) {
  const toml::node* node = r.get("secret");
  if (node == nullptr) return;
  ConfigContext& ctx = r.context();
  auto add = [&](const toml::node& item, const std::string& path) {
    const auto* raw = item.as_string();
    if (raw == nullptr) {
      ctx.error(line_of(item),
                path + ": expected a string, got " + type_name(item));
      return;
    }
    std::optional<std::string> value =
        ctx.resolve_secret(raw->get(), line_of(item), path);
    if (!value) return;
    if (std::string problem = check_whsec(*value); !problem.empty()) {
      ctx.error(line_of(item), path + ": " + problem);
      return;
    }
    sub.secrets.push_back(std::move(*value));
  };
  if (const toml::array* arr = node->as_array()) {
    if (arr->empty()) {
      r.error("secret", "empty list; omit the key for no signature");
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
      add((*arr)[i], r.path_of("secret") + "[" + std::to_string(i) + "]");
    }
    return;
  }
  if (!node->is_string()) {
    r.error("secret",
            std::string("expected a string or an array of strings, got ") +
                type_name(*node));
    return;
  }
  add(*node, r.path_of("secret"));
}

void read_headers(TableReader& r, SubscriptionConfig& sub) {
  const toml::table* headers = r.table("headers");
  if (headers == nullptr) return;
  std::vector<std::string> seen;
  for (auto&& [key, value] : *headers) {
    std::string name(key.str());
    std::string path = r.path_of("headers") + ".\"" + name + "\"";
    int line = line_of(value);
    std::string lname = lower(name);
    if (!valid_header_name(name)) {
      r.context().error(line, path + ": not a valid header name");
      continue;
    }
    if (reserved_header(lname)) {
      r.context().error(line, path + ": hookd sets this header itself");
      continue;
    }
    if (std::find(seen.begin(), seen.end(), lname) != seen.end()) {
      r.context().error(line, path + ": duplicate header (names ignore case)");
      continue;
    }
    seen.push_back(lname);
    const auto* raw = value.as_string();
    if (raw == nullptr) {
      r.context().error(line,
                        path + ": expected a string, got " + type_name(value));
      continue;
    }
    // Header values may carry credentials, so they resolve like secrets.
    std::optional<std::string> resolved =
        r.context().resolve_secret(raw->get(), line, path);
    if (!resolved) continue;
    if (!is_safe_header_value(*resolved)) {
      r.context().error(line, path + ": value contains a line break or NUL");
      continue;
    }
    sub.headers.emplace_back(name, std::move(*resolved));
  }
}

void read_basic_auth(TableReader& r, SubscriptionConfig& sub) {
  const toml::table* table = r.table("basic_auth");
  if (table == nullptr) return;
  TableReader a(r.context(), *table, r.path_of("basic_auth"),
                {"user", "password"});
  std::optional<std::string> user = a.nonempty_string("user");
  if (!a.has("user")) a.error("user", "required");
  if (user && user->find(':') != std::string::npos) {
    a.error("user", "must not contain ':'");
  }
  if (!a.has("password")) a.error("password", "required");
  std::optional<std::string> password = a.secret("password");
  if (!user || !password) return;
  for (const auto& [name, value] : sub.headers) {
    if (lower(name) == "authorization") {
      a.error_here("conflicts with the Authorization header in headers");
      return;
    }
  }
  sub.basic_auth = BasicAuth{std::move(*user), std::move(*password)};
}

void read_filter(TableReader& r, SubscriptionFilter& filter) {
  const toml::table* table = r.table("filter");
  if (table == nullptr) return;
  TableReader f(r.context(), *table, r.path_of("filter"),
                {"bucket", "prefix", "suffix", "workspace", "collection",
                 "resource_type"});
  filter.bucket = f.nonempty_string("bucket");
  filter.prefix = f.nonempty_string("prefix");
  filter.suffix = f.nonempty_string("suffix");
  filter.workspace = f.nonempty_string("workspace");
  filter.collection = f.nonempty_string("collection");
  filter.resource_type = f.nonempty_string("resource_type");
}

constexpr std::uint32_t kMaxAttempts = 1000;
constexpr Duration kMaxRetryDelay{30LL * 24 * 3600 * 1000};
constexpr Duration kMaxDeliveryTimeout{600 * 1000};
constexpr std::uint32_t kMaxSubscriptionInFlight = 100'000;

void read_retry(TableReader& r, RetryConfig& retry) {
  const toml::table* table = r.table("retry");
  if (table == nullptr) return;
  TableReader t(r.context(), *table, r.path_of("retry"),
                {"attempts", "base", "cap"});
  if (auto v = t.positive_u32("attempts", kMaxAttempts)) retry.attempts = *v;
  std::optional<Duration> base = t.duration("base", kMaxRetryDelay);
  std::optional<Duration> cap = t.duration("cap", kMaxRetryDelay);
  if (base) retry.base = *base;
  if (cap) retry.cap = *cap;
  if ((base || cap) && retry.base > retry.cap) {
    t.error(base ? "base" : "cap", "base must not be longer than cap");
  }
}

void read_client_tls(TableReader& r, SubscriptionConfig& sub) {
  const toml::table* table = r.table("tls");
  if (table == nullptr) return;
  TableReader t(r.context(), *table, r.path_of("tls"), {"ca", "cert", "key"});
  TlsClientConfig tls;
  tls.ca_file = t.nonempty_string("ca").value_or("");
  tls.cert_file = t.nonempty_string("cert").value_or("");
  tls.key_file = t.nonempty_string("key").value_or("");
  if (t.has("cert") != t.has("key")) {
    t.error_here("cert and key must be given together");
  }
  if (sub.url.starts_with("http:")) {
    t.error_here("tls applies only to https URLs");
  }
  sub.tls = std::move(tls);
}

}  // namespace

std::string check_whsec(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (!secret.starts_with(kPrefix)) {
    return "must start with \"whsec_\" (a Standard Webhooks secret)";
  }
  std::string_view b64 = secret.substr(kPrefix.size());
  const std::string kInvalid = "is not valid padded base64 after \"whsec_\"";
  if (b64.empty() || b64.size() % 4 != 0 ||
      b64.find_first_of(" \t\r\n") != std::string_view::npos) {
    return kInvalid;
  }
  std::size_t padding = b64.size() - (b64.find_last_not_of('=') + 1);
  // EVP_DecodeBlock takes '=' anywhere; padding belongs only at the end.
  if (b64.find_last_not_of('=') == std::string_view::npos || padding > 2 ||
      b64.substr(0, b64.size() - padding).find('=') != std::string_view::npos) {
    return kInvalid;
  }
  std::string out(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  OPENSSL_cleanse(out.data(), out.size());
  if (n < 0) return kInvalid;
  if (static_cast<std::size_t>(n) <= padding) {
    return "must decode to at least one byte";
  }
  return {};
}

std::string check_subscription_name(std::string_view name) {
  if (valid_name(name)) return {};
  return "must be 1 to 64 characters of A-Z a-z 0-9 . _ -";
}

std::string element_path(std::string_view kind, std::size_t index,
                         const toml::table& table) {
  const toml::node* name = table.get("name");
  if (name != nullptr && name->is_string() &&
      valid_name(name->as_string()->get())) {
    return std::string(kind) + " \"" + name->as_string()->get() + "\"";
  }
  return std::string(kind) + "[" + std::to_string(index) + "]";
}

SourceConfig read_source(ConfigContext& ctx, const toml::table& table,
                         std::size_t index) {
  TableReader r(
      ctx, table, element_path("source", index, table),
      {"name", "format", "token", "allow_from", "type_pointer", "id_pointer"});
  SourceConfig src;
  src.line = r.line();
  src.name = read_name(r);
  if (std::optional<std::string> format = r.string("format")) {
    if (std::optional<Format> f = format_from_string(*format)) {
      src.format = *f;
    } else {
      r.error("format",
              "unknown format \"" + *format +
                  "\"; expected minio, opteryx, cloudevents or generic");
    }
  }
  src.token = r.secret("token").value_or("");
  if (auto cidrs = r.cidr_array("allow_from")) src.allow_from = std::move(*cidrs);
  for (std::string_view key : {"type_pointer", "id_pointer"}) {
    std::optional<std::string> pointer = r.string(key);
    if (!pointer) continue;
    if (src.format != Format::generic) {
      r.error(key, "only valid for format \"generic\"");
    } else if (!valid_json_pointer(*pointer)) {
      r.error(key, "not a JSON pointer (empty, or starting with '/')");
    }
    (key == "type_pointer" ? src.type_pointer : src.id_pointer) = *pointer;
  }
  return src;
}

SubscriptionConfig read_subscription(ConfigContext& ctx,
                                     const toml::table& table,
                                     std::size_t index) {
  return read_subscription_at(ctx, table, element_path("subscription", index, table));
}

SubscriptionConfig read_subscription_at(ConfigContext& ctx,
                                        const toml::table& table,
                                        std::string path) {
  TableReader r(ctx, table, std::move(path),
                {"name", "url", "events", "sources", "filter", "secret",
                 "headers", "basic_auth", "body", "extra", "timeout", "retry",
                 "max_in_flight", "enabled", "tls"});
  SubscriptionConfig sub;
  sub.line = r.line();
  sub.name = read_name(r);
  read_url(r, sub);
  if (auto events = r.string_array("events")) {
    for (std::size_t i = 0; i < events->size(); ++i) {
      if (std::string problem = check_pattern((*events)[i]); !problem.empty()) {
        ctx.error(
            r.element_line("events", i),
            r.path_of("events") + "[" + std::to_string(i) + "]: " + problem);
      }
    }
    sub.events = std::move(*events);
  }
  sub.sources = r.string_array("sources").value_or(std::vector<std::string>{});
  read_filter(r, sub.filter);
  read_secrets(r, sub);
  read_headers(r, sub);
  read_basic_auth(r, sub);
  if (std::optional<std::string> body = r.string("body")) {
    if (*body == "original") {
      sub.body = BodyMode::original;
    } else if (*body == "cloudevents") {
      sub.body = BodyMode::cloudevents;
    } else {
      r.error("body", "unknown body \"" + *body +
                          "\"; expected original or cloudevents");
    }
  }
  if (const toml::table* extra = r.table("extra")) {
    if (auto json = ctx.to_json(*extra, r.path_of("extra"))) {
      sub.extra = std::move(json->as_object());
    }
  }
  if (auto timeout = r.duration("timeout", kMaxDeliveryTimeout)) sub.timeout = *timeout;
  read_retry(r, sub.retry);
  if (auto n = r.positive_u32("max_in_flight", kMaxSubscriptionInFlight)) sub.max_in_flight = *n;
  if (auto enabled = r.boolean("enabled")) sub.enabled = *enabled;
  read_client_tls(r, sub);
  return sub;
}

}  // namespace hookd
