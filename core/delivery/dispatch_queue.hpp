#pragma once
// DispatchQueue: the due deliveries of every subscription, handed out
// round-robin across subscriptions within a global in-flight limit and each
// subscription's own, so that a hanging or failing subscription uses only
// its share. After a delivery of subscription i is handed out, the search
// for the next starts at i + 1.
//
// Pure: no clock, no I/O. Subscriptions are dense indexes the caller
// assigns; tokens are the caller's handles of deliveries. Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace hookd {

class DispatchQueue {
 public:
  using Token = std::uint32_t;
  using Sub = std::uint32_t;

  struct Entry {
    Sub sub;
    Token token;
  };

  // At most `max_in_flight` attempts of `s` at once; 0 holds its queue
  // (paused, disabled). New subscriptions start with 0.
  void set_limit(Sub s, std::uint32_t max_in_flight);
  void push(Sub s, Token t);
  // The next due delivery, removed from its queue, when the total in flight
  // is below `global_limit` and some subscription with a due delivery is
  // below its limit; nullopt otherwise. The caller then starts it (and calls
  // started()) or parks it elsewhere.
  std::optional<Entry> next(std::size_t global_limit);
  void started(Sub s);
  void finished(Sub s);
  // Removes and returns every due delivery of `s`.
  std::vector<Token> take(Sub s);

  std::size_t ready(Sub s) const { return s < subs_.size() ? subs_[s].ready.size() : 0; }
  std::size_t in_flight(Sub s) const { return s < subs_.size() ? subs_[s].in_flight : 0; }
  std::size_t in_flight() const noexcept { return in_flight_; }

 private:
  struct PerSub {
    std::deque<Token> ready;
    std::uint32_t limit = 0;
    std::uint32_t in_flight = 0;
  };
  PerSub& at(Sub s);

  std::vector<PerSub> subs_;
  std::size_t in_flight_ = 0;
  std::size_t cursor_ = 0;
};

}  // namespace hookd
