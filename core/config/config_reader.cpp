#include "core/config/config_reader.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>

namespace hookd {
namespace {

constexpr std::size_t kMaxSecretFile = 1 << 20;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      std::size_t replace = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, replace});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join_path(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return path + "." + std::string(key);
}

}  // namespace

std::optional<std::string> read_file(const std::filesystem::path& p,
                                     std::size_t max_bytes,
                                     std::string& reason) {
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> f(std::fopen(p.c_str(), "rb"));
  if (!f) {
    reason = std::strerror(errno);
    return std::nullopt;
  }
  std::string data;
  char buf[4096];
  while (true) {
    std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
    data.append(buf, n);
    if (data.size() > max_bytes) {
      reason = "larger than " + std::to_string(max_bytes) + " bytes";
      return std::nullopt;
    }
    if (n < sizeof buf) break;
  }
  if (std::ferror(f.get())) {
    reason = std::strerror(errno);
    return std::nullopt;
  }
  return data;
}

ConfigContext::ConfigContext(std::string file) : file_(std::move(file)) {
  base_dir_ = std::filesystem::path(file_).parent_path();
  if (base_dir_.empty()) base_dir_ = ".";
}

void ConfigContext::error(int line, std::string message) {
  errors_.push_back(ConfigError{file_, line, std::move(message)});
}

std::optional<std::string> ConfigContext::resolve_secret(
    std::string_view raw, int line, const std::string& path) {
  if (literal_secrets_ && (raw.starts_with("env:") || raw.starts_with("file:"))) {
    error(line, path + ": \"env:\" and \"file:\" references are read only from the config file");
    return std::nullopt;
  }
  if (raw.starts_with("env:")) {
    std::string name(raw.substr(4));
    if (name.empty()) {
      error(line, path + ": \"env:\" needs a variable name");
      return std::nullopt;
    }
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      error(line, path + ": environment variable " + name + " is not set");
      return std::nullopt;
    }
    if (*value == '\0') {
      error(line, path + ": environment variable " + name + " is empty");
      return std::nullopt;
    }
    return std::string(value);
  }
  if (raw.starts_with("file:")) {
    std::filesystem::path p(raw.substr(5));
    if (p.empty()) {
      error(line, path + ": \"file:\" needs a path");
      return std::nullopt;
    }
    if (p.is_relative()) {
      const char* creds = std::getenv("CREDENTIALS_DIRECTORY");
      p = (creds != nullptr && *creds != '\0')
              ? std::filesystem::path(creds) / p
              : base_dir_ / p;
    }
    std::string reason;
    std::optional<std::string> data = read_file(p, kMaxSecretFile, reason);
    if (!data) {
      error(line, path + ": cannot read file " + p.string() + ": " + reason);
      return std::nullopt;
    }
    while (!data->empty() && (data->back() == '\n' || data->back() == '\r')) {
      data->pop_back();
    }
    if (data->empty()) {
      error(line, path + ": file " + p.string() + " is empty");
      return std::nullopt;
    }
    return data;
  }
  if (raw.empty()) {
    error(line, path + ": must not be empty (omit the key instead)");
    return std::nullopt;
  }
  return std::string(raw);
}

std::optional<boost::json::value> ConfigContext::to_json(
    const toml::node& node, const std::string& path) {
  switch (node.type()) {
    case toml::node_type::string:
      return boost::json::value(node.as_string()->get());
    case toml::node_type::integer:
      return boost::json::value(node.as_integer()->get());
    case toml::node_type::boolean:
      return boost::json::value(node.as_boolean()->get());
    case toml::node_type::floating_point: {
      double d = node.as_floating_point()->get();
      if (!std::isfinite(d)) {
        error(line_of(node), path + ": NaN and infinity are not valid JSON");
        return std::nullopt;
      }
      return boost::json::value(d);
    }
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: {
      std::ostringstream text;
      if (const auto* d = node.as_date()) text << *d;
      if (const auto* t = node.as_time()) text << *t;
      if (const auto* dt = node.as_date_time()) text << *dt;
      return boost::json::value(text.str());
    }
    case toml::node_type::array: {
      boost::json::array out;
      const toml::array& arr = *node.as_array();
      bool ok = true;
      for (std::size_t i = 0; i < arr.size(); ++i) {
        auto v = to_json(arr[i], path + "[" + std::to_string(i) + "]");
        if (!v) {
          ok = false;
          continue;
        }
        out.push_back(std::move(*v));
      }
      if (!ok) return std::nullopt;
      return boost::json::value(std::move(out));
    }
    case toml::node_type::table: {
      boost::json::object out;
      bool ok = true;
      for (auto&& [key, value] : *node.as_table()) {
        auto v = to_json(value, join_path(path, key.str()));
        if (!v) {
          ok = false;
          continue;
        }
        out[key.str()] = std::move(*v);
      }
      if (!ok) return std::nullopt;
      return boost::json::value(std::move(out));
    }
    case toml::node_type::none:
      break;
  }
  return boost::json::value(nullptr);
}

int line_of(const toml::node& node) noexcept {
  return static_cast<int>(node.source().begin.line);
}

const char* type_name(const toml::node& node) noexcept {
  switch (node.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string_view closest_key(std::string_view key,
                             std::span<const std::string_view> candidates) {
  std::string_view best;
  std::size_t best_distance = 3;
  for (std::string_view c : candidates) {
    std::size_t d = edit_distance(key, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

TableReader::TableReader(ConfigContext& ctx, const toml::table& table,
                         std::string path,
                         std::initializer_list<std::string_view> known)
    : ctx_(ctx), table_(table), path_(std::move(path)) {
  for (auto&& [key, value] : table_) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) {
      continue;
    }
    std::string message = path_.empty() ? "" : path_ + ": ";
    message += "unknown key '" + std::string(key.str()) + "'";
    std::string_view suggestion =
        closest_key(key.str(), std::span(known.begin(), known.size()));
    if (!suggestion.empty()) {
      message += "; did you mean '" + std::string(suggestion) + "'?";
    }
    ctx_.error(static_cast<int>(key.source().begin.line), std::move(message));
  }
}

std::string TableReader::path_of(std::string_view key) const {
  return join_path(path_, key);
}

int TableReader::line_of(std::string_view key) const {
  const toml::node* node = get(key);
  return node ? hookd::line_of(*node) : line();
}

const toml::node* TableReader::get(std::string_view key) const {
  return table_.get(key);
}

int TableReader::element_line(std::string_view key, std::size_t index) const {
  const toml::node* node = get(key);
  const toml::array* arr = node ? node->as_array() : nullptr;
  if (arr == nullptr || index >= arr->size()) return line_of(key);
  return hookd::line_of((*arr)[index]);
}

void TableReader::error(std::string_view key, const std::string& message) {
  ctx_.error(line_of(key), path_of(key) + ": " + message);
}

void TableReader::error_here(const std::string& message) {
  ctx_.error(line(),
             (path_.empty() ? std::string("config") : path_) + ": " + message);
}

void TableReader::wrong_type(std::string_view key, const toml::node& node,
                             const char* expected) {
  error(key, std::string("expected ") + expected + ", got " + type_name(node));
}

std::optional<std::string> TableReader::string(std::string_view key) {
  const toml::node* node = get(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* s = node->as_string()) return s->get();
  wrong_type(key, *node, "a string");
  return std::nullopt;
}

std::optional<std::string> TableReader::nonempty_string(std::string_view key) {
  std::optional<std::string> s = string(key);
  if (s && s->empty()) {
    error(key, "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key) {
  const toml::node* node = get(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* i = node->as_integer()) return i->get();
  wrong_type(key, *node, "an integer");
  return std::nullopt;
}

std::string format_duration(Duration d) {
  struct Unit {
    const char* name;
    std::int64_t ms;
  };
  static constexpr Unit kUnits[] = {
      {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};
  for (const Unit& u : kUnits)
    if (d.count() != 0 && d.count() % u.ms == 0) return std::to_string(d.count() / u.ms) + u.name;
  return std::to_string(d.count()) + "ms";
}

std::string format_size(std::uint64_t bytes) {
  struct Unit {
    const char* name;
    std::uint64_t scale;
  };
  static constexpr Unit kUnits[] = {
      {"TiB", 1ULL << 40}, {"GiB", 1ULL << 30}, {"MiB", 1ULL << 20}, {"KiB", 1ULL << 10}};
  for (const Unit& u : kUnits)
    if (bytes != 0 && bytes % u.scale == 0) return std::to_string(bytes / u.scale) + u.name;
  return std::to_string(bytes) + "B";
}

std::optional<std::uint32_t> TableReader::positive_u32(std::string_view key, std::uint32_t max) {
  return u32_between(key, 1, max);
}

std::optional<std::uint32_t> TableReader::u32_between(std::string_view key, std::uint32_t min,
                                                      std::uint32_t max) {
  std::optional<std::int64_t> i = integer(key);
  if (!i) return std::nullopt;
  const std::int64_t lo = min;
  const std::int64_t hi = max;
  if (*i < lo || *i > hi) {
    error(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*i);
}

std::optional<bool> TableReader::boolean(std::string_view key) {
  const toml::node* node = get(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* b = node->as_boolean()) return b->get();
  wrong_type(key, *node, "a boolean");
  return std::nullopt;
}

std::optional<Duration> TableReader::duration(std::string_view key, Duration max) {
  std::optional<std::string> s = string(key);
  if (!s) return std::nullopt;
  std::optional<Duration> d = parse_duration(*s);
  if (!d) {
    error(key, "invalid duration \"" + *s +
                   "\"; use a number with ms, s, m, h or d, e.g. \"10s\" or "
                   "\"1h30m\"");
    return std::nullopt;
  }
  if (d->count() == 0) {
    error(key, "must be greater than zero");
    return std::nullopt;
  }
  if (*d > max) {
    error(key, "\"" + *s + "\" is too long; at most " + format_duration(max));
    return std::nullopt;
  }
  return d;
}

std::optional<std::uint64_t> TableReader::size(std::string_view key, std::uint64_t max) {
  std::optional<std::string> s = string(key);
  if (!s) return std::nullopt;
  std::optional<std::uint64_t> n = parse_size(*s);
  if (!n) {
    error(key, "invalid size \"" + *s +
                   "\"; use a number with B, KB, KiB, MB, MiB, GB, GiB, TB "
                   "or TiB, e.g. \"1MiB\"");
    return std::nullopt;
  }
  if (*n == 0) {
    error(key, "must be greater than zero");
    return std::nullopt;
  }
  if (*n > max) {
    error(key, "\"" + *s + "\" is too large; at most " + format_size(max));
    return std::nullopt;
  }
  return n;
}

std::optional<std::vector<Cidr>> TableReader::cidr_array(std::string_view key) {
  auto texts = string_array(key);
  if (!texts) return std::nullopt;
  std::vector<Cidr> out;
  for (std::size_t i = 0; i < texts->size(); ++i) {
    if (auto cidr = parse_cidr((*texts)[i])) {
      out.push_back(*cidr);
      continue;
    }
    ctx_.error(element_line(key, i),
               path_of(key) + "[" + std::to_string(i) + "]: invalid CIDR \"" + (*texts)[i] + "\"");
  }
  return out;
}

std::optional<std::vector<std::string>> TableReader::string_array(
    std::string_view key) {
  const toml::node* node = get(key);
  if (node == nullptr) return std::nullopt;
  const toml::array* arr = node->as_array();
  if (arr == nullptr) {
    wrong_type(key, *node, "an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    if (const auto* s = (*arr)[i].as_string()) {
      out.push_back(s->get());
      continue;
    }
    ctx_.error(hookd::line_of((*arr)[i]),
               path_of(key) + "[" + std::to_string(i) +
                   "]: expected a string, got " + type_name((*arr)[i]));
    ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

const toml::table* TableReader::table(std::string_view key) {
  const toml::node* node = get(key);
  if (node == nullptr) return nullptr;
  if (const auto* t = node->as_table()) return t;
  wrong_type(key, *node, "a table");
  return nullptr;
}

std::optional<std::string> TableReader::secret(std::string_view key) {
  std::optional<std::string> raw = string(key);
  if (!raw) return std::nullopt;
  return ctx_.resolve_secret(*raw, line_of(key), path_of(key));
}

}  // namespace hookd
