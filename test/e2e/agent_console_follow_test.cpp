// The console as clients rely on it: a follower that loses its connection resumes from the
// byte offset it had and sees every line exactly once; server-sent events carry that offset
// as their id; past the log limit the job's output is cut with a marker while the job runs on.
#include "agent_fixture.hpp"

#include <thread>

namespace cicd::test {
namespace {
using namespace std::chrono_literals;

using AgentConsoleFollowTest = AgentTest;

constexpr const char* k_ticker = "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line-$i; sleep 0.5; "
                                 "done\necho the end";

std::string expected_ticker_output() {
  std::string out;
  for (int i = 1; i <= 12; ++i) {
    out += "line-" + std::to_string(i) + "\n";
  }
  return out + "the end\n";
}

TEST_F(AgentConsoleFollowTest, AFollowerResumesFromItsOffsetAfterADroppedConnection) {
  put_job("ticker", freestyle_job(k_ticker));
  auto id = trigger("ticker");
  auto path = run_path("ticker", id) + "/results/console?follow=true";
  HttpHeaders auth = {{"Authorization", "Bearer " + standalone().token("read")}};

  std::string first;
  auto dropped = stream_get(
      standalone().port(), path, auth,
      [&](std::string_view piece) {
        first.append(piece);
        return first.find("line-3\n") == std::string::npos; // then the client goes away
      },
      60s);
  EXPECT_FALSE(dropped.complete);
  EXPECT_EQ(get_run("ticker", id).status, "running") << "the run ended before the drop";
  std::this_thread::sleep_for(1500ms); // lines keep coming while nobody follows

  auto resumed = stream_get(
      standalone().port(), path + "&offset=" + std::to_string(first.size()), auth,
      [](std::string_view) { return true; }, 60s);
  EXPECT_EQ(resumed.status, 200);
  EXPECT_TRUE(resumed.complete);
  EXPECT_EQ(first + resumed.body, expected_ticker_output());
  EXPECT_EQ(console("ticker", id), expected_ticker_output());
}

TEST_F(AgentConsoleFollowTest, AnOffsetReadsTheRestOfAFinishedConsoleAndBadOnesAre400) {
  put_job("short", freestyle_job("echo one\necho two"));
  auto id = trigger("short");
  ASSERT_EQ(wait_for_end("short", id).status, "succeeded");
  auto path = run_path("short", id) + "/results/console";
  EXPECT_EQ(call(Verb::get, path + "?offset=4", {}, "read").body, "two\n");
  EXPECT_EQ(call(Verb::get, path + "?offset=0&follow=true", {}, "read").body, "one\ntwo\n");
  auto beyond = call(Verb::get, path + "?offset=1000", {}, "read");
  EXPECT_EQ(beyond.status, 200);
  EXPECT_EQ(beyond.body, "");
  for (const auto* bad : {"-1", "x", "1.5", ""}) {
    EXPECT_TRUE(is_problem(call(Verb::get, path + "?offset=" + bad, {}, "read"), 400, "offset"))
        << bad;
  }
}

TEST_F(AgentConsoleFollowTest, EventsCarryWholeLinesWithTheirOffsetAndEndWithTheStatus) {
  put_job("events", freestyle_job("echo one\necho two\nprintf three\nexit 3"));
  auto id = trigger("events");
  ASSERT_EQ(wait_for_end("events", id).status, "failed");
  auto path = run_path("events", id) + "/results/console";
  auto streamed = call(Verb::get, path + "?follow=false", {}, "read");
  ASSERT_EQ(streamed.body, "one\ntwo\nthree");

  auto token = "Bearer " + standalone().token("read");
  auto events = standalone().client().request(
      Verb::get, path, {}, {{"Authorization", token}, {"Accept", "text/event-stream"}});
  EXPECT_EQ(events.status, 200);
  EXPECT_EQ(events.header("Content-Type"), "text/event-stream");
  EXPECT_EQ(events.body, "id: 8\ndata: one\ndata: two\n\n"
                         "id: 13\ndata: three\n\n"
                         "event: end\ndata: {\"status\":\"failed\"}\n\n");

  auto resumed = standalone().client().request(
      Verb::get, path, {},
      {{"Authorization", token}, {"Accept", "text/event-stream"}, {"Last-Event-ID", "4"}});
  EXPECT_EQ(resumed.body, "id: 8\ndata: two\n\nid: 13\ndata: three\n\n"
                          "event: end\ndata: {\"status\":\"failed\"}\n\n");
  auto bad = standalone().client().request(
      Verb::get, path, {},
      {{"Authorization", token}, {"Accept", "text/event-stream"}, {"Last-Event-ID", "x"}});
  EXPECT_TRUE(is_problem(bad, 400, "Last-Event-ID"));
}

TEST_F(AgentConsoleFollowTest, EventsArriveWhileTheRunGoes) {
  put_job("live", freestyle_job(k_ticker));
  auto id = trigger("live");
  std::string status_at_first_event;
  std::string body;
  auto streamed = stream_get(
      standalone().port(), run_path("live", id) + "/results/console",
      {{"Authorization", "Bearer " + standalone().token("read")}, {"Accept", "text/event-stream"}},
      [&](std::string_view piece) {
        body.append(piece);
        if (status_at_first_event.empty() && body.find("data: line-1") != std::string::npos) {
          status_at_first_event = get_run("live", id).status;
        }
        return true;
      },
      60s);
  EXPECT_TRUE(streamed.complete);
  EXPECT_EQ(status_at_first_event, "running");
  // The data lines, in order, are the console's lines; the last id is its size.
  std::string lines;
  std::size_t at = 0;
  while ((at = body.find("data: line-", at)) != std::string::npos) {
    auto end = body.find('\n', at);
    lines += body.substr(at + 6, end - at - 6) + "\n";
    at = end;
  }
  EXPECT_EQ(lines + "the end\n", expected_ticker_output());
  // How lines group into events depends on timing (line-12 and "the end" may share one).
  auto last_id = body.rfind("id: ");
  ASSERT_NE(last_id, std::string::npos) << body;
  EXPECT_EQ(body.substr(last_id, body.find('\n', last_id) - last_id),
            "id: " + std::to_string(expected_ticker_output().size()));
  EXPECT_TRUE(body.ends_with("data: the end\n\nevent: end\ndata: {\"status\":\"succeeded\"}\n\n"))
      << body;
}

TEST_F(AgentConsoleFollowTest, PastTheLogLimitOutputIsCutWithAMarkerAndTheJobRunsOn) {
  ASSERT_EQ(call(Verb::put, "/settings", R"({"consoleLimitMiB":1})").status, 200);
  put_job("flood", freestyle_job("yes 0123456789abcdef | head -c 3000000\n"
                                 "echo after-the-limit > proof.txt\necho after-the-limit",
                                 R"("results": {"proof": {"path": "proof.txt"}})"));
  auto id = trigger("flood");
  auto run = wait_for_end("flood", id);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  EXPECT_TRUE(holds_text(run.body, R"("consoleTruncated":true)"));
  EXPECT_EQ(result("flood", id, "proof").body, "after-the-limit\n") << "the job stopped early";

  auto output = console("flood", id);
  constexpr std::size_t k_limit = 1024 * 1024;
  std::string expected;
  while (expected.size() < k_limit) {
    expected += "0123456789abcdef\n";
  }
  expected.resize(k_limit);
  ASSERT_GT(output.size(), k_limit);
  EXPECT_TRUE(output.compare(0, k_limit, expected) == 0) << "the kept part differs";
  EXPECT_TRUE(holds_text(output.substr(k_limit, 400),
                         "\n[cicd] the console reached its limit of 1048576 bytes: the job's "
                         "further output is not stored"));
  EXPECT_TRUE(lacks_text(output, "after-the-limit\n"));
  EXPECT_LT(output.size(), k_limit + 2048) << "more than the marker and cicd's notes followed";

  put_job("quiet", freestyle_job("echo small"));
  auto quiet = wait_for_end("quiet", trigger("quiet"));
  EXPECT_TRUE(holds_text(quiet.body, R"("consoleTruncated":false)"));
}

} // namespace
} // namespace cicd::test
