#include "core/delivery/dispatch_queue.hpp"

namespace hookd {

DispatchQueue::PerSub& DispatchQueue::at(Sub s) {
  if (s >= subs_.size()) subs_.resize(static_cast<std::size_t>(s) + 1);
  return subs_[s];
}

void DispatchQueue::set_limit(Sub s, std::uint32_t max_in_flight) { at(s).limit = max_in_flight; }

void DispatchQueue::push(Sub s, Token t) { at(s).ready.push_back(t); }

std::optional<DispatchQueue::Entry> DispatchQueue::next(std::size_t global_limit) {
  if (in_flight_ >= global_limit || subs_.empty()) return std::nullopt;
  const std::size_t n = subs_.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t idx = (cursor_ + k) % n;
    PerSub& p = subs_[idx];
    if (p.ready.empty() || p.in_flight >= p.limit) continue;
    Token t = p.ready.front();
    p.ready.pop_front();
    cursor_ = idx + 1;
    return Entry{static_cast<Sub>(idx), t};
  }
  return std::nullopt;
}

void DispatchQueue::started(Sub s) {
  ++at(s).in_flight;
  ++in_flight_;
}

void DispatchQueue::finished(Sub s) {
  PerSub& p = at(s);
  if (p.in_flight > 0) --p.in_flight;
  if (in_flight_ > 0) --in_flight_;
}

std::vector<DispatchQueue::Token> DispatchQueue::take(Sub s) {
  PerSub& p = at(s);
  std::vector<Token> out(p.ready.begin(), p.ready.end());
  p.ready.clear();
  return out;
}

}  // namespace hookd
