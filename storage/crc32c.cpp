// Debian's RocksDB is built for baseline x86-64, without SSE4.2, so its
// CRC32C (every WAL record's checksum, and every SST block's) is the
// table-driven software one: about 4 % of hookd's CPU at 64-connection
// ingest, all of it on the storage writer, for a 1.5 KB event's WAL record.
// RocksDB computes every CRC32C through one exported function,
// rocksdb::crc32c::Extend, which it calls through the PLT: a definition in
// the program interposes on it, as a malloc in a program does on libc's.
// This one uses the CPU's CRC32 instruction when it has one and otherwise
// hands the call to RocksDB's own (found with dlsym(RTLD_NEXT)). The values
// are the same CRC32C either way (tests/unit/crc32c_test.cpp compares them
// with RocksDB's own), so files written by one are read by the other.
#include "storage/crc32c.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace hookd::storage {
namespace {

using ExtendFn = std::uint32_t (*)(std::uint32_t, const char*, std::size_t);

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t extend_sse42(std::uint32_t crc, const char* data,
                                                              std::size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  std::uint32_t c = crc ^ 0xffffffffU;
  for (; n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7) != 0; --n) c = _mm_crc32_u8(c, *p++);
  std::uint64_t wide = c;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    wide = _mm_crc32_u64(wide, word);
  }
  c = static_cast<std::uint32_t>(wide);
  for (; n > 0; --n) c = _mm_crc32_u8(c, *p++);
  return c ^ 0xffffffffU;
}
#endif

bool cpu_has_crc32() noexcept {
#if defined(__x86_64__)
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

ExtendFn choose() noexcept {
#if defined(__x86_64__)
  if (cpu_has_crc32()) return extend_sse42;
#endif
  void* own = dlsym(RTLD_NEXT, kRocksDbCrc32cExtend);
  if (own == nullptr) {
    std::fprintf(stderr, "hookd: RocksDB's crc32c::Extend not found\n");
    std::abort();
  }
  return reinterpret_cast<ExtendFn>(own);
}

// Chosen on first use, not at static initialization: RocksDB's own static
// initializers run before the program's and might compute a CRC.
ExtendFn chosen() noexcept {
  static const ExtendFn fn = choose();
  return fn;
}

}  // namespace

bool crc32c_in_hardware() noexcept { return cpu_has_crc32(); }

std::uint32_t crc32c_extend(std::uint32_t crc, const char* data, std::size_t n) noexcept {
  return chosen()(crc, data, n);
}

}  // namespace hookd::storage

// The interposing definition: RocksDB's declaration (util/crc32c.h).
namespace rocksdb::crc32c {
std::uint32_t Extend(std::uint32_t init_crc, const char* data, std::size_t n);
std::uint32_t Extend(std::uint32_t init_crc, const char* data, std::size_t n) {
  return hookd::storage::crc32c_extend(init_crc, data, n);
}
}  // namespace rocksdb::crc32c
