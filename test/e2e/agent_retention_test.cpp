// Retention: a finished run's console and results are deleted once older than its job's
// resultRetentionDays, or else the global setting. The run stays, says resultsExpired, lists
// no results and answers 410 for them; the files are gone from the result store.
#include "agent_fixture.hpp"

#include "support/git_repos.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <thread>

namespace cicd::test {
namespace {
using namespace std::chrono_literals;

class AgentRetentionTest : public AgentTest {
protected:
  StandaloneOptions standalone_options() const override {
    StandaloneOptions options;
    options.extra_args = {"--sweep-period", "0.2", "--retention-period", "0.2"};
    return options;
  }

  // A run of `job` that finished, with a file result, its end moved `days_ago` into the past.
  std::int64_t finished_run(const std::string& job, int days_ago) {
    auto id = trigger(job);
    EXPECT_EQ(wait_for_end(job, id).status, "succeeded");
    EXPECT_EQ(result(job, id, "report").status, 200);
    run_shell(fmt::format("sqlite3 '{}' \"UPDATE runs SET finished_at = finished_at - {} WHERE id "
                          "= {}\"",
                          (standalone().data_dir() / "cicd.db").string(),
                          std::int64_t{days_ago} * 24 * 3600 * 1000, id));
    return id;
  }

  std::filesystem::path stored_files(std::int64_t id) {
    return standalone().data_dir() / "results" / "runs" / std::to_string(id);
  }

  // Waits (at most 20 s) until the run says resultsExpired and its files are gone.
  bool wait_until_expired(const std::string& job, std::int64_t id) {
    auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until) {
      if (holds_text(get_run(job, id).body, R"("resultsExpired":true)") &&
          !std::filesystem::exists(stored_files(id))) {
        return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
};

TEST_F(AgentRetentionTest, ResultsOlderThanTheirRetentionAreDeletedAndTheRunSaysSo) {
  if (!have_tool("sqlite3", "sqlite3")) {
    return;
  }
  ASSERT_EQ(call(Verb::put, "/settings", R"({"resultRetentionDays":10})").status, 200);
  const std::string results = R"("results": {"report": {"path": "report.txt"}})";
  put_job("short-lived",
          freestyle_job("echo report > report.txt", results + R"(,"resultRetentionDays":2)"));
  put_job("global", freestyle_job("echo report > report.txt", results));

  auto expired = finished_run("short-lived", 3);    // older than its job's 2 days
  auto kept = finished_run("global", 3);            // younger than the global 10 days
  auto expired_global = finished_run("global", 11); // older than the global 10 days
  auto recent = finished_run("short-lived", 1);

  ASSERT_TRUE(wait_until_expired("short-lived", expired));
  ASSERT_TRUE(wait_until_expired("global", expired_global));
  std::this_thread::sleep_for(600ms); // a few more passes: nothing else goes
  for (auto [job, id] :
       {std::pair<std::string, std::int64_t>{"global", kept}, {"short-lived", recent}}) {
    EXPECT_TRUE(holds_text(get_run(job, id).body, R"("resultsExpired":false)"));
    EXPECT_EQ(result(job, id, "report").body, "report\n");
    EXPECT_TRUE(std::filesystem::exists(stored_files(id)));
  }

  auto run = get_run("short-lived", expired);
  EXPECT_EQ(run.status, "succeeded") << "the run itself is kept";
  auto listed = call(Verb::get, run_path("short-lived", expired) + "/results", {}, "read");
  EXPECT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body, R"({"resultsExpired":true,"items":[]})");
  EXPECT_TRUE(is_problem(result("short-lived", expired, "report"), 410));
  EXPECT_TRUE(is_problem(
      call(Verb::get, run_path("short-lived", expired) + "/results/console", {}, "read"), 410));
  EXPECT_TRUE(holds_text(standalone().log(), "short-lived: the results of 1 runs are older than 2 "
                                             "days: expired"));
}

} // namespace
} // namespace cicd::test
