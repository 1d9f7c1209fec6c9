// The WAL's files (wal_file_system.hpp): preallocation sets the size ahead
// of the writes, and a new WAL starts as a spare already written with
// zeros, so that a group commit's fdatasync need not write the inode. A
// process that dies without closing the database leaves a WAL whose tail is
// zeros, and opening it again must recover every synced write before them.
#include "storage/database.hpp"
#include "storage/wal_file_system.hpp"

#include <gtest/gtest.h>

#include <rocksdb/options.h>

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

// Writes kWrites synced records in each of three WALs, the last two made
// from spares, and ends the process without closing the database.
[[noreturn]] void write_across_spares_and_die(const std::string& path) {
  auto db = Database::open(path, nullptr);
  if (!db) _exit(2);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  WalFileSystem& fs = (*db)->wal_file_system();
  for (int wal = 0; wal < 3; ++wal) {
    for (int i = 0; i < kWrites; ++i)
      if (!(*db)->db().Put(sync, (*db)->events(), key(wal * kWrites + i), kValue).ok()) _exit(3);
    if (wal == 2) break;
    // The next WAL (a flush switches to one) takes the spare.
    if (!fs.wait_for_spare(std::chrono::seconds(30))) _exit(4);
    if ((*db)->flush()) _exit(5);
  }
  if (fs.spares_used() != 2) _exit(6);
  _exit(0);
}

TEST_F(DatabaseWalTest, WalsMadeFromSparesRecoverEverySyncedWriteAfterACrash) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(write_across_spares_and_die(path_), ::testing::ExitedWithCode(0), "");
  auto db = Database::open(path_, nullptr);
  ASSERT_TRUE(db);
  for (int i = 0; i < 3 * kWrites; ++i) {
    auto value = (*db)->get(rocksdb::ReadOptions(), (*db)->events(), key(i));
    ASSERT_TRUE(value) << key(i);
    ASSERT_TRUE(value->has_value()) << key(i) << " lost";
    ASSERT_EQ(**value, kValue);
  }
}

TEST(WalFileSystemTest, NamesAWalOnlyByRocksDbsPattern) {
  EXPECT_TRUE(WalFileSystem::is_wal("000012.log"));
  EXPECT_TRUE(WalFileSystem::is_wal("/var/lib/hookd/000012.log"));
  for (const char* other : {"LOG", "LOG.old.1700000000", "x.log", ".log", "000012.log.tmp",
                            "MANIFEST-000005", "000013.sst", "hookd-wal-spare"})
    EXPECT_FALSE(WalFileSystem::is_wal(other)) << other;
}

TEST_F(DatabaseWalTest, ANewWalTakesTheZeroedSpareAndIsWrittenFromItsStart) {
  std::filesystem::create_directories(path_);
  const std::string spare = path_ + "/" + WalFileSystem::kSpareName;
  {
    WalFileSystem fs(rocksdb::FileSystem::Default());
    rocksdb::FileOptions options;
    std::unique_ptr<rocksdb::FSWritableFile> first, second;
    // No spare yet: the first WAL is created as before, and asks for one.
    ASSERT_TRUE(fs.NewWritableFile(path_ + "/000001.log", options, &first, nullptr).ok());
    EXPECT_EQ(fs.spares_used(), 0u);
    ASSERT_TRUE(fs.wait_for_spare(std::chrono::seconds(30)));
    EXPECT_EQ(std::filesystem::file_size(spare), WalFileSystem::kSpareBytes);
    ASSERT_TRUE(fs.NewWritableFile(path_ + "/000002.log", options, &second, nullptr).ok());
    EXPECT_EQ(fs.spares_used(), 1u);
    const std::string wal = path_ + "/000002.log";
    EXPECT_EQ(std::filesystem::file_size(wal), WalFileSystem::kSpareBytes);
    ASSERT_TRUE(second->Append("record", rocksdb::IOOptions(), nullptr).ok());
    ASSERT_TRUE(second->Sync(rocksdb::IOOptions(), nullptr).ok());
    std::ifstream in(wal, std::ios::binary);
    std::string head(4096, 'x');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    EXPECT_EQ(head.substr(0, 6), "record");
    EXPECT_EQ(head.find_first_not_of('\0', 6), std::string::npos) << "a stale byte after the record";
    // A WAL elsewhere does not take this directory's spare.
    std::filesystem::create_directories(dir_ + "/other");
    ASSERT_TRUE(fs.wait_for_spare(std::chrono::seconds(30)));
    std::unique_ptr<rocksdb::FSWritableFile> elsewhere;
    ASSERT_TRUE(fs.NewWritableFile(dir_ + "/other/000003.log", options, &elsewhere, nullptr).ok());
    EXPECT_EQ(fs.spares_used(), 1u);
    EXPECT_EQ(std::filesystem::file_size(dir_ + "/other/000003.log"), 0u);
    ASSERT_TRUE(first->Close(rocksdb::IOOptions(), nullptr).ok());
    ASSERT_TRUE(second->Close(rocksdb::IOOptions(), nullptr).ok());
    ASSERT_TRUE(elsewhere->Close(rocksdb::IOOptions(), nullptr).ok());
  }
  // The spare moved with the newest WAL, and nothing half-written is left.
  EXPECT_FALSE(std::filesystem::exists(spare));
  EXPECT_FALSE(std::filesystem::exists(spare + ".tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/other/" + WalFileSystem::kSpareName + ".tmp"));
}

TEST_F(DatabaseWalTest, TheNextRunsFirstWalTakesTheSpareLeftBehind) {
  std::filesystem::create_directories(path_);
  const std::string spare = path_ + "/" + WalFileSystem::kSpareName;
  rocksdb::FileOptions options;
  {
    WalFileSystem fs(rocksdb::FileSystem::Default());
    std::unique_ptr<rocksdb::FSWritableFile> wal;
    ASSERT_TRUE(fs.NewWritableFile(path_ + "/000001.log", options, &wal, nullptr).ok());
    ASSERT_TRUE(fs.wait_for_spare(std::chrono::seconds(30)));
    ASSERT_TRUE(wal->Close(rocksdb::IOOptions(), nullptr).ok());
  }
  ASSERT_EQ(std::filesystem::file_size(spare), WalFileSystem::kSpareBytes);
  {
    WalFileSystem fs(rocksdb::FileSystem::Default());
    std::unique_ptr<rocksdb::FSWritableFile> wal;
    ASSERT_TRUE(fs.NewWritableFile(path_ + "/000002.log", options, &wal, nullptr).ok());
    EXPECT_EQ(fs.spares_used(), 1u);
    EXPECT_EQ(std::filesystem::file_size(path_ + "/000002.log"), WalFileSystem::kSpareBytes);
    ASSERT_TRUE(wal->Close(rocksdb::IOOptions(), nullptr).ok());
    ASSERT_TRUE(fs.wait_for_spare(std::chrono::seconds(30)));  // the next one
  }
  // A file of another size under the spare's name is not taken, nor a
  // symlink to one of the right size: the first WAL is created as before.
  auto expect_created_without_spare = [&](WalFileSystem& fs, const std::string& name) {
    std::unique_ptr<rocksdb::FSWritableFile> wal;
    ASSERT_TRUE(fs.NewWritableFile(name, options, &wal, nullptr).ok());
    EXPECT_EQ(fs.spares_used(), 0u);
    EXPECT_EQ(std::filesystem::file_size(name), 0u);
    ASSERT_TRUE(wal->Close(rocksdb::IOOptions(), nullptr).ok());
  };
  {
    const std::string elsewhere = dir_ + "/elsewhere";
    std::filesystem::rename(spare, elsewhere);
    std::filesystem::create_symlink(elsewhere, spare);
    WalFileSystem fs(rocksdb::FileSystem::Default());
    expect_created_without_spare(fs, path_ + "/000003.log");
    ASSERT_TRUE(fs.wait_for_spare(std::chrono::seconds(30)));  // made anew, in its place
    EXPECT_FALSE(std::filesystem::is_symlink(spare));
    EXPECT_EQ(std::filesystem::file_size(elsewhere), WalFileSystem::kSpareBytes);
  }
  {
    std::ofstream(spare, std::ios::trunc) << "not zeros";
    WalFileSystem fs(rocksdb::FileSystem::Default());
    expect_created_without_spare(fs, path_ + "/000004.log");
  }
}

}  // namespace
}  // namespace hookd::storage
