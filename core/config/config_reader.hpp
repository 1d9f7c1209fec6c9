#pragma once
// Internal to the config loader (core/config*.cpp); not part of the config
// API. ConfigContext collects the problems of one load and resolves secret
// references; TableReader walks one toml++ table, checks its keys against a
// known list and reads typed values, turning every misfit into an error with
// the node's line. Neither ever throws for bad input.

#include <toml++/toml.h>

#include <boost/json/value.hpp>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"

namespace hookd {

// The longest duration any key takes (ten years): keys with a tighter bound
// name it where they are read.
inline constexpr Duration kMaxConfigDuration{3650LL * 24 * 3600 * 1000};


// The state of one load: the file name used in messages, the directory that
// relative "file:" secrets resolve against, and every error so far. Lives
// on the loading thread for the duration of one load_config call.
class ConfigContext {
 public:
  explicit ConfigContext(std::string file);

  const std::string& file() const noexcept { return file_; }
  void error(int line, std::string message);
  bool has_errors() const noexcept { return !errors_.empty(); }
  std::vector<ConfigError> take_errors() { return std::move(errors_); }

  // Resolves "env:NAME", "file:PATH" (relative to $CREDENTIALS_DIRECTORY
  // when set, else to the config file's directory; trailing newlines
  // trimmed) or an inline literal. On failure records an error under `path`
  // and returns nullopt. Messages name the variable or file, never a value.
  std::optional<std::string> resolve_secret(std::string_view raw, int line,
                                            const std::string& path);

  // Secrets from the admin API are taken literally: "env:" and "file:"
  // references would let an API client read the daemon's environment or
  // files into a header; they are refused.
  void set_literal_secrets(bool literal) noexcept { literal_secrets_ = literal; }

  // Converts a TOML value to JSON (dates and times become strings). NaN and
  // infinities are errors under `path`.
  std::optional<boost::json::value> to_json(const toml::node& node,
                                            const std::string& path);

 private:
  std::string file_;
  std::filesystem::path base_dir_;
  std::vector<ConfigError> errors_;
  bool literal_secrets_ = false;
};

int line_of(const toml::node& node) noexcept;
// "unknown source \"x\"; did you mean 'y'?" for a subscription's sources.
std::string unknown_source_message(std::string_view name,
                                   std::span<const std::string_view> known);
const char* type_name(const toml::node& node) noexcept;
// The closest of `candidates` within edit distance 2, or empty.
std::string_view closest_key(std::string_view key,
                             std::span<const std::string_view> candidates);
// Reads a whole file of at most `max_bytes`; on failure returns nullopt and
// sets `reason` (never to any of the file's content).
std::optional<std::string> read_file(const std::filesystem::path& path,
                                     std::size_t max_bytes,
                                     std::string& reason);

// Reads one table at `path` ("server", "subscription \"thumbs\".retry"; empty
// for the root). The constructor reports keys not in `known`. The context
// and the table must outlive the reader.
class TableReader {
 public:
  TableReader(ConfigContext& ctx, const toml::table& table, std::string path,
              std::initializer_list<std::string_view> known);

  const std::string& path() const noexcept { return path_; }
  std::string path_of(std::string_view key) const;
  int line() const noexcept { return hookd::line_of(table_); }
  int line_of(std::string_view key) const;
  const toml::node* get(std::string_view key) const;
  // The line of element `index` of the array at `key`.
  int element_line(std::string_view key, std::size_t index) const;
  bool has(std::string_view key) const { return get(key) != nullptr; }

  // Each returns nullopt when the key is absent, and records an error and
  // returns nullopt when the value does not fit.
  std::optional<std::string> string(std::string_view key);
  std::optional<std::string> nonempty_string(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key);
  // 1..max.
  std::optional<std::uint32_t> positive_u32(
      std::string_view key, std::uint32_t max = std::numeric_limits<std::uint32_t>::max());
  // min..max.
  std::optional<std::uint32_t> u32_between(std::string_view key, std::uint32_t min,
                                           std::uint32_t max);
  std::optional<bool> boolean(std::string_view key);
  // > 0 and at most `max`, so that no deadline or expiry time overflows.
  std::optional<Duration> duration(std::string_view key, Duration max = kMaxConfigDuration);
  std::optional<std::uint64_t> size(std::string_view key, std::uint64_t max);  // 1..max
  std::optional<std::vector<std::string>> string_array(std::string_view key);
  // An array of address ranges ("10.0.0.0/8", "::1/128"); a bad element is
  // an error naming it, and is left out.
  std::optional<std::vector<Cidr>> cidr_array(std::string_view key);
  const toml::table* table(std::string_view key);
  std::optional<std::string> secret(std::string_view key);

  // Records "path.key: message" at the key's line.
  void error(std::string_view key, const std::string& message);
  // Records "path: message" at the table's line.
  void error_here(const std::string& message);

  ConfigContext& context() noexcept { return ctx_; }

 private:
  void wrong_type(std::string_view key, const toml::node& node,
                  const char* expected);

  ConfigContext& ctx_;
  const toml::table& table_;
  std::string path_;
};

// How messages name element `index` of an array of tables of `kind`:
// `source "minio"` when it has a valid name, else `source[1]`.
std::string element_path(std::string_view kind, std::size_t index,
                         const toml::table& table);

// One [[source]] or [[subscription]] table, index `index` in its array.
// Always returns the struct, as complete as the table allows, so that cross
// checks (duplicate names, source references) still run; problems go to
// `ctx`. Defined in core/config_schema.cpp.
SourceConfig read_source(ConfigContext& ctx, const toml::table& table,
                         std::size_t index);
SubscriptionConfig read_subscription(ConfigContext& ctx,
                                     const toml::table& table,
                                     std::size_t index);
// The same with messages under `path` (empty: bare keys, as the admin API
// names JSON fields: "retry.base: ...").
SubscriptionConfig read_subscription_at(ConfigContext& ctx,
                                        const toml::table& table,
                                        std::string path);

}  // namespace hookd
