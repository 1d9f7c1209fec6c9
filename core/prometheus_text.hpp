#pragma once
// PrometheusText: builds a Prometheus text exposition (format 0.0.4): each
// family gets its "# HELP" and "# TYPE" lines, label values are escaped
// (backslash, double quote, newline) and histograms get cumulative
// _bucket{le=...} samples up to "+Inf", then _sum and _count. Pure string
// building; the admin listener serves the result on GET /metrics.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd {

using MetricLabels = std::vector<std::pair<std::string_view, std::string_view>>;

// `v` with backslash, double quote and newline escaped as the format requires.
std::string escape_label_value(std::string_view v);
// The shortest text that reads back as `v`; "+Inf", "-Inf" and "NaN" too.
std::string format_metric_value(double v);

class PrometheusText {
 public:
  // Starts a family. `type` is counter, gauge, histogram, summary or untyped.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const MetricLabels& labels, std::uint64_t value);
  void sample(std::string_view name, const MetricLabels& labels, double value);
  // One labelled histogram of the current family `name`: `counts` holds the
  // non-cumulative count of each bound in `bounds`, then of +Inf
  // (bounds.size() + 1 entries).
  void histogram(std::string_view name, const MetricLabels& labels, std::span<const double> bounds,
                 std::span<const std::uint64_t> counts, double sum);

  const std::string& text() const noexcept { return out_; }
  std::string take() && { return std::move(out_); }

 private:
  void series(std::string_view name, const MetricLabels& labels, std::string_view le);

  std::string out_;
};

}  // namespace hookd
