#include "core/delivery/timer_wheel.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace hookd {

namespace {

constexpr std::uint32_t kMaxSlots = std::uint32_t{1} << 30;

std::uint32_t round_slots(std::uint32_t slots) {
  return std::bit_ceil(std::clamp<std::uint32_t>(slots, 1, kMaxSlots));
}

}  // namespace

TimerWheel::TimerWheel(std::uint32_t slots, std::uint64_t now_tick)
    : heads_(round_slots(slots) + 1, kNil), mask_(round_slots(slots) - 1), tick_(now_tick) {}

TimerWheel::Index TimerWheel::allocate() {
  if (free_head_ != kNil) {
    Index i = free_head_;
    free_head_ = entries_[i].next;
    return i;
  }
  // kNil is never a valid index, so a handle's low half is never all ones.
  if (entries_.size() >= kNil) throw std::length_error("TimerWheel: too many entries");
  entries_.emplace_back();
  return static_cast<Index>(entries_.size() - 1);
}

void TimerWheel::release(Index i) {
  Entry& e = entries_[i];
  ++e.generation;  // invalidates every handle issued for this use
  e.slot = kFreeSlot;
  e.prev = kNil;
  e.next = free_head_;
  free_head_ = i;
  --size_;
}

void TimerWheel::link(Index i, std::uint32_t slot) {
  Entry& e = entries_[i];
  e.slot = slot;
  e.prev = kNil;
  e.next = heads_[slot];
  if (e.next != kNil) entries_[e.next].prev = i;
  heads_[slot] = i;
}

void TimerWheel::unlink(Index i) {
  Entry& e = entries_[i];
  if (e.prev != kNil) {
    entries_[e.prev].next = e.next;
  } else {
    heads_[e.slot] = e.next;
  }
  if (e.next != kNil) entries_[e.next].prev = e.prev;
}

TimerWheel::Handle TimerWheel::schedule(std::uint64_t token, std::uint64_t due_tick) {
  Index i = allocate();
  Entry& e = entries_[i];
  e.token = token;
  e.due = due_tick;
  link(i, due_tick > tick_ ? static_cast<std::uint32_t>(due_tick & mask_) : overdue_slot());
  ++size_;
  return (Handle{e.generation} << 32) | i;
}

bool TimerWheel::cancel(Handle handle) {
  if (handle == kInvalid) return false;
  auto i = static_cast<Index>(handle & 0xffff'ffffu);
  auto generation = static_cast<std::uint32_t>(handle >> 32);
  if (i >= entries_.size()) return false;
  const Entry& e = entries_[i];
  if (e.slot == kFreeSlot || e.generation != generation) return false;
  unlink(i);
  release(i);
  return true;
}

void TimerWheel::collect(std::uint32_t slot, std::uint64_t now, std::vector<std::uint64_t>& out) {
  Index i = heads_[slot];
  while (i != kNil) {
    const Entry& e = entries_[i];
    Index next = e.next;
    if (e.due <= now) {
      out.push_back(e.token);
      unlink(i);
      release(i);
    }
    i = next;
  }
}

void TimerWheel::advance(std::uint64_t now_tick, std::vector<std::uint64_t>& out) {
  // Every overdue entry has due <= tick_, so a smaller now_tick fires them too.
  collect(overdue_slot(), std::numeric_limits<std::uint64_t>::max(), out);
  if (now_tick <= tick_) return;
  // An entry due in (tick_, now_tick] sits in the slot of its due tick, so
  // walking those slots (each at most once) finds every due entry; entries
  // of later turns in the same slots stay.
  std::uint64_t steps = std::min<std::uint64_t>(now_tick - tick_, std::uint64_t{mask_} + 1);
  for (std::uint64_t k = 1; k <= steps && size_ > 0; ++k) {
    collect(static_cast<std::uint32_t>((tick_ + k) & mask_), now_tick, out);
  }
  tick_ = now_tick;
}

std::uint64_t TimerWheel::next_due_tick() const {
  if (size_ == 0) return std::numeric_limits<std::uint64_t>::max();
  if (heads_[overdue_slot()] != kNil) return tick_;
  // Slot of tick t holds entries due at t and at t + k * slots; the first
  // slot (in tick order) holding one due at t gives the exact answer. The
  // minimum over everything visited covers the case of later turns only.
  std::uint64_t earliest = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t slots = std::uint64_t{mask_} + 1;
  for (std::uint64_t k = 1; k <= slots; ++k) {
    const std::uint64_t t = tick_ + k;
    for (Index i = heads_[t & mask_]; i != kNil; i = entries_[i].next) {
      if (entries_[i].due == t) return t;
      earliest = std::min(earliest, entries_[i].due);
    }
  }
  return earliest;
}

std::size_t TimerWheel::memory_bytes() const noexcept {
  return entries_.capacity() * sizeof(Entry) + heads_.capacity() * sizeof(Index);
}

}  // namespace hookd
