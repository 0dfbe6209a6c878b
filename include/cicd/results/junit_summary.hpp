#pragma once
// The counts of JUnit XML reports, as GoogleTest, Maven Surefire, pytest, Gradle and most test
// runners write them, read in one streaming pass (expat) whatever the report's size.
//
// Counting rule: every <testcase> is a test; one with a <failure> child failed, with an
// <error> child errored, with a <skipped> child (or GoogleTest's status="notrun") was skipped.
// Time is the sum of the test cases' `time` attributes. The suites' own totals are not
// trusted: runners disagree on them (disabled tests, setup time), the test cases do not.

#include "cicd/core/error.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::results {

struct JunitSummary {
  std::int64_t tests = 0;
  std::int64_t failures = 0;
  std::int64_t errors = 0;
  std::int64_t skipped = 0;
  std::int64_t time_ms = 0;
  JunitSummary& operator+=(const JunitSummary& other);
  bool operator==(const JunitSummary&) const = default;
};

// Parses one report fed in pieces of any size. Not thread safe.
class JunitReportParser {
public:
  JunitReportParser();
  ~JunitReportParser();
  JunitReportParser(const JunitReportParser&) = delete;
  JunitReportParser& operator=(const JunitReportParser&) = delete;

  // Returns false once the report is known to be malformed (error() tells why).
  bool feed(std::string_view bytes);
  // The counts once the whole report was fed; invalid_input "line N: …" when it is not XML.
  Result<JunitSummary> finish();
  // The failed and errored test cases fed so far, as "classname.name" (or "name"), at most
  // k_max_failing_names of them.
  const std::vector<std::string>& failing_tests() const;
  static constexpr std::size_t k_max_failing_names = 100;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// The failing test cases of a stored JUnit result: one XML report, or (`zipped`) a zip of a
// folder of them, every *.xml in it read. invalid_input when the zip cannot be read; reports
// that are not XML are passed over (their counts were refused at upload already).
Result<std::vector<std::string>> junit_failing_tests(std::string_view stored, bool zipped);

} // namespace cicd::results
