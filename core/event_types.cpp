#include "core/event_types.hpp"

#include "core/text.hpp"

#include <algorithm>

namespace hookd {

void EventTypeStats::add(std::int64_t ms) noexcept { merge(EventTypeStats{1, ms, ms}); }

void EventTypeStats::merge(const EventTypeStats& other) noexcept {
  if (other.count == 0) return;
  if (count == 0) {
    *this = other;
    return;
  }
  count += other.count;
  first_seen_ms = std::min(first_seen_ms, other.first_seen_ms);
  last_seen_ms = std::max(last_seen_ms, other.last_seen_ms);
}

EventTypeCatalog::EventTypeCatalog(std::size_t max_pairs) : max_pairs_(max_pairs) {}

bool EventTypeCatalog::acceptable(std::string_view type) noexcept {
  return type.size() <= kMaxEventTypeBytes && type.find('\0') == std::string_view::npos;
}

bool EventTypeCatalog::contains(std::string_view source, std::string_view type) const {
  return pairs_.find(std::pair(source, type)) != pairs_.end();
}

const EventTypeStats* EventTypeCatalog::find(std::string_view source, std::string_view type) const {
  auto it = pairs_.find(std::pair(source, type));
  return it == pairs_.end() ? nullptr : &it->second.stats;
}

bool EventTypeCatalog::merge_into(std::string_view source, std::string_view type,
                                  const EventTypeStats& stats, bool mark) {
  auto it = pairs_.find(std::pair(source, type));
  if (it == pairs_.end()) {
    if (!acceptable(type) || !has_room()) {
      if (mark) dropped_ += stats.count;  // a stored pair is not an event
      return false;
    }
    it = pairs_.emplace(std::pair(std::string(source), std::string(type)), Slot{}).first;
  }
  it->second.stats.merge(stats);
  if (mark && !it->second.changed) {
    it->second.changed = true;
    ++changed_;
  }
  return true;
}

bool EventTypeCatalog::add(std::string_view source, std::string_view type,
                           const EventTypeStats& stats) {
  return merge_into(source, type, stats, true);
}

bool EventTypeCatalog::record(std::string_view source, std::string_view type, std::int64_t ms) {
  return add(source, type, EventTypeStats{1, ms, ms});
}

bool EventTypeCatalog::load(std::string_view source, std::string_view type,
                            const EventTypeStats& stats) {
  return merge_into(source, type, stats, false);
}

std::vector<EventTypeEntry> EventTypeCatalog::list(std::optional<std::string_view> source) const {
  std::vector<EventTypeEntry> out;
  auto it = source ? pairs_.lower_bound(std::pair(*source, std::string_view())) : pairs_.begin();
  for (; it != pairs_.end(); ++it) {
    if (source && it->first.first != *source) break;
    out.push_back({it->first.first, it->first.second, it->second.stats});
  }
  return out;
}

std::vector<EventTypeEntry> EventTypeCatalog::take_changed() {
  std::vector<EventTypeEntry> out;
  out.reserve(changed_);
  for (auto& [key, slot] : pairs_) {
    if (!slot.changed) continue;
    slot.changed = false;
    out.push_back({key.first, key.second, slot.stats});
  }
  changed_ = 0;
  return out;
}

void EventTypeCatalog::mark_changed(std::string_view source, std::string_view type) {
  auto it = pairs_.find(std::pair(source, type));
  if (it == pairs_.end() || it->second.changed) return;
  it->second.changed = true;
  ++changed_;
}

std::vector<std::pair<std::string, std::string>> EventTypeCatalog::last_seen_before(
    std::int64_t cutoff_ms) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, slot] : pairs_)
    if (slot.stats.last_seen_ms < cutoff_ms) out.push_back(key);
  return out;
}

bool EventTypeCatalog::erase(std::string_view source, std::string_view type) {
  auto it = pairs_.find(std::pair(source, type));
  if (it == pairs_.end()) return false;
  if (it->second.changed) --changed_;
  pairs_.erase(it);
  return true;
}

void EventTypeCatalog::clear() noexcept {
  pairs_.clear();
  changed_ = 0;
  dropped_ = 0;
}

}  // namespace hookd
