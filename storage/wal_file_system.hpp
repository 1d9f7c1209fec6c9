#pragma once
// WalFileSystem: the file system RocksDB writes the database through,
// changed for the WAL's files only. Two changes, both so that a group
// commit's fdatasync writes the records and nothing else:
//
// - Preallocation sets the size ahead. RocksDB preallocates a WAL with
//   FALLOC_FL_KEEP_SIZE (write_buffer_size + 10 % at a time), so every
//   append grows the file's size and every fdatasync writes the inode too.
//   Here the size is set with the blocks.
// - A new WAL starts as a spare file already written with zeros. Blocks
//   that fallocate reserved are "unwritten" extents: the first write to each
//   converts it, and that conversion, like a size change, is metadata an
//   fdatasync must write (the inode, one more synchronous write a commit).
//   Overwriting written blocks changes no metadata. A background thread
//   (hookd-walspare) keeps one spare of kSpareBytes ready next to the WAL:
//   it writes and syncs the zeros under another name (1 MiB at a time, so
//   that a commit never queues behind much of it; with O_DIRECT where the
//   file system allows, then read ahead into the page cache, so that no
//   CPU copies the zeros and no append of the WAL reads its page first),
//   then renames the file
//   to the spare's name, which thus never names a file being written; each new WAL
//   takes the spare through RocksDB's own ReuseWritableFile (rename, then
//   written from offset 0) and asks for the next. Without a ready spare a WAL
//   is created as before. A WAL that outgrows its spare is preallocated as
//   above from there.
//
// Either way a WAL's tail is zeros until written: RocksDB's log reader skips
// zero-filled space as the padding of a preallocated file (a zero-type,
// zero-length record), a clean close truncates the file to what was
// written, and recovery after a crash replays every record before the
// zeros. A spare is never stale: it is written anew (truncated first) each
// time, and the spare's name is given only to a fully written and synced
// one, so a spare left by an earlier run (the ready one stays when the
// database closes, or when the process dies) serves the first WAL of the
// next. It is not a RocksDB file name, so RocksDB neither lists nor deletes
// it.
//
// Internal to storage/ (includes RocksDB). Thread-safe as RocksDB requires.

#include <rocksdb/file_system.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace hookd::storage {

class WalFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  static constexpr std::size_t kSpareBytes = 16 << 20;
  static constexpr const char* kSpareName = "hookd-wal-spare";

  explicit WalFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target);
  ~WalFileSystem() override;
  WalFileSystem(const WalFileSystem&) = delete;
  WalFileSystem& operator=(const WalFileSystem&) = delete;

  const char* Name() const override { return "hookd.WalFileSystem"; }
  rocksdb::FileOptions OptimizeForLogWrite(const rocksdb::FileOptions& file_options,
                                           const rocksdb::DBOptions& db_options) const override;
  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;

  // A WAL's name as RocksDB gives it: digits, then ".log".
  static bool is_wal(const std::string& fname);
  // Tests: true once a spare is ready, false if `timeout` passed first.
  bool wait_for_spare(std::chrono::milliseconds timeout);
  // WALs created from a spare so far.
  std::size_t spares_used() const;

 private:
  void run();
  // Writes kSpareBytes of zeros to `path` (truncated first) and syncs them.
  static bool write_spare(const std::string& path);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string spare_;      // the spare's path, once a WAL named its directory
  bool ready_ = false;     // spare_ is written and synced
  bool wanted_ = false;    // a WAL took the spare (or none was made yet)
  bool taking_ = false;    // a WAL is being made from the spare
  bool stopping_ = false;
  std::size_t used_ = 0;
  std::thread thread_;     // last: started once everything above exists
};

}  // namespace hookd::storage
