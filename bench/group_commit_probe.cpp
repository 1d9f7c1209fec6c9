// The storage ceiling on this disk: a bare group-commit writer. N client
// threads each submit a record (default 1.5 KB) and wait for it to be
// durable; one writer thread takes everything queued, appends it with one
// write() into a preallocated file and makes it durable with one
// fdatasync(), then wakes the group.
// Nothing else: no encoding, no index, no memtable. hookd's durable ingest
// is compared with this, measured in the same run on the same disk.
// Prints: clients, records/s, commit latency p50/p99 (us), records per group.
// Usage: group_commit_probe DIR CLIENTS SECONDS [RECORD_BYTES]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Shared {
  std::mutex mu;
  std::condition_variable work, done;
  std::vector<char> queued;      // bytes of the records waiting
  std::size_t queued_records = 0;
  std::uint64_t generation = 0;  // groups made durable so far
  bool writing = false;          // a group taken from `queued` is being written
  bool stop = false;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: group_commit_probe DIR CLIENTS SECONDS [RECORD_BYTES]\n");
    return 64;
  }
  const std::string path = std::string(argv[1]) + "/group_commit_probe.dat";
  const int clients = std::max(1, std::atoi(argv[2]));
  const double seconds = std::atof(argv[3]);
  const std::size_t record = argc > 4 ? static_cast<std::size_t>(std::atoi(argv[4])) : 1536;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    std::perror("open");
    return 1;
  }
  // Preallocated, as a log writer does, so that fdatasync flushes data and
  // not a new file size each time; writes wrap around within it.
  constexpr off_t kFileBytes = 256LL << 20;
  if (int e = ::posix_fallocate(fd, 0, kFileBytes); e != 0) {
    std::fprintf(stderr, "posix_fallocate: %d\n", e);
    return 1;
  }
  off_t offset = 0;
  Shared sh;
  std::atomic<std::uint64_t> groups{0}, grouped{0};
  std::thread writer([&] {
    std::vector<char> batch;
    std::unique_lock lock(sh.mu);
    while (true) {
      sh.work.wait(lock, [&] { return sh.stop || !sh.queued.empty(); });
      if (sh.queued.empty() && sh.stop) return;
      batch.swap(sh.queued);
      const std::size_t n = sh.queued_records;
      sh.queued_records = 0;
      sh.writing = true;
      lock.unlock();
      if (offset + static_cast<off_t>(batch.size()) > kFileBytes) offset = 0;
      if (::pwrite(fd, batch.data(), batch.size(), offset) != static_cast<ssize_t>(batch.size()) ||
          ::fdatasync(fd) != 0) {
        std::perror("write/fdatasync");
        std::exit(1);
      }
      offset += static_cast<off_t>(batch.size());
      batch.clear();
      ++groups;
      grouped += n;
      lock.lock();
      sh.writing = false;
      ++sh.generation;
      sh.done.notify_all();
    }
  });

  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<char> rec(record, static_cast<char>('a' + c % 26));
      auto& mine = lat[static_cast<std::size_t>(c)];
      while (Clock::now() < end) {
        const auto t0 = Clock::now();
        std::unique_lock lock(sh.mu);
        sh.queued.insert(sh.queued.end(), rec.begin(), rec.end());
        ++sh.queued_records;
        // In the next group taken: durable when it is done, one group later
        // if a group is being written now.
        const std::uint64_t target = sh.generation + (sh.writing ? 2 : 1);
        sh.work.notify_one();
        sh.done.wait(lock, [&] { return sh.generation >= target; });
        lock.unlock();
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  {
    std::lock_guard lock(sh.mu);
    sh.stop = true;
  }
  sh.work.notify_one();
  writer.join();
  ::close(fd);
  ::unlink(path.c_str());

  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  if (all.empty()) return 1;
  std::printf("RESULT clients=%d rps=%.0f p50_us=%.0f p99_us=%.0f per_group=%.1f\n", clients,
              static_cast<double>(all.size()) / seconds, all[all.size() / 2],
              all[all.size() * 99 / 100],
              groups ? static_cast<double>(grouped) / static_cast<double>(groups) : 0.0);
  return 0;
}
