#include "core/config/api_subscription.hpp"

#include "core/config/config_reader.hpp"
#include "core/delivery/destination_guard.hpp"
#include "core/text.hpp"

#include <boost/url/parse.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <stdexcept>

namespace hookd {

namespace {

namespace json = boost::json;

const char* json_kind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "value";
}

// JSON into TOML, so that the config file's reader reads it. Null has no
// TOML form: it is an error here (PATCH's null was applied before).
class ToToml {
 public:
  explicit ToToml(std::vector<std::string>& errors) : errors_(errors) {}

  toml::table table(const json::object& o, const std::string& path) {
    toml::table t;
    for (const auto& [key, value] : o) {
      std::string k(key);
      std::string at = path.empty() ? k : path + "." + k;
      if (value.is_object()) {
        t.insert_or_assign(k, table(value.get_object(), at));
      } else if (value.is_array()) {
        t.insert_or_assign(k, array(value.get_array(), at));
      } else {
        scalar(value, at, [&](auto&& x) { t.insert_or_assign(k, std::move(x)); });
      }
    }
    return t;
  }

 private:
  toml::array array(const json::array& arr, const std::string& path) {
    toml::array a;
    std::size_t i = 0;
    for (const auto& value : arr) {
      std::string at = path + "[" + std::to_string(i++) + "]";
      if (value.is_object()) {
        a.push_back(table(value.get_object(), at));
      } else if (value.is_array()) {
        a.push_back(array(value.get_array(), at));
      } else {
        scalar(value, at, [&](auto&& x) { a.push_back(std::move(x)); });
      }
    }
    return a;
  }

  // Not recursive: containers are handled by the callers.
  template <class Put>
  void scalar(const json::value& v, const std::string& path, Put&& put) {
    switch (v.kind()) {
      case json::kind::bool_: put(v.get_bool()); return;
      case json::kind::int64: put(v.get_int64()); return;
      case json::kind::uint64:
        if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          errors_.push_back(path + ": integer out of range");
          return;
        }
        put(static_cast<std::int64_t>(v.get_uint64()));
        return;
      case json::kind::double_: put(v.get_double()); return;
      case json::kind::string: put(std::string(v.get_string())); return;
      default: errors_.push_back(path + ": null is not allowed here"); return;
    }
  }

  std::vector<std::string>& errors_;
};

bool valid_label_key(std::string_view k) {
  return !k.empty() && k.size() <= kMaxLabelKey &&
         std::all_of(k.begin(), k.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '/';
         });
}

bool valid_label_value(std::string_view v) {
  return v.size() <= kMaxLabelValue && is_valid_utf8(v) &&
         std::none_of(v.begin(), v.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

void read_labels(const json::value& v, std::map<std::string, std::string>& out,
                 std::vector<std::string>& errors) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    errors.push_back(std::string("labels: expected an object of strings, got ") + json_kind(v));
    return;
  }
  if (o->size() > kMaxLabels) {
    errors.push_back("labels: at most " + std::to_string(kMaxLabels) + " labels");
    return;
  }
  for (const auto& [key, value] : *o) {
    std::string k(key);
    if (!valid_label_key(k)) {
      errors.push_back("labels: a key must be 1 to 64 characters of A-Z a-z 0-9 . _ - /");
      continue;
    }
    const json::string* s = value.if_string();
    if (s == nullptr) {
      errors.push_back("labels." + k + ": expected a string, got " + json_kind(value));
      continue;
    }
    if (!valid_label_value(*s)) {
      errors.push_back("labels." + k + ": at most 256 bytes of UTF-8 text without control characters");
      continue;
    }
    out.emplace(std::move(k), std::string(*s));
  }
}

// An IP-literal host must be an address API subscriptions may reach.
void check_destination(const std::string& url, const Config& config,
                       std::vector<std::string>& errors) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return;  // reported by read_url
  DestinationPolicy policy{true, config.admin.allow_destinations, config.delivery.deny_destinations};
  std::optional<std::string> refused;
  if (parsed->host_type() == boost::urls::host_type::ipv4) {
    auto bytes = parsed->host_ipv4_address().to_bytes();
    refused = destination_refusal(policy, bytes.data(), false);
  } else if (parsed->host_type() == boost::urls::host_type::ipv6) {
    auto bytes = parsed->host_ipv6_address().to_bytes();
    refused = destination_refusal(policy, bytes.data(), true);
  }
  if (refused) errors.push_back("url: destination not allowed: " + *refused);
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

void random_bytes(unsigned char* p, std::size_t n) {
  if (RAND_bytes(p, static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
}

}  // namespace

ApiSubscriptionCheck read_api_subscription(const json::object& spec, const Config& config,
                                           const std::vector<std::string>* secrets) {
  ApiSubscriptionCheck out;
  json::object body = spec;
  std::map<std::string, std::string> labels;
  if (auto* l = body.if_contains("labels")) {
    read_labels(*l, labels, out.errors);
    body.erase("labels");
  }
  if (secrets) body.erase("secret");
  if (const auto* tls = body.if_contains("tls"); tls && tls->is_object()) {
    for (const char* key : {"cert", "key"})
      if (tls->get_object().contains(key))
        out.errors.push_back(std::string("tls.") + key +
                             ": client certificates are set only in the config file");
  }
  toml::table table = ToToml(out.errors).table(body, "");
  ConfigContext ctx("api");
  ctx.set_literal_secrets(true);
  SubscriptionConfig sub = read_subscription_at(ctx, table, "");
  for (ConfigError& e : ctx.take_errors()) out.errors.push_back(std::move(e.message));
  std::vector<std::string_view> source_names;
  for (const SourceConfig& s : config.sources) source_names.push_back(s.name);
  for (std::size_t k = 0; k < sub.sources.size(); ++k) {
    if (std::find(source_names.begin(), source_names.end(), sub.sources[k]) == source_names.end())
      out.errors.push_back("sources[" + std::to_string(k) + "]: " +
                           unknown_source_message(sub.sources[k], source_names));
  }
  if (!sub.url.empty()) check_destination(sub.url, config, out.errors);
  if (!secrets && sub.secrets.size() > kMaxApiSecrets)
    out.errors.push_back("secret: at most " + std::to_string(kMaxApiSecrets) + " secrets");
  if (!out.errors.empty()) return out;
  if (secrets) sub.secrets = *secrets;
  sub.origin = SubscriptionOrigin::api;
  sub.labels = std::move(labels);
  sub.line = 0;
  out.sub = std::move(sub);
  return out;
}

void merge_patch(json::object& target, const json::object& patch) {
  for (const auto& [key, value] : patch) {
    if (value.is_null()) {
      target.erase(key);
      continue;
    }
    if (value.is_object()) {
      json::value& slot = target[key];
      if (!slot.is_object()) slot = json::object();
      merge_patch(slot.get_object(), value.get_object());
      continue;
    }
    target[key] = value;
  }
}

std::string generate_whsec() {
  std::array<unsigned char, 24> raw{};
  random_bytes(raw.data(), raw.size());
  std::array<unsigned char, 33> b64{};
  EVP_EncodeBlock(b64.data(), raw.data(), static_cast<int>(raw.size()));
  OPENSSL_cleanse(raw.data(), raw.size());
  return "whsec_" + std::string(reinterpret_cast<const char*>(b64.data()), 32);
}

std::string generate_subscription_name() {
  std::array<unsigned char, 8> raw{};
  random_bytes(raw.data(), raw.size());
  return "sub-" + hex(raw.data(), raw.size());
}

}  // namespace hookd
