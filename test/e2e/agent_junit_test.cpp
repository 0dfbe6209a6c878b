// JUnit and folder results as stored: a folder of reports becomes a zip and a single report
// stays XML, each with the counts parsed once at upload (real GoogleTest output and Surefire's
// layout); a folder becomes a tar.gz; links never make it into either.
#include "agent_fixture.hpp"

#include <fstream>
#include <map>
#include <sstream>

namespace cicd::test {
namespace {

using AgentJunitTest = AgentTest;

std::string report(const std::string& name) {
  std::ifstream in(std::string(CICD_TEST_DATA) + "/junit/" + name, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_FALSE(content.str().empty()) << name;
  return content.str();
}

// Shell lines that write `content` to `path` exactly (a quoted here-document expands nothing).
std::string write_file(const std::string& path, const std::string& content) {
  return "cat > '" + path + "' <<'CICD_EOF'\n" + content + "\nCICD_EOF\n";
}

std::map<std::string, ResultView> by_name(const std::vector<ResultView>& listed) {
  std::map<std::string, ResultView> named;
  for (const auto& item : listed) {
    named[item.name] = item;
  }
  return named;
}

TEST_F(AgentJunitTest, AFolderOfReportsIsZippedWithTheCountsOfEveryReport) {
  auto gtest = report("gtest_report.xml");
  auto surefire = report("TEST-org.example.parser.ParserTest.xml");
  put_job("tests",
          freestyle_job("mkdir -p reports/unit\n" + write_file("reports/unit/gtest.xml", gtest) +
                            write_file("reports/TEST-ParserTest.xml", surefire) +
                            "echo '<testsuite><testcase>' > reports/broken.xml\n"
                            "echo 'not a report' > reports/notes.txt\n"
                            "ln -s /etc/passwd reports/passwd.xml\n",
                        R"("results": {"junit": {"path": "reports", "type": "junit"}})"));
  auto id = trigger("tests");
  ASSERT_EQ(wait_for_end("tests", id).status, "succeeded");

  auto listed = by_name(results("tests", id));
  ASSERT_TRUE(listed.contains("junit"));
  const auto& junit = listed["junit"];
  EXPECT_EQ(junit.content_type, "application/zip");
  ASSERT_TRUE(junit.summary) << "no summary for a JUnit result";
  EXPECT_EQ(junit.summary->tests, 11);
  EXPECT_EQ(junit.summary->failures, 3);
  EXPECT_EQ(junit.summary->errors, 1);
  EXPECT_EQ(junit.summary->skipped, 3);
  EXPECT_EQ(junit.summary->passed, 4);
  EXPECT_DOUBLE_EQ(junit.summary->time, 1.787);

  auto zip = result("tests", id, "junit");
  EXPECT_EQ(zip.status, 200);
  EXPECT_EQ(zip.header("Content-Type"), "application/zip");
  EXPECT_EQ(zip.header("Content-Disposition"), "attachment; filename=\"junit.zip\"");
  EXPECT_EQ(static_cast<std::int64_t>(zip.body.size()), junit.size);
  auto files = read_archive_files(zip.body);
  EXPECT_EQ(files["reports/unit/gtest.xml"], gtest + "\n");
  EXPECT_EQ(files["reports/TEST-ParserTest.xml"], surefire + "\n");
  EXPECT_EQ(files["reports/notes.txt"], "not a report\n");
  EXPECT_FALSE(files.contains("reports/passwd.xml")) << "a link made it into the zip";

  auto output = console("tests", id);
  EXPECT_TRUE(holds_text(output, "result 'junit': reports/broken.xml: line 2: no element found "
                                 "is not counted: not valid XML"));
  EXPECT_TRUE(holds_text(output, "result 'junit': 1 entries that are not regular files or "
                                 "folders (links, devices) were left out"));
  EXPECT_TRUE(holds_text(output, "stored result 'junit' (" + std::to_string(junit.size) +
                                     " bytes): 11 tests, 3 failed, 1 errors, 3 skipped"));
}

TEST_F(AgentJunitTest, ASingleReportIsStoredAsXmlWithItsCounts) {
  auto surefire = report("TEST-org.example.parser.ParserTest.xml");
  put_job(
      "one-report",
      freestyle_job(write_file("TEST-ParserTest.xml", surefire) + "exit 1",
                    R"("results": {"tests": {"path": "TEST-ParserTest.xml", "type": "junit"}})"));
  auto id = trigger("one-report");
  ASSERT_EQ(wait_for_end("one-report", id).status, "failed");
  auto listed = by_name(results("one-report", id));
  ASSERT_TRUE(listed.contains("tests"));
  EXPECT_EQ(listed["tests"].content_type, "application/xml");
  ASSERT_TRUE(listed["tests"].summary);
  EXPECT_EQ(listed["tests"].summary->tests, 5);
  EXPECT_EQ(listed["tests"].summary->passed, 2);
  auto xml = result("one-report", id, "tests");
  EXPECT_EQ(xml.body, surefire + "\n");
  EXPECT_EQ(xml.header("Content-Disposition"), "attachment; filename=\"tests.xml\"");
}

TEST_F(AgentJunitTest, AFolderIsAGzippedTarWithoutItsLinksAndOtherResultsHaveNoSummary) {
  put_job("bundle", freestyle_job("mkdir -p site/css\necho '<h1>hi</h1>' > site/index.html\n"
                                  "echo 'body{}' > site/css/main.css\n"
                                  "ln -s /etc/shadow site/shadow\nln -s index.html site/home\n",
                                  R"("results": {"site": {"path": "site", "type": "dir"}})"));
  auto id = trigger("bundle");
  ASSERT_EQ(wait_for_end("bundle", id).status, "succeeded");
  auto listed = by_name(results("bundle", id));
  ASSERT_TRUE(listed.contains("site"));
  EXPECT_EQ(listed["site"].content_type, "application/gzip");
  EXPECT_FALSE(listed["site"].summary);
  EXPECT_FALSE(listed["console"].summary);
  auto files = read_archive_files(result("bundle", id, "site").body);
  EXPECT_EQ(files.size(), 2u);
  EXPECT_EQ(files["site/index.html"], "<h1>hi</h1>\n");
  EXPECT_EQ(files["site/css/main.css"], "body{}\n");
  EXPECT_TRUE(holds_text(console("bundle", id), "2 entries that are not regular files"));
}

} // namespace
} // namespace cicd::test
