#include "storage/wal_file_system.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <filesystem>
#include <vector>

namespace hookd::storage {

WalFileSystem::WalFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target)
    : FileSystemWrapper(target), thread_([this] { run(); }) {}

WalFileSystem::~WalFileSystem() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();  // a spare being written is removed
}

rocksdb::FileOptions WalFileSystem::OptimizeForLogWrite(const rocksdb::FileOptions& file_options,
                                                        const rocksdb::DBOptions& db_options) const {
  rocksdb::FileOptions o = target()->OptimizeForLogWrite(file_options, db_options);
  o.fallocate_with_keep_size = false;
  return o;
}

bool WalFileSystem::is_wal(const std::string& fname) {
  const std::string base = std::filesystem::path(fname).filename().string();
  constexpr std::string_view kSuffix = ".log";
  if (base.size() <= kSuffix.size() || !base.ends_with(kSuffix)) return false;
  return std::all_of(base.begin(), base.end() - kSuffix.size(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

rocksdb::IOStatus WalFileSystem::NewWritableFile(const std::string& fname,
                                                 const rocksdb::FileOptions& options,
                                                 std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                 rocksdb::IODebugContext* dbg) {
  if (!is_wal(fname) || options.use_direct_writes || options.use_mmap_writes)
    return target()->NewWritableFile(fname, options, result, dbg);
  std::string spare;
  {
    std::lock_guard lock(mu_);
    const std::string here =
        (std::filesystem::path(fname).parent_path() / kSpareName).string();
    if (spare_ != here) {
      // The next spare goes next to the newest WAL; one being written
      // elsewhere is removed by run() when it is done. One left here by an
      // earlier run (kept when it closed, or when it died) is whole: the
      // name is given only to a written and synced spare (and a symlink
      // is none of ours).
      if (ready_) ::unlink(spare_.c_str());
      struct stat st {};
      ready_ = ::lstat(here.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
               static_cast<std::size_t>(st.st_size) == kSpareBytes;
      spare_ = here;
    }
    if (ready_) {
      spare = spare_;
      ready_ = false;
      taking_ = true;  // run() renames no new spare into place meanwhile
      ++used_;
    }
    wanted_ = true;
  }
  cv_.notify_all();
  if (spare.empty()) return target()->NewWritableFile(fname, options, result, dbg);
  rocksdb::IOStatus s = target()->ReuseWritableFile(fname, spare, options, result, dbg);
  {
    std::lock_guard lock(mu_);
    taking_ = false;
  }
  cv_.notify_all();
  if (s.ok()) return s;
  return target()->NewWritableFile(fname, options, result, dbg);
}

bool WalFileSystem::wait_for_spare(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return ready_; });
}

std::size_t WalFileSystem::spares_used() const {
  std::lock_guard lock(mu_);
  return used_;
}

void WalFileSystem::run() {
  pthread_setname_np(pthread_self(), "hookd-walspare");
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || (wanted_ && !ready_); });
    if (stopping_) return;
    wanted_ = false;
    // Written under another name, and renamed into place only once synced
    // and while no WAL is taking the previous spare: the spare's name never
    // names a file being written.
    const std::string path = spare_;
    const std::string tmp = path + ".tmp";
    lock.unlock();
    const bool ok = write_spare(tmp);
    lock.lock();
    cv_.wait(lock, [this] { return !taking_; });
    // Handed out only if no WAL asked for a spare elsewhere meanwhile.
    if (ok && path == spare_ && !stopping_ && ::rename(tmp.c_str(), path.c_str()) == 0)
      ready_ = true;
    else
      ::unlink(tmp.c_str());
    cv_.notify_all();
  }
}

bool WalFileSystem::write_spare(const std::string& path) {
  // O_DIRECT: the zeros go to the disk by DMA from one buffer instead of
  // being copied into 16 MiB of new page cache (a tenth of hookd's CPU at
  // full ingest, measured); a file system without it is written buffered.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0644);
  bool direct = fd >= 0;
  if (fd < 0) fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  constexpr std::size_t kChunk = 1 << 20;
  constexpr std::size_t kAlign = 4096;
  std::unique_ptr<char, decltype(&std::free)> zeros(
      static_cast<char*>(std::aligned_alloc(kAlign, kChunk)), &std::free);
  if (!zeros) {
    ::close(fd);
    ::unlink(path.c_str());
    return false;
  }
  std::memset(zeros.get(), 0, kChunk);
  bool ok = true;
  for (std::size_t done = 0; ok && done < kSpareBytes; done += kChunk) {
    std::size_t left = kChunk;
    while (ok && left > 0) {
      ssize_t n = ::write(fd, zeros.get() + (kChunk - left), left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EINVAL && direct) {  // alignment the device refuses
        direct = false;
        ok = ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_DIRECT) == 0;
        continue;
      }
      ok = n > 0;
      if (ok) left -= static_cast<std::size_t>(n);
    }
    ok = ok && ::fdatasync(fd) == 0;
  }
  // A WAL's appends end mid-page; a page not in the cache would then be
  // read first, in the writer's commit. So the direct-written spare is read
  // into the page cache ahead (by DMA, in the background).
  if (ok && direct) ::posix_fadvise(fd, 0, static_cast<off_t>(kSpareBytes), POSIX_FADV_WILLNEED);
  ok = ::close(fd) == 0 && ok;
  if (!ok) ::unlink(path.c_str());
  return ok;
}

}  // namespace hookd::storage
