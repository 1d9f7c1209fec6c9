// The TOML config loader: the input is the file's text (load_config_text).
// Checks that a load yields a config or errors, never both; that errors name
// the file and come sorted by line; and that an accepted config satisfies
// what validation promises (names, unique sources, listeners, references).
//
// "env:" and "file:" secrets are resolved as the loader does; relative file:
// paths resolve in a directory that does not exist, so that they fail the
// same way every run.

#include "core/config/config.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <algorithm>
#include <set>

using namespace hookd;

namespace {

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::setenv("CREDENTIALS_DIRECTORY", "/nonexistent/hookd-fuzz", 1);
  return 0;
}

// toml++ 3.3.0's is_non_ascii_horizontal_whitespace() reaches
// TOML_UNREACHABLE (undefined behaviour, also in Debian's release library)
// for a code point in U+00A1-U+0499, U+2BAE-U+2FA7 or U+FAB6-U+FEFE where
// the parser looks for whitespace (tests/fuzz/known/). Inputs with such
// characters are skipped, so that the fuzzer goes on finding other bugs.
bool has_toml_unreachable_code_point(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    const auto next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (b >= 0xC2 && b <= 0xD2) return true;                    // U+0080-U+04BF
    if (b == 0xE2 && next >= 0xAE && next <= 0xBF) return true;  // U+2B80-U+2FFF
    if (b == 0xEF && next >= 0xAA && next <= 0xBB) return true;  // U+FA80-U+FEFF
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (has_toml_unreachable_code_point(text)) return 0;
  const std::string file = "fuzz.toml";
  ConfigLoad load = load_config_text(text, file);
  FUZZ_CHECK((load.config == nullptr) != load.errors.empty());
  for (std::size_t i = 0; i < load.errors.size(); ++i) {
    const ConfigError& e = load.errors[i];
    FUZZ_CHECK(e.file == file);
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK(e.line >= 0);
    if (i > 0) FUZZ_CHECK(load.errors[i - 1].line <= e.line);
  }
  if (!load.config) return 0;

  const Config& cfg = *load.config;
  FUZZ_CHECK(cfg.file == file);
  FUZZ_CHECK(!cfg.server.listen.empty());
  std::set<std::string> sources;
  for (const SourceConfig& s : cfg.sources) {
    FUZZ_CHECK(valid_name(s.name));
    FUZZ_CHECK(sources.insert(s.name).second);
    FUZZ_CHECK(cfg.find_source(s.name) == &s);
  }
  std::set<std::string> subs;
  for (const SubscriptionConfig& s : cfg.subscriptions) {
    FUZZ_CHECK(valid_name(s.name));
    FUZZ_CHECK(subs.insert(s.name).second);
    FUZZ_CHECK(s.url.starts_with("http://") || s.url.starts_with("https://"));
    for (const std::string& src : s.sources) FUZZ_CHECK(sources.count(src) == 1);
    FUZZ_CHECK(s.retry.attempts >= 1);
  }
  // The value parsers accept what they print.
  for (const ListenAddress& a : cfg.server.listen) {
    auto again = parse_listen(a.to_string());
    FUZZ_CHECK(again && again->host == a.host && again->port == a.port);
  }
  for (const SourceConfig& s : cfg.sources) {
    for (const Cidr& c : s.allow_from) {
      auto again = parse_cidr(c.to_string());
      FUZZ_CHECK(again && again->v6 == c.v6 && again->prefix == c.prefix &&
                 std::equal(c.bytes, c.bytes + 16, again->bytes));
    }
  }
  return 0;
}
