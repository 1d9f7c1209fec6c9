#pragma once
// TimerWheel: a hashed timer wheel with rounds (Netty's HashedWheelTimer
// design) holding 64-bit tokens. It has no clock: the caller converts time to
// ticks. schedule() and cancel() are O(1); advance() returns the tokens due
// up to a tick. Entries live in one pooled vector with free-list reuse and
// intrusive slot lists (32 bytes each), so a million pending retries cost
// about 32 MiB, and delays of any length fit: each entry keeps its absolute
// due tick, so entries of later turns simply stay in their slot until then.
//
// Invariants: every entry in a wheel slot has due > current_tick() and sits
// in slot (due & mask); entries scheduled at or before the current tick sit
// on a separate overdue list that the next advance() drains. A handle names
// one scheduling only: it carries the entry's generation, which changes each
// time the entry is released, so a stale handle never cancels a newer entry
// that reuses the same storage (generations wrap after 2^32 reuses of one
// entry).
// Not thread-safe; hookd uses it on the io thread only.

#include <cstdint>
#include <limits>
#include <vector>

namespace hookd {

class TimerWheel {
 public:
  // Identifies a scheduled entry until it fires or is cancelled: the entry's
  // generation in the high 32 bits and its index in the low 32 bits.
  using Handle = std::uint64_t;
  static constexpr Handle kInvalid = std::numeric_limits<Handle>::max();

  // `slots` is rounded up to a power of two (at least 1, at most 2^30).
  // `now_tick` is the current tick.
  explicit TimerWheel(std::uint32_t slots = 512, std::uint64_t now_tick = 0);

  // Due at `due_tick` (ticks at or before the current tick fire on the next advance()).
  Handle schedule(std::uint64_t token, std::uint64_t due_tick);
  // False when the handle is not scheduled (fired, cancelled, or never issued).
  bool cancel(Handle handle);
  // Moves time to `now_tick` and appends every token due by then to `out`,
  // in no particular order. Ticks never go backwards; a smaller value only
  // drains entries scheduled in the past. Walks at most
  // min(now_tick - current_tick(), slots) slots, visiting every entry in them.
  void advance(std::uint64_t now_tick, std::vector<std::uint64_t>& out);
  // The earliest tick at which advance() returns something; max() when
  // empty. Always exact: current_tick() when an entry is overdue, else the
  // due tick of the nearest slot holding an entry of the current turn, found
  // by walking slots in order (cost: the slots passed plus the entries in
  // them). When every entry lies in a later turn it walks all slots and all
  // entries: O(slots + size()).
  std::uint64_t next_due_tick() const;
  std::size_t size() const noexcept { return size_; }
  std::uint64_t current_tick() const noexcept { return tick_; }
  std::uint32_t slots() const noexcept { return mask_ + 1; }
  // Reserves room for `n` entries (used when the wheel is rebuilt on boot).
  void reserve(std::size_t n) { entries_.reserve(n); }
  // Bytes held by the wheel's vectors (capacity, not size); for benchmarks.
  std::size_t memory_bytes() const noexcept;

 private:
  using Index = std::uint32_t;
  static constexpr Index kNil = std::numeric_limits<Index>::max();
  static constexpr std::uint32_t kFreeSlot = std::numeric_limits<std::uint32_t>::max();

  struct Entry {
    std::uint64_t token = 0;
    std::uint64_t due = 0;
    Index prev = kNil, next = kNil;  // slot list; `next` links the free list
    std::uint32_t generation = 0;
    std::uint32_t slot = kFreeSlot;  // a wheel slot, overdue_slot(), or kFreeSlot
  };
  static_assert(sizeof(Entry) == 32, "keep entries at 32 bytes");
  std::uint32_t overdue_slot() const noexcept { return mask_ + 1; }
  Index allocate();
  void release(Index i);
  void link(Index i, std::uint32_t slot);
  void unlink(Index i);
  // Fires (unlinks, releases and appends to out) every entry of `slot` due by `now`.
  void collect(std::uint32_t slot, std::uint64_t now, std::vector<std::uint64_t>& out);

  std::vector<Entry> entries_;
  Index free_head_ = kNil;    // released entries, linked through Entry::next
  std::vector<Index> heads_;  // per slot, plus the overdue list last
  std::uint32_t mask_;
  std::uint64_t tick_;
  std::size_t size_ = 0;
};

}  // namespace hookd
