#include "core/delivery/token_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace hookd {
namespace {

using Token = TokenIndex::Token;

// Keys of the tokens, as the scheduler's items hold them.
struct Keys {
  std::map<Token, std::string> by_token;
  std::optional<Token> find(const TokenIndex& index, const std::string& key,
                            std::uint64_t hash) const {
    return index.find(hash, [&](Token t) { return by_token.at(t) == key; });
  }
};

TEST(TokenIndexTest, FindsWhatWasInsertedAndNothingElse) {
  TokenIndex index;
  Keys keys;
  EXPECT_FALSE(keys.find(index, "a", 1));  // empty, before any allocation
  keys.by_token = {{7, "a"}, {8, "b"}};
  index.insert(1, 7);
  index.insert(2, 8);
  EXPECT_EQ(keys.find(index, "a", 1), 7u);
  EXPECT_EQ(keys.find(index, "b", 2), 8u);
  EXPECT_FALSE(keys.find(index, "c", 3));
  EXPECT_FALSE(keys.find(index, "a", 2));  // another hash: not looked at
  EXPECT_EQ(index.size(), 2u);
}

TEST(TokenIndexTest, TokensSharingAHashAreToldApartByMatch) {
  TokenIndex index;
  Keys keys;
  for (Token t = 0; t < 5; ++t) {
    keys.by_token[t] = "k" + std::to_string(t);
    index.insert(42, t);
  }
  for (Token t = 0; t < 5; ++t) EXPECT_EQ(keys.find(index, "k" + std::to_string(t), 42), t);
  EXPECT_TRUE(index.erase(42, 2));
  EXPECT_FALSE(index.erase(42, 2));
  EXPECT_FALSE(keys.find(index, "k2", 42));
  for (Token t : {0u, 1u, 3u, 4u}) EXPECT_EQ(keys.find(index, "k" + std::to_string(t), 42), t);
}

TEST(TokenIndexTest, EraseInsideAClusterThatWrapsKeepsTheRestFindable) {
  TokenIndex index;  // 16 slots: hashes 14 and 15 fill the end, then wrap to 0, 1
  Keys keys;
  const std::vector<std::pair<std::uint64_t, Token>> entries = {{14, 1}, {14, 2}, {15, 3},
                                                                {14, 4}, {0, 5},  {1, 6}};
  for (auto [hash, t] : entries) {
    keys.by_token[t] = std::to_string(t);
    index.insert(hash, t);
  }
  EXPECT_TRUE(index.erase(14, 2));
  EXPECT_TRUE(index.erase(15, 3));
  for (auto [hash, t] : entries) {
    if (t == 2 || t == 3) continue;
    EXPECT_EQ(keys.find(index, std::to_string(t), hash), t) << t;
  }
  EXPECT_FALSE(index.erase(0, 6));  // filed under 1, not 0
  EXPECT_EQ(index.size(), 4u);
}

TEST(TokenIndexTest, ReserveAndGrowthKeepEveryToken) {
  TokenIndex index;
  index.reserve(1000);
  const std::size_t reserved = index.memory_bytes();
  EXPECT_GE(reserved, 2000 * 8u);
  Keys keys;
  for (Token t = 0; t < 1000; ++t) {
    keys.by_token[t] = std::to_string(t);
    index.insert(std::hash<std::string>{}(keys.by_token[t]), t);
  }
  EXPECT_EQ(index.memory_bytes(), reserved);  // no growth within the reservation
  for (Token t = 1000; t < 5000; ++t) {
    keys.by_token[t] = std::to_string(t);
    index.insert(std::hash<std::string>{}(keys.by_token[t]), t);
  }
  EXPECT_GT(index.memory_bytes(), reserved);
  for (const auto& [t, key] : keys.by_token)
    EXPECT_EQ(keys.find(index, key, std::hash<std::string>{}(key)), t);
}

// Against std::multimap, with few distinct hashes so that clusters are long
// and every erase shifts some.
TEST(TokenIndexTest, RandomInsertsAndErasesAgreeWithAModel) {
  TokenIndex index;
  Keys keys;
  std::multimap<std::uint64_t, Token> model;
  std::mt19937 rng(7);
  Token next = 0;
  for (int step = 0; step < 4000; ++step) {
    if (model.empty() || rng() % 3 != 0) {
      std::uint64_t hash = rng() % 256;
      keys.by_token[next] = std::to_string(next);
      index.insert(hash, next);
      model.emplace(hash, next++);
    } else {
      auto it = model.begin();
      std::advance(it, rng() % model.size());
      ASSERT_TRUE(index.erase(it->first, it->second));
      keys.by_token.erase(it->second);
      model.erase(it);
    }
    ASSERT_EQ(index.size(), model.size());
  }
  for (const auto& [hash, t] : model) EXPECT_EQ(keys.find(index, keys.by_token.at(t), hash), t);
  for (std::uint64_t hash = 0; hash < 256; ++hash) EXPECT_FALSE(keys.find(index, "gone", hash));
}

}  // namespace
}  // namespace hookd
