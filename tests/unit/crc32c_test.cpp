// storage/crc32c.cpp: the CRC32C RocksDB computes through the program's
// interposed crc32c::Extend is the CRC32C, bit for bit RocksDB's own, so
// files written before (or by a build without it) read back after.
#include "storage/crc32c.hpp"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace hookd::storage {
namespace {

constexpr const char* kExtend = kRocksDbCrc32cExtend;
using ExtendFn = std::uint32_t (*)(std::uint32_t, const char*, std::size_t);

std::uint32_t crc(const std::string& s) { return crc32c_extend(0, s.data(), s.size()); }

TEST(Crc32cTest, KnownValues) {
  // The check value of CRC-32C, and RFC 3720's (iSCSI) test patterns.
  EXPECT_EQ(crc("123456789"), 0xE3069283U);
  EXPECT_EQ(crc(std::string(32, '\0')), 0x8A9136AAU);
  EXPECT_EQ(crc(std::string(32, '\xff')), 0x62A8AB43U);
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(crc(ascending), 0x46DD794EU);
  EXPECT_EQ(crc(""), 0U);
}

TEST(Crc32cTest, RocksDbResolvesItsExtendToOurs) {
  // Calls from inside librocksdb go through the PLT to the first definition
  // in the global scope: the program's.
  void* global = dlsym(RTLD_DEFAULT, kExtend);
  ASSERT_NE(global, nullptr);
  void* rocksdb_own = dlsym(RTLD_NEXT, kExtend);
  ASSERT_NE(rocksdb_own, nullptr) << "the test links librocksdb";
  EXPECT_NE(global, rocksdb_own);
  const std::string text = "hookd";
  EXPECT_EQ(reinterpret_cast<ExtendFn>(global)(0, text.data(), text.size()), crc(text));
}

TEST(Crc32cTest, EqualsRocksDbsOwnForEveryLengthAlignmentAndStart) {
  auto rocksdb_own = reinterpret_cast<ExtendFn>(dlsym(RTLD_NEXT, kExtend));
  ASSERT_NE(rocksdb_own, nullptr);
  std::mt19937_64 rng(7);
  std::vector<char> buffer(9000);
  for (char& c : buffer) c = static_cast<char>(rng());
  for (std::size_t n = 0; n <= 600; ++n) {
    for (std::size_t offset = 0; offset < 8; ++offset) {
      const auto start = static_cast<std::uint32_t>(rng());
      ASSERT_EQ(crc32c_extend(start, buffer.data() + offset, n),
                rocksdb_own(start, buffer.data() + offset, n))
          << "n=" << n << " offset=" << offset;
    }
  }
  for (int i = 0; i < 200; ++i) {
    const std::size_t offset = rng() % 64;
    const std::size_t n = rng() % (buffer.size() - offset);
    ASSERT_EQ(crc32c_extend(0, buffer.data() + offset, n), rocksdb_own(0, buffer.data() + offset, n));
  }
}

TEST(Crc32cTest, ExtendingInPiecesEqualsTheWhole) {
  std::string data(4099, '\0');
  std::mt19937 rng(11);
  for (char& c : data) c = static_cast<char>(rng());
  const std::uint32_t whole = crc(data);
  for (std::size_t cut : {0UL, 1UL, 7UL, 8UL, 9UL, 1500UL, 4098UL, 4099UL}) {
    const std::uint32_t first = crc32c_extend(0, data.data(), cut);
    EXPECT_EQ(crc32c_extend(first, data.data() + cut, data.size() - cut), whole) << cut;
  }
}

TEST(Crc32cTest, ReportsWhetherTheCpuComputesIt) {
#if defined(__x86_64__)
  EXPECT_EQ(crc32c_in_hardware(), static_cast<bool>(__builtin_cpu_supports("sse4.2")));
#else
  EXPECT_FALSE(crc32c_in_hardware());
#endif
}

}  // namespace
}  // namespace hookd::storage
