// The counts of JUnit reports: real GoogleTest output, Surefire's layout, any chunking, and
// reports that are not XML.
#include "cicd/results/junit_summary.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace cicd::results {
namespace {

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(CICD_TEST_DATA) + "/junit/" + name, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << name;
  return content.str();
}

Result<JunitSummary> parse_in_pieces(std::string_view report, std::size_t piece) {
  JunitReportParser parser;
  for (std::size_t at = 0; at < report.size(); at += piece) {
    parser.feed(report.substr(at, piece));
  }
  return parser.finish();
}

TEST(JunitSummary, CountsGoogleTestOutput) {
  auto counts = parse_in_pieces(read_data("gtest_report.xml"), 1 << 20);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(*counts, (JunitSummary{6, 2, 0, 2, 250}));
}

TEST(JunitSummary, CountsSurefireOutput) {
  auto counts = parse_in_pieces(read_data("TEST-org.example.parser.ParserTest.xml"), 1 << 20);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(*counts, (JunitSummary{5, 1, 1, 1, 1537}));
}

TEST(JunitSummary, AnyChunkingGivesTheSameCounts) {
  auto report = read_data("TEST-org.example.parser.ParserTest.xml");
  for (std::size_t piece : {1u, 2u, 7u, 64u, 4096u}) {
    auto counts = parse_in_pieces(report, piece);
    ASSERT_TRUE(counts) << piece;
    EXPECT_EQ(*counts, (JunitSummary{5, 1, 1, 1, 1537})) << "pieces of " << piece;
  }
}

TEST(JunitSummary, NestedSuitesNamespacesAndThousandsSeparatorsAreRead) {
  auto counts = parse_in_pieces(R"(<j:testsuites xmlns:j="urn:x"><j:testsuite>
    <j:testsuite><j:testcase time="1,000.5"><j:failure/><j:system-out>x</j:system-out></j:testcase>
    </j:testsuite><j:testcase time="0.5"/></j:testsuite></j:testsuites>)",
                                1 << 20);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(*counts, (JunitSummary{2, 1, 0, 0, 1001000}));
}

TEST(JunitSummary, OnlyDirectChildrenOfATestCaseDecideItsOutcome) {
  // A <failure> text inside system-out, or a case with both failure and error, counts once.
  auto counts = parse_in_pieces(R"(<testsuite>
    <testcase><system-out><failure/></system-out></testcase>
    <testcase><failure/><error/></testcase>
    <testcase><error/><skipped/></testcase></testsuite>)",
                                1 << 20);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(*counts, (JunitSummary{3, 1, 1, 0, 0}));
}

TEST(JunitSummary, NotXmlIsAnErrorWithItsLine) {
  auto counts = parse_in_pieces("<testsuite>\n<testcase>\n</testsuite>", 5);
  ASSERT_FALSE(counts);
  EXPECT_EQ(counts.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(counts.error().message, "line 3: mismatched tag");
  auto truncated = parse_in_pieces("<testsuite><testcase/>", 5);
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().message, "line 1: no element found");
}

TEST(JunitSummary, EntityExpansionBombsAreRefused) {
  std::string bomb = R"(<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa">)";
  for (int level = 1; level <= 9; ++level) {
    bomb += "<!ENTITY " + std::string(1, static_cast<char>('a' + level)) + " \"";
    for (int i = 0; i < 10; ++i) {
      bomb += "&" + std::string(1, static_cast<char>('a' + level - 1)) + ";";
    }
    bomb += "\">";
  }
  bomb += "]><testsuite><testcase name=\"&j;\"/></testsuite>";
  auto counts = parse_in_pieces(bomb, 1 << 20);
  ASSERT_FALSE(counts);
  EXPECT_NE(counts.error().message.find("amplification"), std::string::npos)
      << counts.error().message;
}

TEST(JunitSummary, ExternalEntitiesAreNotRead) {
  std::string doctype = R"(<?xml version="1.0"?><!DOCTYPE t [
    <!ENTITY x SYSTEM "file:///etc/passwd">]>)";
  auto in_attribute =
      parse_in_pieces(doctype + R"(<testsuite><testcase name="&x;"/></testsuite>)", 1 << 20);
  ASSERT_FALSE(in_attribute);
  EXPECT_EQ(in_attribute.error().message, "line 2: reference to external entity in attribute");
  // In content, expat skips a reference to an external entity unless told to load it.
  auto in_content =
      parse_in_pieces(doctype + R"(<testsuite><testcase>&x;</testcase></testsuite>)", 1 << 20);
  ASSERT_TRUE(in_content) << in_content.error().message;
  EXPECT_EQ(in_content->tests, 1);
}

} // namespace
} // namespace cicd::results
