// Secrets: they reach the job as environment variables and show nowhere else — not in the
// console (masked "***", also when printed in pieces or line by line), not in any API
// response, not in the process's log, not in plaintext in any file of the data dir.
#include "agent_fixture.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace cicd::test {
namespace {

namespace fs = std::filesystem;

// Paths of the files below `dir` holding `needle` anywhere in their bytes.
std::vector<std::string> files_holding(const fs::path& dir, std::string_view needle) {
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) {
      continue;
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (content.str().find(needle) != std::string::npos) {
      found.push_back(it->path().string());
    }
  }
  return found;
}

class AgentSecretTest : public AgentTest {
protected:
  void put_secret(std::string_view job, std::string_view name, std::string_view value) {
    auto response = call(Verb::put, "/jobs/" + std::string(job) + "/secrets/" + std::string(name),
                         R"({"value": )" + json_quote(value) + "}");
    EXPECT_TRUE(response.status == 200 || response.status == 201) << response.body;
  }

  // Reads everything the API shows about the run and its job (so that responses_seen() holds
  // it), then checks that `value` is in none of it, nor in the log, nor in the data dir.
  void expect_shown_nowhere(std::string_view job, std::int64_t id, std::string_view value) {
    std::string job_path = "/jobs/" + std::string(job);
    for (const auto& target :
         {job_path, job_path + "/runs", run_path(job, id), job_path + "/secrets",
          run_path(job, id) + "/results", run_path(job, id) + "/results/console",
          run_path(job, id) + "/results/console?follow=true", std::string("/jobs")}) {
      EXPECT_EQ(call(Verb::get, target, {}, "read").status, 200) << target;
    }
    EXPECT_TRUE(lacks_text(responses_seen(), value)) << "in an API response";
    EXPECT_TRUE(lacks_text(standalone().log(), value)) << "in the process's log";
    EXPECT_EQ(files_holding(standalone().data_dir(), value), std::vector<std::string>{})
        << "files of the data dir hold the value in plaintext";
  }
};

TEST_F(AgentSecretTest, ASecretReachesTheJobAndIsMaskedEverywhere) {
  const std::string canary = "canary-7f2a9c-secret";
  put_job("deploy", freestyle_job(R"(echo "token: $API_TOKEN."
echo "$API_TOKEN" | tr a-z A-Z
echo "$API_TOKEN" >&2
echo "length ${#API_TOKEN}")",
                                  R"("secrets": ["API_TOKEN"])"));
  put_secret("deploy", "API_TOKEN", canary);
  auto id = trigger("deploy");
  auto run = wait_for_end("deploy", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;

  auto output = console("deploy", id);
  EXPECT_TRUE(holds_text(output, "token: ***.\n"));
  EXPECT_TRUE(holds_text(output, "CANARY-7F2A9C-SECRET\n")); // the value did reach the job
  EXPECT_TRUE(holds_text(output, "***\n"));
  EXPECT_TRUE(holds_text(output, "length 20\n"));
  EXPECT_TRUE(lacks_text(output, canary));
  expect_shown_nowhere("deploy", id, canary);
}

TEST_F(AgentSecretTest, ASecretPrintedInTwoPiecesASecondApartIsMasked) {
  // The pieces reach the agent in separate reads, and a console chunk is stored in between.
  put_job("split", freestyle_job(R"(printf 'value: abcd'
sleep 1
printf 'efgh.\n'
echo "near miss: abcdefg."
printf 'abcdefg'
sleep 1
printf 'h near the end\n')",
                                 R"("secrets": ["SPLIT_SECRET"])"));
  put_secret("split", "SPLIT_SECRET", "abcdefgh");
  auto id = trigger("split");
  auto run = wait_for_end("split", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;

  auto output = console("split", id);
  EXPECT_TRUE(holds_text(output, "value: ***.\n"));
  EXPECT_TRUE(holds_text(output, "near miss: abcdefg.\n")); // not the secret: shown
  EXPECT_TRUE(holds_text(output, "*** near the end\n"));
  EXPECT_TRUE(lacks_text(output, "abcdefgh"));
  expect_shown_nowhere("split", id, "abcdefgh");
}

TEST_F(AgentSecretTest, AMultiLineSecretIsMaskedLineByLine) {
  const std::string key = "-----BEGIN TEST KEY-----\nfirst-line-of-the-key\n"
                          "second-line-of-the-key\n-----END TEST KEY-----";
  put_job("multi", freestyle_job(R"(echo "$TEST_KEY"
echo "$TEST_KEY" | while read -r line; do echo "line: $line"; done
echo "$TEST_KEY" | tail -n 2 | head -n 1)",
                                 R"("secrets": ["TEST_KEY"])"));
  put_secret("multi", "TEST_KEY", key);
  auto id = trigger("multi");
  auto run = wait_for_end("multi", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;

  auto output = console("multi", id);
  EXPECT_TRUE(holds_text(output, "***\n***\n***\n***\n"));
  EXPECT_TRUE(holds_text(output, "line: ***\nline: ***\nline: ***\nline: ***\n"));
  for (const auto* line :
       {"BEGIN TEST KEY", "first-line-of-the-key", "second-line-of-the-key", "END TEST KEY"}) {
    EXPECT_TRUE(lacks_text(output, line));
    expect_shown_nowhere("multi", id, line);
  }
}

TEST_F(AgentSecretTest, ASecretShorterThanFourBytesIsRefusedWhenStored) {
  put_job("short", freestyle_job("true"));
  auto refused = call(Verb::put, "/jobs/short/secrets/PIN", R"({"value": "123"})");
  EXPECT_TRUE(is_problem(refused, 400, "value"));
  EXPECT_TRUE(holds_text(refused.body, "4"));
  auto listed = call(Verb::get, "/jobs/short/secrets", {}, "read");
  EXPECT_EQ(listed.status, 200);
  EXPECT_TRUE(lacks_text(listed.body, "PIN")) << "a refused secret was stored";

  auto stored = call(Verb::put, "/jobs/short/secrets/PIN", R"({"value": "1234"})");
  EXPECT_EQ(stored.status, 201) << stored.body;
}

TEST_F(AgentSecretTest, AMissingRequiredSecretErrorsTheRunNamingIt) {
  put_job("needs-key",
          freestyle_job("echo the job ran", R"("secrets": ["DEPLOY_KEY", "OTHER_KEY"])"));
  put_secret("needs-key", "OTHER_KEY", "other-value");
  auto id = trigger("needs-key");
  auto run = wait_for_end("needs-key", id);
  EXPECT_EQ(run.status, "errored") << run.body;
  EXPECT_TRUE(holds_text(run.reason, "DEPLOY_KEY"));
  EXPECT_TRUE(lacks_text(run.reason, "OTHER_KEY")) << "only the missing one is named";
  auto output = console("needs-key", id);
  EXPECT_TRUE(holds_text(output, "DEPLOY_KEY"));
  EXPECT_TRUE(lacks_text(output, "the job ran"));

  // Once it is set, the job runs.
  put_secret("needs-key", "DEPLOY_KEY", "deploy-value");
  auto again = trigger("needs-key");
  auto rerun = wait_for_end("needs-key", again);
  EXPECT_EQ(rerun.status, "succeeded") << rerun.body;
}

} // namespace
} // namespace cicd::test
