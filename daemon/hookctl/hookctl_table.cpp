#include "daemon/hookctl/hookctl_table.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace hookd::hookctl {

namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return !is_continuation(c); }));
}

void pad(std::string& out, std::size_t n) { out.append(n, ' '); }

}  // namespace

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  for (std::size_t i = 0; i < cells.size(); ++i) cells[i] = clean(cells[i], columns_[i].max_width);
  rows_.push_back(std::move(cells));
}

std::string Table::render() const {
  std::vector<std::size_t> widths;
  for (const auto& c : columns_) widths.push_back(width(c.title));
  for (const auto& row : rows_)
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      bool last = i + 1 == cells.size();
      std::size_t gap = widths[i] - width(cells[i]);
      if (columns_[i].align == Align::right) pad(out, gap);
      out += cells[i];
      if (!last && columns_[i].align == Align::left) pad(out, gap);
      if (!last) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::vector<std::string> titles;
  for (const auto& c : columns_) titles.push_back(c.title);
  std::string out = line(titles);
  for (const auto& row : rows_) out += line(row);
  return out;
}

std::string key_values(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::size_t key_width = 0;
  for (const auto& [key, value] : rows) key_width = std::max(key_width, width(key));
  std::string out;
  for (const auto& [key, value] : rows) {
    out += key;
    pad(out, key_width - width(key) + 2);
    out += clean(value);
    out += "\n";
  }
  return out;
}

std::string clean(std::string_view s, std::size_t max_width, bool multiline) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool control = u < 0x20 || u == 0x7F;
    if (control && !(multiline && (c == '\n' || c == '\t'))) c = ' ';
    out += c;
  }
  if (max_width == 0 || width(out) <= max_width) return out;
  std::size_t keep = max_width > 3 ? max_width - 3 : 0;
  std::size_t seen = 0, cut = 0;
  for (; cut < out.size(); ++cut) {
    if (!is_continuation(out[cut]) && seen++ == keep) break;
  }
  out.resize(cut);
  return out + "...";
}

std::string text(const boost::json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  if (!v || v->is_null()) return "-";
  if (v->is_string()) return clean(v->get_string());
  return clean(boost::json::serialize(*v));
}

const boost::json::object& object_at(const boost::json::object& object, std::string_view key) {
  static const boost::json::object kEmpty;
  const auto* v = object.if_contains(key);
  return v && v->is_object() ? v->get_object() : kEmpty;
}

const boost::json::array& array_at(const boost::json::object& object, std::string_view key) {
  static const boost::json::array kEmpty;
  const auto* v = object.if_contains(key);
  return v && v->is_array() ? v->get_array() : kEmpty;
}

}  // namespace hookd::hookctl
