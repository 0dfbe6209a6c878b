// The console: streamed live with `?follow=true` until the run ends, stored whole at the end,
// and a 50 MB output kept exactly while the process's memory stays bounded.
#include "agent_fixture.hpp"

#include <thread>

namespace cicd::test {
namespace {

using namespace std::chrono_literals;

using AgentConsoleTest = AgentTest;

TEST_F(AgentConsoleTest, FollowStreamsOutputWhileTheRunGoesAndEndsWithIt) {
  put_job("ticker", freestyle_job("for i in 1 2 3 4 5 6 7 8; do echo tick-$i; sleep 1; done\n"
                                  "echo ticker done"));
  auto id = trigger("ticker");
  std::string seen;
  std::string status_at_first_tick;
  auto token = standalone().token("read");
  auto streamed = stream_get(
      standalone().port(), run_path("ticker", id) + "/results/console?follow=true",
      {{"Authorization", "Bearer " + token}},
      [&](std::string_view piece) {
        seen.append(piece);
        if (status_at_first_tick.empty() && seen.find("tick-1\n") != std::string::npos) {
          status_at_first_tick = get_run("ticker", id).status;
        }
        return true;
      },
      60s);
  auto after = get_run("ticker", id);

  EXPECT_EQ(streamed.status, 200);
  EXPECT_TRUE(streamed.complete) << "the response did not end: " << streamed.body;
  EXPECT_EQ(status_at_first_tick, "running") << "the first line came only once the run ended";
  EXPECT_EQ(after.status, "succeeded") << "the stream ended before the run: " << after.body;
  for (int i = 1; i <= 8; ++i) {
    EXPECT_TRUE(holds_text(streamed.body, "tick-" + std::to_string(i) + "\n"));
  }
  EXPECT_TRUE(holds_text(streamed.body, "ticker done\n"));
  EXPECT_EQ(streamed.body, console("ticker", id)) << "followed and stored consoles differ";
}

TEST_F(AgentConsoleTest, FollowOnAFinishedRunReturnsTheWholeConsoleAndEnds) {
  put_job("quick", freestyle_job("echo one\necho two"));
  auto id = trigger("quick");
  EXPECT_EQ(wait_for_end("quick", id).status, "succeeded");
  auto followed =
      call(Verb::get, run_path("quick", id) + "/results/console?follow=true", {}, "read");
  EXPECT_EQ(followed.status, 200);
  EXPECT_EQ(followed.body, "one\ntwo\n");
  EXPECT_TRUE(
      is_problem(call(Verb::get, run_path("quick", id) + "/results/console?follow=yes", {}, "read"),
                 400, "follow"));
}

TEST_F(AgentConsoleTest, StdoutAndStderrAreBothKept) {
  // Docker does not order the two streams against each other: only each one's own order is
  // checked.
  put_job("streams", freestyle_job("for i in 1 2 3; do echo out-$i; echo err-$i >&2; done"));
  auto id = trigger("streams");
  EXPECT_EQ(wait_for_end("streams", id).status, "succeeded");
  auto output = console("streams", id);
  EXPECT_LT(output.find("out-1\n"), output.find("out-2\n"));
  EXPECT_LT(output.find("out-2\n"), output.find("out-3\n"));
  EXPECT_LT(output.find("err-1\n"), output.find("err-2\n"));
  EXPECT_LT(output.find("err-2\n"), output.find("err-3\n"));
  EXPECT_TRUE(holds_text(output, "out-3\n"));
  EXPECT_TRUE(holds_text(output, "err-3\n"));
  EXPECT_EQ(output.size(), 36u);
}

TEST_F(AgentConsoleTest, OutputAfterTheLastNewlineIsKept) {
  put_job("no-newline", freestyle_job("echo first line\nprintf 'half a line'\nsleep 1\n"
                                      "printf ' and the rest, without a newline'"));
  auto id = trigger("no-newline");
  EXPECT_EQ(wait_for_end("no-newline", id).status, "succeeded");
  EXPECT_EQ(console("no-newline", id), "first line\nhalf a line and the rest, without a newline");
}

TEST_F(AgentConsoleTest, FiftyMegabytesOfOutputAreStoredExactlyWithBoundedMemory) {
  constexpr std::int64_t k_size = 50'000'000;
  constexpr std::uint64_t k_memory_bound = 200ull * 1024 * 1024; // generous: not a benchmark
  put_job("chatty", freestyle_job("yes 0123456789abcdef | head -c 50000000"));
  auto pid = standalone().pid();
  ASSERT_GT(pid, 0);
  auto id = trigger("chatty");

  std::uint64_t highest_rss = 0;
  auto until = std::chrono::steady_clock::now() + 180s;
  RunView run;
  for (;;) {
    highest_rss = std::max(highest_rss, proc_status_bytes(pid, "VmRSS"));
    run = get_run("chatty", id);
    if (!run.finished_at.empty() || std::chrono::steady_clock::now() >= until) {
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(run.status, "succeeded") << run.body;
  auto peak_after_run = proc_status_bytes(pid, "VmHWM");
  EXPECT_GT(peak_after_run, 0u) << "cannot read /proc/" << pid << "/status";
  EXPECT_LT(peak_after_run, k_memory_bound) << "peak RSS while the job printed 50 MB";
  EXPECT_LT(highest_rss, k_memory_bound);
  RecordProperty("peak_rss_bytes", std::to_string(peak_after_run));

  bool listed = false;
  for (const auto& item : results("chatty", id)) {
    if (item.name == "console") {
      listed = true;
      EXPECT_EQ(item.size, k_size);
    }
  }
  EXPECT_TRUE(listed);

  auto output = console("chatty", id);
  ASSERT_EQ(static_cast<std::int64_t>(output.size()), k_size);
  std::string expected;
  expected.reserve(k_size);
  while (static_cast<std::int64_t>(expected.size()) < k_size) {
    expected += "0123456789abcdef\n";
  }
  expected.resize(k_size);
  EXPECT_TRUE(output == expected) << "the stored console differs from what the job printed";
  // Serving it is streamed too.
  EXPECT_LT(proc_status_bytes(pid, "VmHWM"), k_memory_bound) << "peak RSS after serving 50 MB";
}

} // namespace
} // namespace cicd::test
