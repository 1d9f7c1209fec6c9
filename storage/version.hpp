#pragma once
#include <string>

namespace hookd::storage {
// "7.8.3": the RocksDB version hookd was built with.
std::string rocksdb_version();
}  // namespace hookd::storage
