#include "daemon/log.hpp"

#include "core/text.hpp"

#include <unistd.h>

#include <atomic>

namespace hookd::log {
namespace {

std::atomic<int> g_max_level{static_cast<int>(Level::info)};

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ||
        c == 0x7F)
      return true;
  return false;
}

void append_value(std::string& out, std::string_view raw) {
  // A value may quote what a sender sent: one line, valid UTF-8, no controls.
  std::string repaired;
  std::string_view v = raw;
  if (!is_valid_utf8(raw)) {
    repaired = to_valid_utf8(raw);
    v = repaired;
  }
  if (!needs_quotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      out += '?';
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

void set_level(Level max_level) { g_max_level = static_cast<int>(max_level); }

bool enabled(Level level) { return static_cast<int>(level) <= g_max_level.load(); }

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(128);
  line += '<';
  line += static_cast<char>('0' + static_cast<int>(level));
  line += '>';
  line += event;
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.value);
  }
  line += '\n';
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace hookd::log
