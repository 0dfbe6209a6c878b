#include "cicd/results/junit_summary.hpp"

#include <gtest/gtest.h>

namespace cicd::results {
namespace {

TEST(JunitFailingTests, NamesTheFailedAndErroredTestCasesOfAReport) {
  auto names = junit_failing_tests(R"(<testsuites><testsuite name="s">
  <testcase classname="math.Add" name="ok"/>
  <testcase classname="math.Add" name="overflow"><failure message="boom"/></testcase>
  <testcase name="crash"><error/></testcase>
  <testcase classname="io" name="later"><skipped/></testcase>
</testsuite></testsuites>)",
                                   false);
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, (std::vector<std::string>{"math.Add.overflow", "crash"}));
}

TEST(JunitFailingTests, ANonXmlReportHasNoNamesAndABrokenZipIsAnError) {
  auto none = junit_failing_tests("not xml at all", false);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(junit_failing_tests("PK\x03\x04 not really", true));
}

} // namespace
} // namespace cicd::results
