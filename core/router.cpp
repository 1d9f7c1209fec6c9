#include "core/router.hpp"

#include <algorithm>

namespace hookd {

namespace {

// Splits an event type or a pattern into its segments on ':' and '.'.
// "s3:ObjectCreated:Put" -> {"s3", "ObjectCreated", "Put"}.
std::vector<std::string_view> split_type(std::string_view type) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= type.size(); ++i) {
    if (i == type.size() || type[i] == ':' || type[i] == '.') {
      segments.push_back(type.substr(start, i - start));
      start = i + 1;
    }
  }
  return segments;
}

template <class Segment>
bool segments_match(const std::vector<Segment>& pattern,
                    const std::vector<std::string_view>& type) {
  if (pattern.size() != type.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != "*" && pattern[i] != type[i]) return false;
  }
  return true;
}

// An absent filter holds; a present one needs the attribute and `test`.
template <class Test>
bool holds(const std::optional<std::string>& want, const std::optional<std::string>& have,
           Test test) {
  if (!want) return true;
  return have && test(*have, *want);
}

bool equal(const std::string& have, const std::string& want) { return have == want; }

}  // namespace

bool type_matches(std::string_view pattern, std::string_view type) {
  return segments_match(split_type(pattern), split_type(type));
}

bool filter_matches(const SubscriptionFilter& filter, const EventAttributes& attrs) {
  auto starts = [](const std::string& have, const std::string& want) {
    return have.starts_with(want);
  };
  auto ends = [](const std::string& have, const std::string& want) { return have.ends_with(want); };
  return holds(filter.bucket, attrs.bucket, equal) &&
         holds(filter.prefix, attrs.object_key, starts) &&
         holds(filter.suffix, attrs.object_key, ends) &&
         holds(filter.workspace, attrs.workspace, equal) &&
         holds(filter.collection, attrs.collection, equal) &&
         holds(filter.resource_type, attrs.resource_type, equal);
}

Router::Router(const std::vector<SubscriptionConfig>& subscriptions) {
  subs_.reserve(subscriptions.size());
  for (const SubscriptionConfig& sub : subscriptions) {
    Compiled c;
    for (const std::string& pattern : sub.events) {
      std::vector<std::string> segments;
      for (std::string_view s : split_type(pattern)) segments.emplace_back(s);
      c.patterns.push_back(std::move(segments));
    }
    c.sources = sub.sources;
    c.filter = sub.filter;
    c.enabled = sub.enabled;
    subs_.push_back(std::move(c));
  }
}

std::vector<std::size_t> Router::match(const Event& event) const {
  std::vector<std::size_t> matched;
  const std::vector<std::string_view> type = split_type(event.type);
  for (std::size_t i = 0; i < subs_.size(); ++i) {
    const Compiled& c = subs_[i];
    if (!c.enabled) continue;
    if (!c.sources.empty() &&
        std::find(c.sources.begin(), c.sources.end(), event.source) == c.sources.end()) {
      continue;
    }
    if (!c.patterns.empty() &&
        std::none_of(c.patterns.begin(), c.patterns.end(),
                     [&](const auto& p) { return segments_match(p, type); })) {
      continue;
    }
    if (!filter_matches(c.filter, event.attrs)) continue;
    matched.push_back(i);
  }
  return matched;
}

}  // namespace hookd
