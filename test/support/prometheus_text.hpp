#pragma once
// Reads the Prometheus text exposition format (what GET /metrics answers) into samples, so
// that tests look metrics up by name and labels rather than by the text's layout.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::test {

struct MetricSample {
  std::string name; // "cicd_runs", "cicd_run_duration_seconds_count", …
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Every sample line; comments and blank lines are skipped. A line that does not parse fails
// the current test and is left out.
std::vector<MetricSample> parse_metrics(std::string_view text);

// The value of the sample named `name` whose labels include all of `labels`; nullopt when
// there is none, and a test failure when more than one matches.
std::optional<double> metric_value(const std::vector<MetricSample>& samples, std::string_view name,
                                   const std::map<std::string, std::string>& labels = {});

} // namespace cicd::test
