#pragma once
// The wall clock as hookd stores it: unix milliseconds.

#include <chrono>
#include <cstdint>

namespace hookd {

inline std::int64_t unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace hookd
