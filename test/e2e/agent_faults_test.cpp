// Faults of the agent's own machine (RELIABILITY.md): a full disk in the work dir.
#include "agent_fixture.hpp"

#include <gmock/gmock.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace cicd::test {
namespace {

using testing::HasSubstr;
using testing::StartsWith;

// The work dir is a 1 MiB tmpfs (mounting one needs root, which CI has).
class AgentDiskFullTest : public AgentTest {
protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      if (std::getenv("CI") != nullptr) {
        FAIL() << "filling the disk needs root to mount a tmpfs";
      }
      GTEST_SKIP() << "SKIPPED: filling the disk needs root to mount a tmpfs";
    }
    AgentTest::SetUp();
  }

  StandaloneOptions standalone_options() const override {
    StandaloneOptions options;
    options.work_dir_tmpfs_bytes = 1024 * 1024;
    return options;
  }
};

TEST_F(AgentDiskFullTest, AFullWorkDirErrorsTheRunAsDiskFullAndTheAgentGoesOn) {
  put_job("loud", freestyle_job("yes 0123456789abcdef | head -c 4000000\necho done"));
  auto id = trigger("loud");
  auto run = wait_for_end("loud", id);
  EXPECT_EQ(run.status, "errored") << run.body;
  EXPECT_THAT(run.reason, StartsWith("disk full: the agent could not write console.log in "));
  EXPECT_THAT(run.reason, HasSubstr(standalone().work_dir().string()));

  // The run's workspace is gone (checked again at teardown) and the next run has the space.
  put_job("quiet", freestyle_job("echo fine"));
  auto next = trigger("quiet");
  auto quiet = wait_for_end("quiet", next);
  EXPECT_EQ(quiet.status, "succeeded") << quiet.body;
  EXPECT_THAT(console("quiet", next), HasSubstr("fine\n"));
}

TEST_F(AgentDiskFullTest, AnInfrastructureErrorIsRetriedAsOftenAsTheJobAsks) {
  put_job("loud", freestyle_job("yes 0123456789abcdef | head -c 4000000",
                                R"("retry": {"onInfrastructureError": 1})"));
  auto id = trigger("loud");
  EXPECT_THAT(wait_for_end("loud", id).reason, StartsWith("disk full:"));
  // The retry is created right after the run's status is written: wait for it to appear.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (call(Verb::get, run_path("loud", id + 1), {}, "read").status == 404 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // The retry fills the disk too; with one retry allowed, it is the last run.
  auto retry = wait_for_end("loud", id + 1);
  EXPECT_EQ(retry.status, "errored") << retry.body;
  auto document = parse_json(retry.body);
  EXPECT_EQ(string_member(document["trigger"], "kind"), "retry");
  EXPECT_EQ(document["trigger"]["retryOf"].GetInt64(), id);
  std::this_thread::sleep_for(std::chrono::seconds(1)); // bounded: no third run comes
  auto third = call(Verb::get, run_path("loud", id + 2), {}, "read");
  EXPECT_EQ(third.status, 404) << third.body;
}

TEST_F(AgentDiskFullTest, AFailedScriptIsNeverRetried) {
  put_job("failing", freestyle_job("exit 3", R"("retry": {"onInfrastructureError": 2})"));
  auto id = trigger("failing");
  EXPECT_EQ(wait_for_end("failing", id).status, "failed");
  std::this_thread::sleep_for(std::chrono::seconds(1)); // bounded: no retry comes
  EXPECT_EQ(call(Verb::get, run_path("failing", id + 1), {}, "read").status, 404);
}

} // namespace
} // namespace cicd::test
