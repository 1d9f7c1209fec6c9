#pragma once
// Helpers shared by the config tests: a temporary directory, a scoped
// environment variable, and error assertions on a ConfigLoad.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/config.hpp"

namespace hookd::config_test {

namespace fs = std::filesystem;

inline constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
inline constexpr const char* kSecret2 = "whsec_c2Vjb25kIHNlY3JldA==";
inline constexpr const char* kServer = "[server]\nlisten = [\"127.0.0.1:0\"]\n";

// A fresh directory, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "hookd-config-XXXXXX");
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) {
    std::ofstream(path_ / name, std::ios::binary) << content;
    return (path_ / name).string();
  }

 private:
  fs::path path_;
};

// Sets (or with nullopt unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value)
      : name_(std::move(name)) {
    if (const char* old = ::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

inline ConfigLoad load(const std::string& text) {
  return load_config_text(text, "test.toml");
}

inline std::string all_errors(const ConfigLoad& l) {
  std::string out;
  for (const ConfigError& e : l.errors) out += e.to_string() + "\n";
  return out;
}

inline ::testing::AssertionResult has_error(const ConfigLoad& l, int line,
                                            std::string_view text) {
  for (const ConfigError& e : l.errors) {
    if (e.line == line && e.message.find(text) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no error at line " << line
                                       << " containing '" << text << "'; got:\n"
                                       << all_errors(l);
}

}  // namespace hookd::config_test
