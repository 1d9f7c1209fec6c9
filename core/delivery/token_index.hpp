#pragma once
// TokenIndex: 32-bit tokens filed under a hash of their key, the scheduler's
// delivery id -> item index. The keys stay with the caller: find() hands each
// token filed under the hash to the caller's `match`, which compares keys, so
// several tokens may share a hash.
//
// One flat array of 8-byte slots (32 bits of the hash, the token), linear
// probing, at most half full; erase() shifts the rest of the cluster back
// instead of leaving tombstones. A lookup touches one or two cache lines,
// where a node-based std::unordered_multimap touches three or four, and a
// million tokens take 16 to 32 MiB instead of about 40.
//
// Pure; not thread-safe (hookd uses it on the io thread only).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace hookd {

class TokenIndex {
 public:
  using Token = std::uint32_t;
  // The one token value that cannot be filed.
  static constexpr Token kNoToken = std::numeric_limits<Token>::max();

  // Room for `n` tokens in all without growing.
  void reserve(std::size_t n);
  // Files `t` (not kNoToken) under `hash`; a token filed twice is found twice.
  void insert(std::uint64_t hash, Token t);
  // Removes `t` filed under `hash`; false when it is not filed there.
  bool erase(std::uint64_t hash, Token t);
  // The first token filed under `hash` for which match(token) is true.
  template <class Match>
  std::optional<Token> find(std::uint64_t hash, Match&& match) const;

  std::size_t size() const noexcept { return size_; }
  // Bytes held by the slot array (capacity); for benchmarks.
  std::size_t memory_bytes() const noexcept { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    std::uint32_t hash = 0;
    Token token = kNoToken;  // kNoToken: empty
  };
  static std::uint32_t fold(std::uint64_t hash) noexcept {
    return static_cast<std::uint32_t>(hash ^ (hash >> 32));
  }
  // Rebuilds the array with `slots` slots (a power of two).
  void rehash(std::size_t slots);

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;  // slots_.size() - 1 once allocated
  std::size_t size_ = 0;
};

template <class Match>
std::optional<TokenIndex::Token> TokenIndex::find(std::uint64_t hash, Match&& match) const {
  if (size_ == 0) return std::nullopt;
  const std::uint32_t h = fold(hash);
  for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.token == kNoToken) return std::nullopt;
    if (s.hash == h && match(s.token)) return s.token;
  }
}

}  // namespace hookd
