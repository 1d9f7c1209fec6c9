#pragma once
// EventTypeCatalog: every (source, type) pair hookd has accepted, with a
// count and the first and last receive time: the aggregate behind
// GET /v1/event-types (docs/admin-api.md). Types are sender-controlled, so
// the number of pairs is capped: a new pair beyond the cap is not added and
// its events are counted in dropped() instead.
//
// Each pair has a "changed" mark, set by add() and cleared by
// take_changed(): what a periodic flush still has to write (load() leaves it
// clear: the stored value is already that).
//
// Pure and not thread-safe: the owner serializes access
// (storage/event_type_table.hpp holds it under a mutex). The same class
// also serves as a small delta (one write group's events) merged into the
// main catalog with add().

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd {

// Pairs kept at most when [storage] max_event_types is not set.
inline constexpr std::size_t kDefaultMaxEventTypes = 10'000;

struct EventTypeStats {
  std::uint64_t count = 0;
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;

  // One more event received at `ms`.
  void add(std::int64_t ms) noexcept;
  // Counts summed, first seen the earlier, last seen the later of both.
  void merge(const EventTypeStats& other) noexcept;
  bool operator==(const EventTypeStats&) const = default;
};

struct EventTypeEntry {
  std::string source;
  std::string type;
  EventTypeStats stats;
  bool operator==(const EventTypeEntry&) const = default;
};

class EventTypeCatalog {
 public:
  explicit EventTypeCatalog(std::size_t max_pairs = kDefaultMaxEventTypes);

  // False for a type that no parser lets through (longer than
  // kMaxEventTypeBytes, or holding '\0', which storage keys rely on): such a
  // type is never catalogued, whatever bug let it reach here.
  static bool acceptable(std::string_view type) noexcept;

  bool contains(std::string_view source, std::string_view type) const;
  // The pair's stats; null when it is not catalogued.
  const EventTypeStats* find(std::string_view source, std::string_view type) const;
  std::size_t size() const noexcept { return pairs_.size(); }
  std::size_t max_pairs() const noexcept { return max_pairs_; }
  // Whether `n` more new pairs fit under the cap.
  bool has_room(std::size_t n = 1) const noexcept { return pairs_.size() + n <= max_pairs_; }

  // Merges `stats` into the pair's, adding the pair if it is new and fits;
  // marks it changed. A new pair that does not fit (or an unacceptable type)
  // is not added: stats.count goes to dropped() and add() returns false.
  bool add(std::string_view source, std::string_view type, const EventTypeStats& stats);
  // One event of (source, type) received at `ms`: add() of {1, ms, ms}.
  bool record(std::string_view source, std::string_view type, std::int64_t ms);
  // A stored pair read at start: add() without the changed mark, and a pair
  // that does not fit is not counted in dropped() (it holds no new event).
  bool load(std::string_view source, std::string_view type, const EventTypeStats& stats);
  // Events whose pair was not catalogued, counted by another catalog.
  void count_dropped(std::uint64_t n) noexcept { dropped_ += n; }

  // Events whose new pair was refused (cap or unacceptable type).
  std::uint64_t dropped() const noexcept { return dropped_; }
  // Pairs added or changed since the last take_changed().
  std::size_t changed() const noexcept { return changed_; }

  // Every pair, or those of `source`, by source then type (bytewise).
  std::vector<EventTypeEntry> list(std::optional<std::string_view> source = std::nullopt) const;
  // Calls fn(const EventTypeEntry&) for every pair, by source then type.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [key, slot] : pairs_) fn(EventTypeEntry{key.first, key.second, slot.stats});
  }
  // The changed pairs as they are now, clearing their marks.
  std::vector<EventTypeEntry> take_changed();
  // Marks a pair changed again (its flush failed); unknown pairs are ignored.
  void mark_changed(std::string_view source, std::string_view type);

  // Pairs last seen before `cutoff_ms`, by source then type.
  std::vector<std::pair<std::string, std::string>> last_seen_before(std::int64_t cutoff_ms) const;
  // Removes a pair; false when it is not there.
  bool erase(std::string_view source, std::string_view type);

  // Forgets every pair and the dropped count.
  void clear() noexcept;

 private:
  struct Slot {
    EventTypeStats stats;
    bool changed = false;
  };
  // (source, type) ordered bytewise, looked up without building a key.
  struct Less {
    using is_transparent = void;
    using View = std::pair<std::string_view, std::string_view>;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return View(a.first, a.second) < View(b.first, b.second);
    }
  };
  using Map = std::map<std::pair<std::string, std::string>, Slot, Less>;

  bool merge_into(std::string_view source, std::string_view type, const EventTypeStats& stats,
                  bool mark);

  std::size_t max_pairs_;
  Map pairs_;
  std::size_t changed_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace hookd
