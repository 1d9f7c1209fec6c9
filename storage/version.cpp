#include "storage/version.hpp"

#include <rocksdb/version.h>

namespace hookd::storage {
std::string rocksdb_version() {
  return std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
         std::to_string(ROCKSDB_PATCH);
}
}  // namespace hookd::storage
