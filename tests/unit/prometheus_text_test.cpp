#include "core/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <limits>

namespace hookd {
namespace {

TEST(PrometheusTextTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(escape_label_value("tab\tstays"), "tab\tstays");
}

TEST(PrometheusTextTest, ValuesAreShortestRoundTripText) {
  EXPECT_EQ(format_metric_value(0.005), "0.005");
  EXPECT_EQ(format_metric_value(1), "1");
  EXPECT_EQ(format_metric_value(2.5), "2.5");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(PrometheusTextTest, FamilyHasHelpAndTypeAndSamplesTheirLabels) {
  PrometheusText t;
  t.family("x_total", "counter", "Help with \\ and\nnewline.");
  t.sample("x_total", {{"a", "1"}, {"b", "q\""}}, std::uint64_t{7});
  t.sample("x_total", {}, 0.5);
  EXPECT_EQ(t.text(),
            "# HELP x_total Help with \\\\ and\\nnewline.\n"
            "# TYPE x_total counter\n"
            "x_total{a=\"1\",b=\"q\\\"\"} 7\n"
            "x_total 0.5\n");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulativeUpToInf) {
  PrometheusText t;
  const std::array<double, 2> bounds = {0.1, 1};
  const std::array<std::uint64_t, 3> counts = {2, 0, 1};  // non-cumulative, then +Inf
  t.histogram("lat_seconds", {{"sub", "s"}}, bounds, counts, 3.25);
  EXPECT_EQ(t.text(),
            "lat_seconds_bucket{sub=\"s\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{sub=\"s\",le=\"1\"} 2\n"
            "lat_seconds_bucket{sub=\"s\",le=\"+Inf\"} 3\n"
            "lat_seconds_sum{sub=\"s\"} 3.25\n"
            "lat_seconds_count{sub=\"s\"} 3\n");
}

}  // namespace
}  // namespace hookd
