#include "support/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>

namespace cicd::test {
namespace {

// Parses `{name="value",…}` at the start of `rest`, advancing past it. False when malformed.
bool parse_labels(std::string_view& rest, std::map<std::string, std::string>& labels) {
  rest.remove_prefix(1); // '{'
  while (!rest.empty() && rest.front() != '}') {
    auto equals = rest.find("=\"");
    if (equals == std::string_view::npos) {
      return false;
    }
    std::string name(rest.substr(0, equals));
    rest.remove_prefix(equals + 2);
    std::string value;
    while (!rest.empty() && rest.front() != '"') {
      if (rest.front() == '\\' && rest.size() > 1) {
        rest.remove_prefix(1);
        value += rest.front() == 'n' ? '\n' : rest.front();
      } else {
        value += rest.front();
      }
      rest.remove_prefix(1);
    }
    if (rest.empty()) {
      return false;
    }
    rest.remove_prefix(1); // closing quote
    labels[name] = value;
    if (!rest.empty() && rest.front() == ',') {
      rest.remove_prefix(1);
    }
  }
  if (rest.empty()) {
    return false;
  }
  rest.remove_prefix(1); // '}'
  return true;
}

std::optional<MetricSample> parse_line(std::string_view line) {
  MetricSample sample;
  auto name_end = line.find_first_of("{ ");
  if (name_end == std::string_view::npos || name_end == 0) {
    return std::nullopt;
  }
  sample.name = std::string(line.substr(0, name_end));
  auto rest = line.substr(name_end);
  if (rest.front() == '{' && !parse_labels(rest, sample.labels)) {
    return std::nullopt;
  }
  if (rest.empty() || rest.front() != ' ') {
    return std::nullopt;
  }
  std::string value(rest.substr(1, rest.find(' ', 1) - 1)); // a timestamp may follow
  if (value == "+Inf" || value == "-Inf" || value == "NaN") {
    constexpr auto k_inf = std::numeric_limits<double>::infinity();
    sample.value = value == "NaN" ? std::numeric_limits<double>::quiet_NaN()
                                  : (value == "-Inf" ? -k_inf : k_inf);
    return sample;
  }
  char* end = nullptr;
  sample.value = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0') {
    return std::nullopt;
  }
  return sample;
}

} // namespace

std::vector<MetricSample> parse_metrics(std::string_view text) {
  std::vector<MetricSample> samples;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (auto sample = parse_line(line)) {
      samples.push_back(std::move(*sample));
    } else {
      ADD_FAILURE() << "not a Prometheus sample line: " << line;
    }
  }
  return samples;
}

std::optional<double> metric_value(const std::vector<MetricSample>& samples, std::string_view name,
                                   const std::map<std::string, std::string>& labels) {
  std::optional<double> found;
  for (const auto& sample : samples) {
    if (sample.name != name) {
      continue;
    }
    bool matches = true;
    for (const auto& [key, value] : labels) {
      auto it = sample.labels.find(key);
      matches = matches && it != sample.labels.end() && it->second == value;
    }
    if (!matches) {
      continue;
    }
    if (found) {
      ADD_FAILURE() << "more than one " << name << " sample matches the labels";
    }
    found = sample.value;
  }
  return found;
}

} // namespace cicd::test
