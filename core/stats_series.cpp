#include "core/stats_series.hpp"

#include <algorithm>

namespace hookd {

std::optional<double> histogram_quantile(double q, std::span<const double> bounds,
                                         std::span<const std::uint32_t> counts) {
  std::uint64_t total = 0;
  for (auto c : counts) total += c;
  if (total == 0 || bounds.empty()) return std::nullopt;
  const double rank = q * static_cast<double>(total);
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const std::uint64_t here = counts[i];
    if (here > 0 && static_cast<double>(below + here) >= rank) {
      if (i >= bounds.size()) return bounds.back();  // +Inf: the last finite bound
      const double lo = i == 0 ? 0.0 : bounds[i - 1];
      const double hi = bounds[i];
      return lo + (hi - lo) * (rank - static_cast<double>(below)) / static_cast<double>(here);
    }
    below += here;
  }
  return bounds.back();
}

std::size_t latency_bucket(double seconds) {
  auto it = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds);
  return static_cast<std::size_t>(it - kLatencyBounds.begin());
}

}  // namespace hookd
