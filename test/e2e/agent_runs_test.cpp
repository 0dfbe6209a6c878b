// A run through `cicd standalone` end to end: exit codes and statuses, what reaches the job's
// environment, and infrastructure errors a user can act on.
#include "agent_fixture.hpp"

#include <thread>

namespace cicd::test {
namespace {

using AgentRunTest = AgentTest;

TEST_F(AgentRunTest, ExitZeroSucceedsWithTheJobsOutputInTheConsole) {
  put_job("hello", freestyle_job("echo hello from the job\necho to stderr >&2\npwd"));
  auto id = trigger("hello");
  auto run = wait_for_end("hello", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  EXPECT_EQ(run.exit_code, 0) << run.body;
  EXPECT_FALSE(run.started_at.empty()) << run.body;
  EXPECT_FALSE(run.finished_at.empty()) << run.body;
  EXPECT_LE(run.started_at, run.finished_at); // same ISO 8601 format: ordered as text
  EXPECT_EQ(run.agent, standalone().agent_id()) << run.body;

  auto output = console("hello", id);
  EXPECT_TRUE(holds_text(output, "hello from the job\n"));
  EXPECT_TRUE(holds_text(output, "to stderr\n"));
  EXPECT_TRUE(holds_text(output, "/workspace\n")); // the job runs in its workdir

  auto listed = results("hello", id);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name, "console");
  EXPECT_TRUE(listed[0].content_type.starts_with("text/plain")) << listed[0].content_type;
  EXPECT_EQ(listed[0].size, static_cast<std::int64_t>(output.size()));
}

TEST_F(AgentRunTest, ANonZeroExitFailsWithTheExitCodeInTheRun) {
  put_job("exit-three", freestyle_job("echo before the exit\nexit 3"));
  auto id = trigger("exit-three");
  auto run = wait_for_end("exit-three", id);
  EXPECT_EQ(run.status, "failed") << run.body;
  EXPECT_EQ(run.exit_code, 3) << run.body;
  EXPECT_TRUE(holds_text(console("exit-three", id), "before the exit\n"));
}

TEST_F(AgentRunTest, TheScriptStopsAtTheFirstFailingCommand) {
  put_job("sh-e", freestyle_job("echo first\nfalse\necho never printed"));
  auto id = trigger("sh-e");
  auto run = wait_for_end("sh-e", id);
  EXPECT_EQ(run.status, "failed") << run.body;
  EXPECT_EQ(run.exit_code, 1) << run.body;
  auto output = console("sh-e", id);
  EXPECT_TRUE(holds_text(output, "first\n"));
  EXPECT_TRUE(lacks_text(output, "never printed"));
}

TEST_F(AgentRunTest, ParametersEnvAndTheRunsOwnFactsReachTheJob) {
  const std::string script = R"(echo "TARGET=[$TARGET]"
echo "VERBOSE=[$VERBOSE]"
echo "SHARDS=[$SHARDS]"
echo "GREETING=[$GREETING]"
echo "FROM_ENV=[$FROM_ENV]"
echo "CICD_RUN_ID=[$CICD_RUN_ID]"
echo "CICD_JOB=[$CICD_JOB]"
echo "CICD_COMMIT_SHA=[$CICD_COMMIT_SHA]"
echo "CICD_BRANCH=[$CICD_BRANCH]"
env | grep -c '^GREETING=' | sed 's/^/greeting variables: /')";
  put_job("params", freestyle_job(script, R"("env": {"FROM_ENV": "from the spec"},
      "parameters": {
        "TARGET": {"type": "choice", "choices": ["debug", "release"], "default": "debug"},
        "VERBOSE": {"type": "bool", "default": false},
        "SHARDS": {"type": "integer", "default": 4},
        "GREETING": {"type": "string", "required": true}})"));

  auto by_branch = trigger(
      "params",
      R"({"branchName": "main", "parameters": {"TARGET": "release", "GREETING": "hello world"}})");
  auto run = wait_for_end("params", by_branch);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  auto output = console("params", by_branch);
  EXPECT_TRUE(holds_text(output, "TARGET=[release]\n"));
  EXPECT_TRUE(holds_text(output, "VERBOSE=[false]\n")); // defaults are filled in
  EXPECT_TRUE(holds_text(output, "SHARDS=[4]\n"));
  EXPECT_TRUE(holds_text(output, "GREETING=[hello world]\n")); // one variable, spaces and all
  EXPECT_TRUE(holds_text(output, "FROM_ENV=[from the spec]\n"));
  EXPECT_TRUE(holds_text(output, "CICD_RUN_ID=[" + std::to_string(by_branch) + "]\n"));
  EXPECT_TRUE(holds_text(output, "CICD_JOB=[params]\n"));
  EXPECT_TRUE(holds_text(output, "CICD_COMMIT_SHA=[]\n"));
  EXPECT_TRUE(holds_text(output, "CICD_BRANCH=[main]\n"));
  EXPECT_TRUE(holds_text(output, "greeting variables: 1\n"));

  auto by_commit = trigger("params", R"({"commitSha": "0123456789abcdef0123456789abcdef01234567",
                           "parameters": {"GREETING": "hi", "SHARDS": 12, "VERBOSE": true}})");
  run = wait_for_end("params", by_commit);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  output = console("params", by_commit);
  EXPECT_TRUE(holds_text(output, "TARGET=[debug]\n"));
  EXPECT_TRUE(holds_text(output, "VERBOSE=[true]\n"));
  EXPECT_TRUE(holds_text(output, "SHARDS=[12]\n"));
  EXPECT_TRUE(holds_text(output, "CICD_RUN_ID=[" + std::to_string(by_commit) + "]\n"));
  EXPECT_TRUE(holds_text(output, "CICD_COMMIT_SHA=[0123456789abcdef0123456789abcdef01234567]\n"));
  EXPECT_TRUE(holds_text(output, "CICD_BRANCH=[]\n"));
}

TEST_F(AgentRunTest, AMissingImageErrorsTheRunWithAReasonNamingTheImage) {
  // No registry answers on these machines: the pull fails at once.
  put_job("no-image", R"({"type": "freestyle", "image": "cicd-test/no-such-image:1",
                          "script": "echo never"})");
  auto id = trigger("no-image");
  auto run = wait_for_end("no-image", id);
  EXPECT_EQ(run.status, "errored") << run.body;
  EXPECT_TRUE(holds_text(run.reason, "cicd-test/no-such-image:1"));
  EXPECT_FALSE(run.exit_code.has_value()) << run.body;
  EXPECT_FALSE(run.finished_at.empty()) << run.body;
  // The console tells the same story, so that it can be read after the fact.
  auto output = console("no-image", id);
  EXPECT_TRUE(holds_text(output, "cicd-test/no-such-image:1"));
  EXPECT_TRUE(lacks_text(output, "never\n"));
}

TEST_F(AgentRunTest, RunsOfOneJobEachGetTheirOwnContainer) {
  // A file written by one run is not seen by the next: nothing is shared between runs.
  put_job("isolated", freestyle_job("test ! -e /workspace/marker\ntouch /workspace/marker\n"
                                    "echo fresh workspace"));
  auto first = trigger("isolated");
  EXPECT_EQ(wait_for_end("isolated", first).status, "succeeded");
  auto second = trigger("isolated");
  auto run = wait_for_end("isolated", second);
  EXPECT_EQ(run.status, "succeeded") << run.body << "\n" << console("isolated", second);
}

TEST_F(AgentRunTest, TwoStandaloneProcessesOnOneEngineDoNotClash) {
  CicdStandalone other;
  const std::string job = freestyle_job("echo run starts\nsleep 4\necho run ends");
  put_job("same", job);
  auto token = other.token("admin");
  HttpHeaders auth = {{"Authorization", "Bearer " + token}};
  auto put = other.client().request(Verb::put, "/jobs/same", job, auth);
  ASSERT_EQ(put.status, 201) << put.body;

  auto mine = trigger("same");
  auto theirs =
      other.client().request(Verb::post, "/jobs/same/runs", R"({"branchName": "main"})", auth);
  ASSERT_EQ(theirs.status, 201) << theirs.body;
  auto their_id = parse_json(theirs.body)["id"].GetInt64();
  EXPECT_EQ(their_id, mine) << "both databases start their run ids at 1";

  auto run = wait_for_end("same", mine);
  std::string their_run;
  for (auto until = std::chrono::steady_clock::now() + k_run_deadline;
       std::chrono::steady_clock::now() < until;) {
    their_run = other.client().request(Verb::get, run_path("same", their_id), {}, auth).body;
    auto status = string_member(parse_json(their_run), "status");
    if (status != "queued" && status != "running") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(run.status, "succeeded") << run.body;
  EXPECT_EQ(string_member(parse_json(their_run), "status"), "succeeded") << their_run;

  auto agent = other.agent_id();
  other.stop();
  EXPECT_EQ(docker().containers_with_label("cicd.agent=" + agent).value(),
            std::vector<std::string>{});
  EXPECT_EQ(docker().networks_with_label("cicd.agent=" + agent).value(),
            std::vector<std::string>{});
}

} // namespace
} // namespace cicd::test
