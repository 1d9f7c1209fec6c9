#include "core/delivery/token_index.hpp"

#include <algorithm>
#include <bit>
#include <utility>

namespace hookd {

namespace {

constexpr std::size_t kMinSlots = 16;

// Slots for `n` tokens at most half full.
std::size_t slots_for(std::size_t n) { return std::bit_ceil(std::max(kMinSlots, 2 * n)); }

}  // namespace

void TokenIndex::reserve(std::size_t n) {
  if (slots_for(n) > slots_.size()) rehash(slots_for(n));
}

void TokenIndex::rehash(std::size_t slots) {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(slots));
  mask_ = slots - 1;
  for (const Slot& s : old) {
    if (s.token == kNoToken) continue;
    std::size_t i = s.hash & mask_;
    while (slots_[i].token != kNoToken) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

void TokenIndex::insert(std::uint64_t hash, Token t) {
  if (2 * (size_ + 1) > slots_.size()) rehash(slots_for(size_ + 1));
  const std::uint32_t h = fold(hash);
  std::size_t i = h & mask_;
  while (slots_[i].token != kNoToken) i = (i + 1) & mask_;
  slots_[i] = Slot{h, t};
  ++size_;
}

bool TokenIndex::erase(std::uint64_t hash, Token t) {
  if (size_ == 0) return false;
  const std::uint32_t h = fold(hash);
  std::size_t i = h & mask_;
  for (;; i = (i + 1) & mask_) {
    if (slots_[i].token == kNoToken) return false;
    if (slots_[i].hash == h && slots_[i].token == t) break;
  }
  // Backward shift: a later slot of the cluster moves into the hole unless
  // its home lies after the hole (cyclically), where a lookup would stop at
  // the hole before reaching it.
  for (std::size_t j = (i + 1) & mask_; slots_[j].token != kNoToken; j = (j + 1) & mask_) {
    const std::size_t home = slots_[j].hash & mask_;
    if (((j - home) & mask_) >= ((j - i) & mask_)) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Slot{};
  --size_;
  return true;
}

}  // namespace hookd
