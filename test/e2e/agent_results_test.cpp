// Results: each declared path is copied out of the job container after the job, stored, listed
// by GET …/results and served by GET …/results/{name}; what is missing is noted in the console
// and does not fail the run.
#include "agent_fixture.hpp"

#include <map>

namespace cicd::test {
namespace {

using AgentResultTest = AgentTest;

std::map<std::string, ResultView> by_name(const std::vector<ResultView>& listed) {
  std::map<std::string, ResultView> named;
  for (const auto& item : listed) {
    named[item.name] = item;
  }
  return named;
}

TEST_F(AgentResultTest, FileAndDirectoryResultsAreStoredAndListed) {
  put_job("build", freestyle_job(R"(mkdir -p out/sub reports
printf 'the report\nline two\n' > out/report.txt
echo nested > out/sub/nested.txt
echo '<testsuite name="t" tests="1"><testcase name="c"/></testsuite>' > reports/unit.xml
echo built)",
                                 R"("results": {
                                   "report": {"path": "out/report.txt", "type": "file"},
                                   "bundle": {"path": "out", "type": "dir"},
                                   "junit": {"path": "reports", "type": "junit"}})"));
  auto id = trigger("build");
  auto run = wait_for_end("build", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;

  auto listed = by_name(results("build", id));
  ASSERT_TRUE(listed.contains("report"));
  ASSERT_TRUE(listed.contains("bundle"));
  EXPECT_TRUE(listed.contains("junit"));
  EXPECT_TRUE(listed.contains("console"));
  EXPECT_EQ(listed["report"].size, 20);

  auto report = result("build", id, "report");
  EXPECT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(report.body, "the report\nline two\n");
  EXPECT_EQ(report.header("Content-Type"), listed["report"].content_type);

  auto bundle = result("build", id, "bundle");
  EXPECT_EQ(bundle.status, 200);
  EXPECT_EQ(bundle.header("Content-Type"), "application/gzip");
  EXPECT_EQ(bundle.header("Content-Disposition"), "attachment; filename=\"bundle.tar.gz\"");
  EXPECT_EQ(static_cast<std::int64_t>(bundle.body.size()), listed["bundle"].size);
  auto files = read_archive_files(bundle.body);
  EXPECT_EQ(files["out/report.txt"], "the report\nline two\n");
  EXPECT_EQ(files["out/sub/nested.txt"], "nested\n");

  auto junit = result("build", id, "junit");
  EXPECT_EQ(junit.status, 200);
  EXPECT_EQ(junit.header("Content-Type"), "application/zip");
  EXPECT_TRUE(holds_text(read_archive_files(junit.body)["reports/unit.xml"], "<testsuite"));

  auto output = console("build", id);
  EXPECT_TRUE(holds_text(output, "built\n"));
  EXPECT_TRUE(holds_text(output, "stored result 'report'"));

  auto unknown = result("build", id, "nothing-here");
  EXPECT_TRUE(is_problem(unknown, 404));
}

TEST_F(AgentResultTest, AMissingResultPathIsNotedWithoutFailingTheRun) {
  put_job("partial", freestyle_job("echo present > here.txt",
                                   R"("results": {
                                     "present": {"path": "here.txt", "type": "file"},
                                     "absent": {"path": "not/there.txt", "type": "file"},
                                     "gone-dir": {"path": "no-such-dir", "type": "dir"}})"));
  auto id = trigger("partial");
  auto run = wait_for_end("partial", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;

  auto output = console("partial", id);
  EXPECT_TRUE(holds_text(output, "result 'absent'"));
  EXPECT_TRUE(holds_text(output, "not/there.txt was not found"));
  EXPECT_TRUE(holds_text(output, "result 'gone-dir'"));

  auto listed = by_name(results("partial", id));
  EXPECT_TRUE(listed.contains("present"));
  EXPECT_FALSE(listed.contains("absent"));
  EXPECT_FALSE(listed.contains("gone-dir"));
  EXPECT_EQ(result("partial", id, "present").body, "present\n");
  EXPECT_TRUE(is_problem(result("partial", id, "absent"), 404));
}

TEST_F(AgentResultTest, ADirectoryDeclaredAsAFileIsNotedAndSkipped) {
  put_job("wrong-type", freestyle_job("mkdir -p out\necho x > out/x.txt",
                                      R"("results": {"out": {"path": "out", "type": "file"}})"));
  auto id = trigger("wrong-type");
  auto run = wait_for_end("wrong-type", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  EXPECT_TRUE(holds_text(console("wrong-type", id), "result 'out': out is not a regular file"));
  EXPECT_FALSE(by_name(results("wrong-type", id)).contains("out"));
}

TEST_F(AgentResultTest, ResultsOfAFailedRunAreStillCollected) {
  // The files a failing test run leaves are what a user needs most.
  put_job("fails", freestyle_job("echo 'failure details' > log.txt\nexit 2",
                                 R"("results": {"log": {"path": "log.txt", "type": "file"}})"));
  auto id = trigger("fails");
  auto run = wait_for_end("fails", id);
  EXPECT_EQ(run.status, "failed") << run.body;
  EXPECT_EQ(run.exit_code, 2);
  auto log = result("fails", id, "log");
  EXPECT_EQ(log.status, 200) << log.body;
  EXPECT_EQ(log.body, "failure details\n");
}

} // namespace
} // namespace cicd::test
