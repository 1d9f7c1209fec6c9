// Measures this disk's fsync cost as hookd's group commit sees it: 4 KiB
// appends to one file, each followed by fdatasync. Prints the p50 and p99 in
// microseconds. Usage: fsync_probe DIR [COUNT]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fsync_probe DIR [COUNT]\n");
    return 64;
  }
  std::string path = std::string(argv[1]) + "/fsync_probe.dat";
  int count = argc > 2 ? std::atoi(argv[2]) : 2000;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) {
    std::perror("open");
    return 1;
  }
  std::vector<char> block(4096, 'x');
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      return 1;
    }
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  std::sort(us.begin(), us.end());
  std::printf("fsync_p50_us=%.0f fsync_p99_us=%.0f\n", us[us.size() / 2], us[us.size() * 99 / 100]);
  return 0;
}
