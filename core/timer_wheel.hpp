#pragma once
// TimerWheel: a hashed timer wheel with rounds (Netty's HashedWheelTimer
// design) holding 64-bit tokens. It has no clock: the caller converts time to
// ticks. schedule() and cancel() are O(1); advance() returns the tokens due
// up to a tick. Entries live in one pooled vector with free-list reuse and
// intrusive slot lists (about 32 bytes each), so a million pending retries
// cost tens of megabytes, and delays of any length fit (rounds count the
// wheel turns left).
// Not thread-safe; hookd uses it on the io thread only.

#include <cstdint>
#include <limits>
#include <vector>

namespace hookd {

class TimerWheel {
 public:
  using Handle = std::uint32_t;  // identifies a scheduled entry until it fires or is cancelled
  static constexpr Handle kInvalid = std::numeric_limits<Handle>::max();

  // `slots` is rounded up to a power of two. `now_tick` is the current tick.
  explicit TimerWheel(std::uint32_t slots = 512, std::uint64_t now_tick = 0);

  // Due at `due_tick` (ticks at or before the current tick fire on the next advance()).
  Handle schedule(std::uint64_t token, std::uint64_t due_tick);
  // False when the handle is not scheduled (fired, cancelled, or never issued).
  bool cancel(Handle handle);
  // Moves time to `now_tick` and appends every token due by then to `out`,
  // in no particular order. Ticks never go backwards; a smaller value is ignored.
  void advance(std::uint64_t now_tick, std::vector<std::uint64_t>& out);
  // The earliest tick at which advance() may return something: exact for the
  // nearest entry within one turn; nullopt-like max() when empty.
  std::uint64_t next_due_tick() const;
  std::size_t size() const noexcept { return size_; }
  std::uint64_t current_tick() const noexcept { return tick_; }

 private:
  struct Entry {
    std::uint64_t token = 0;
    std::uint64_t due = 0;
    Handle prev = kInvalid, next = kInvalid;
    std::uint32_t slot = 0;
    bool live = false;
  };
  void link(Handle h);
  void unlink(Handle h);

  std::vector<Entry> entries_;
  std::vector<Handle> free_;
  std::vector<Handle> heads_;  // per slot
  std::uint32_t mask_;
  std::uint64_t tick_;
  std::size_t size_ = 0;
};

}  // namespace hookd
