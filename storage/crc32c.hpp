#pragma once
// RocksDB's CRC32C on the CPU's CRC32 instruction (storage/crc32c.cpp).
#include <cstddef>
#include <cstdint>

namespace hookd::storage {

// The mangled name of the function hookd takes the place of,
// rocksdb::crc32c::Extend(uint32_t, const char*, size_t).
inline constexpr const char* kRocksDbCrc32cExtend = "_ZN7rocksdb6crc32c6ExtendEjPKcm";

// True when RocksDB's checksums (each WAL record's, each block's) run on the
// CRC32 instruction (x86-64 with SSE4.2), false when on RocksDB's own code.
bool crc32c_in_hardware() noexcept;

// The function RocksDB now calls as crc32c::Extend: `crc` (the CRC32C of
// what came before, 0 for none) extended by `n` bytes at `data`.
std::uint32_t crc32c_extend(std::uint32_t crc, const char* data, std::size_t n) noexcept;

}  // namespace hookd::storage
