#pragma once
// One line per log entry on stderr, with the "<N>" syslog priority prefix
// journald reads:  <4>delivery.retry sub=orders attempt=3 ec="timeout"
// Event names are stable; keys are snake_case. Values with spaces, quotes or
// '=' are quoted. Callers never pass secrets or query strings.
// Thread-safe: each line is written with one write(2).

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace hookd::log {

enum class Level { error = 3, warn = 4, info = 6, debug = 7 };

struct Field {
  std::string_view key;
  std::string value;
  Field(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  template <class Int, class = std::enable_if_t<std::is_arithmetic_v<Int>>>
  Field(std::string_view k, Int v) : key(k), value(std::to_string(v)) {}
};

void set_level(Level max_level);
bool enabled(Level level);
void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void error(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::error, e, f); }
inline void warn(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::warn, e, f); }
inline void info(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::info, e, f); }
inline void debug(std::string_view e, std::initializer_list<Field> f = {}) {
  if (enabled(Level::debug)) write(Level::debug, e, f);
}

}  // namespace hookd::log
