// The WAL's preallocation sets the file's size ahead of the writes (so that
// a group commit's fdatasync need not write the inode): a process that dies
// without closing the database leaves a WAL whose tail is zeros, and opening
// it again must recover every synced write before them.
#include "storage/database.hpp"

#include <gtest/gtest.h>

#include <rocksdb/options.h>

#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace hookd::storage {
namespace {

constexpr int kWrites = 2000;
const std::string kValue(1500, 'v');

std::string key(int i) { return "event-" + std::to_string(i); }

// The WAL files' total size on disk.
std::uintmax_t wal_bytes(const std::string& path) {
  std::uintmax_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path))
    if (entry.path().extension() == ".log") total += entry.file_size();
  return total;
}

class DatabaseWalTest : public ::testing::Test {
 protected:
  // The death test's child is this binary run again: it finds the parent's
  // directory in the environment.
  void SetUp() override {
    if (const char* dir = std::getenv("HOOKD_WAL_TEST_DIR")) {
      dir_ = dir;
    } else {
      char tmpl[] = "/tmp/hookd_wal_test_XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      ::setenv("HOOKD_WAL_TEST_DIR", dir_.c_str(), 1);
    }
    path_ = dir_ + "/db";
  }
  void TearDown() override {
    ::unsetenv("HOOKD_WAL_TEST_DIR");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
  std::string path_;
};

// Writes kWrites synced records and ends the process without closing the
// database, as kill -9 would.
[[noreturn]] void write_and_die(const std::string& path) {
  auto db = Database::open(path, nullptr);
  if (!db) _exit(2);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  for (int i = 0; i < kWrites; ++i)
    if (!(*db)->db().Put(sync, (*db)->events(), key(i), kValue).ok()) _exit(3);
  _exit(0);
}

TEST_F(DatabaseWalTest, ACrashLeavesTheWalPreallocatedAndEverySyncedWriteIsRecovered) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process, no inherited threads
  EXPECT_EXIT(write_and_die(path_), ::testing::ExitedWithCode(0), "");

  // The size was set ahead: beyond what the records take (~3 MB of an 8.8 MB
  // preallocation), so the tail the reader meets is zeros.
  const std::uintmax_t records = static_cast<std::uintmax_t>(kWrites) * kValue.size();
  EXPECT_GT(wal_bytes(path_), records + (1 << 20));

  {
    auto db = Database::open(path_, nullptr);
    ASSERT_TRUE(db);
    for (int i = 0; i < kWrites; ++i) {
      auto value = (*db)->get(rocksdb::ReadOptions(), (*db)->events(), key(i));
      ASSERT_TRUE(value) << key(i);
      ASSERT_TRUE(value->has_value()) << key(i) << " lost";
      ASSERT_EQ(**value, kValue);
    }
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE((*db)->db().Put(sync, (*db)->events(), "after", "recovery").ok());
  }
  // A clean close trims the preallocation to what was written.
  EXPECT_LT(wal_bytes(path_), std::uintmax_t{1} << 20);
  auto db = Database::open(path_, nullptr);
  ASSERT_TRUE(db);
  auto after = (*db)->get(rocksdb::ReadOptions(), (*db)->events(), "after");
  ASSERT_TRUE(after && after->has_value());
  EXPECT_EQ(**after, "recovery");
  auto first = (*db)->get(rocksdb::ReadOptions(), (*db)->events(), key(0));
  ASSERT_TRUE(first && first->has_value());
}

}  // namespace
}  // namespace hookd::storage
