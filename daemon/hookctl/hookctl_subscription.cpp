#include "daemon/hookctl/hookctl_subscription.hpp"

#include <boost/json/parse.hpp>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <iterator>
#include <sstream>

namespace hookd::hookctl {

namespace {

namespace json = boost::json;

// An option and the body field it sets.
using Field = std::pair<std::string_view, std::string_view>;

// `o[key]` as an object, replacing whatever else was there (a null from
// --unset, or a mistyped value from --file).
json::object& member_object(json::object& o, std::string_view key) {
  json::value& v = o[key];
  if (!v.is_object()) v = json::object();
  return v.get_object();
}

std::string trim_line_ends(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string trim(std::string s) {
  while (!s.empty() && is_space(s.back())) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && is_space(s[start])) ++start;
  return s.substr(start);
}

// The contents of the file named by option `name`, cleaned by `tidy`; an
// empty file is an error, since it cannot hold a secret.
std::optional<std::string> secret_from_file(const Invocation& inv, std::string_view name,
                                            const ReadFile& read, std::string (*tidy)(std::string),
                                            Body& out) {
  auto path = inv.option(name);
  if (!path) return std::nullopt;
  auto file = read(std::string(*path));
  if (!file.text) {
    out.error = "--" + std::string(name) + ": " + file.error;
    return std::nullopt;
  }
  std::string value = tidy(std::move(*file.text));
  if (value.empty()) {
    out.error = "--" + std::string(name) + " " + std::string(*path) + " is empty";
    return std::nullopt;
  }
  return value;
}

// parse_args has checked that it is a whole number.
std::int64_t whole_number(std::string_view s) {
  std::int64_t n = 0;
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

bool read_json_file(const Invocation& inv, const ReadFile& read, Body& out) {
  auto path = inv.option("file");
  if (!path) return true;
  auto file = read(std::string(*path));
  if (!file.text) {
    out.error = "--file: " + file.error;
    return false;
  }
  boost::system::error_code ec;
  json::value v = json::parse(*file.text, ec);
  if (ec) {
    out.error = "--file " + std::string(*path) + ": not JSON: " + ec.message();
    return false;
  }
  if (!v.is_object()) {
    out.error = "--file " + std::string(*path) + " must hold a JSON object of subscription fields";
    return false;
  }
  out.object = std::move(v.get_object());
  return true;
}

}  // namespace

Body subscription_body(const Invocation& inv, const ReadFile& read) {
  Body out;
  if (!read_json_file(inv, read, out)) return out;
  json::object& body = out.object;
  // Removals first, so that a field both unset and given ends up given.
  for (const auto& path : inv.list("unset")) {
    auto dot = path.find('.');
    if (dot == std::string::npos)
      body[path] = nullptr;
    else
      member_object(body, path.substr(0, dot))[path.substr(dot + 1)] = nullptr;
  }
  for (auto [option, field] : std::initializer_list<Field>{
           {"name", "name"}, {"url", "url"}, {"body", "body"}, {"attempt-timeout", "timeout"}}) {
    if (auto v = inv.option(option)) body[field] = *v;
  }
  if (auto v = inv.option("retry-attempts"))
    member_object(body, "retry")["attempts"] = whole_number(*v);
  if (auto v = inv.option("retry-base")) member_object(body, "retry")["base"] = *v;
  if (auto v = inv.option("retry-cap")) member_object(body, "retry")["cap"] = *v;
  if (auto v = inv.option("max-in-flight")) body["max_in_flight"] = whole_number(*v);
  if (auto v = inv.option("enabled")) body["enabled"] = *v == "true";
  if (auto v = inv.option("tls-ca")) member_object(body, "tls")["ca"] = *v;
  for (auto [option, field] :
       std::initializer_list<Field>{{"event", "events"}, {"source", "sources"}}) {
    const auto& values = inv.list(option);
    if (values.empty()) continue;
    json::array a;
    for (const auto& v : values) a.emplace_back(v);
    body[field] = std::move(a);
  }
  for (auto [option, field] : std::initializer_list<Field>{
           {"header", "headers"}, {"label", "labels"}, {"filter", "filter"}, {"extra", "extra"}}) {
    for (const auto& text : inv.list(option)) {
      auto pair = split_pair(text);  // parse_args has checked the shape
      member_object(body, field)[pair->first] = pair->second;
    }
  }
  if (auto user = inv.option("basic-auth-user")) member_object(body, "basic_auth")["user"] = *user;
  // A password may end in spaces; only the file's line end is not part of it.
  if (auto password = secret_from_file(inv, "basic-auth-password-file", read, trim_line_ends, out))
    member_object(body, "basic_auth")["password"] = *password;
  if (!out.error.empty()) return out;
  if (auto secret = secret_from_file(inv, "secret-file", read, trim, out)) body["secret"] = *secret;
  return out;
}

Body rotate_secret_body(const Invocation& inv, const ReadFile& read) {
  Body out;
  if (auto grace = inv.option("grace")) out.object["grace"] = *grace;
  if (auto secret = secret_from_file(inv, "secret-file", read, trim, out))
    out.object["secret"] = *secret;
  return out;
}

FileText read_text_file(const std::string& path) {
  if (path == "-") {
    std::ostringstream text;
    text << std::cin.rdbuf();
    if (std::cin.bad()) return {std::nullopt, "cannot read stdin"};
    return {text.str(), {}};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return {std::nullopt, "cannot read " + path + ": " + std::strerror(errno)};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return {std::nullopt, "cannot read " + path + ": " + std::strerror(errno)};
  return {std::move(text), {}};
}

}  // namespace hookd::hookctl
