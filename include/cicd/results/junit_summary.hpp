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
#include <string_view>

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

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace cicd::results
