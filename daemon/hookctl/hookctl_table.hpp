#pragma once
// Human-readable output for hookctl: aligned tables, key/value blocks, and
// the text of JSON values. Everything printed is cleaned of control
// characters, since event fields and response excerpts come from outside and
// could otherwise drive the terminal.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd::hookctl {

enum class Align { left, right };

struct Column {
  std::string title;
  Align align = Align::left;
  std::size_t max_width = 0;  // cells longer than this are cut with "..."; 0: no limit
};

// Columns separated by two spaces, a header row of titles, no trailing
// spaces. Widths count UTF-8 code points.
class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  // Missing cells are empty; extra cells are ignored.
  void add_row(std::vector<std::string> cells);
  bool empty() const noexcept { return rows_.empty(); }
  std::string render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// "key   value" lines with the values aligned.
std::string key_values(const std::vector<std::pair<std::string, std::string>>& rows);

// `s` with control characters as spaces (or kept, for '\n' and '\t', when
// `multiline`), cut to `max_width` code points with "..." (0: no limit).
std::string clean(std::string_view s, std::size_t max_width = 0, bool multiline = false);

// The text of `object[key]`: strings cleaned, numbers and booleans as JSON
// writes them, null or missing "-".
std::string text(const boost::json::object& object, std::string_view key);
// `object[key]` when it is an object, else an empty one.
const boost::json::object& object_at(const boost::json::object& object, std::string_view key);
// `object[key]` when it is an array, else an empty one.
const boost::json::array& array_at(const boost::json::object& object, std::string_view key);

}  // namespace hookd::hookctl
