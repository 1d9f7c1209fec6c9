#pragma once
// Router: which subscriptions an event fans out to. Built from the config's
// subscriptions (patterns split once); match() is called per event on the io
// thread. Immutable after construction.

#include "core/config/config.hpp"
#include "core/event.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hookd {

// Event types split into segments on ':' and '.'; a pattern matches a type
// when both have the same number of segments and every pattern segment is
// "*" or equal to the type's segment.
bool type_matches(std::string_view pattern, std::string_view type);

// All given filters must hold; a filter on a field the event does not have
// fails.
bool filter_matches(const SubscriptionFilter& filter, const EventAttributes& attrs);

class Router {
 public:
  explicit Router(const std::vector<SubscriptionConfig>& subscriptions);
  // Indices into the subscriptions vector, in config order. Disabled
  // subscriptions never match.
  std::vector<std::size_t> match(const Event& event) const;

 private:
  struct Compiled {
    std::vector<std::vector<std::string>> patterns;  // split segments
    std::vector<std::string> sources;
    SubscriptionFilter filter;
    bool enabled = true;
  };
  std::vector<Compiled> subs_;
};

}  // namespace hookd
