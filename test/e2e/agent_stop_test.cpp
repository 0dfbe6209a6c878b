// Stopping runs: the job's timeout, the umbrella timeout of PUT /settings, an abort while
// running (SIGTERM, grace, SIGKILL) and an abort while queued. The process runs with
// --grace 2.
#include "agent_fixture.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fmt/format.h>

#include <thread>
#include <vector>

namespace cicd::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto k_grace = 2s;
// The spec asks for "aborted within grace + 2 s"; the bound allows for a machine loaded by
// parallel builds (the heartbeat notices an abort within 1 s, removing the containers and the
// network takes the rest). It bounds the test, it does not measure performance.
constexpr auto k_stop_slack = 8s;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

using AgentStopTest = AgentTest;

TEST_F(AgentStopTest, TheJobsTimeoutEndsItAsTimedOut) {
  put_job("slow", freestyle_job("echo started\nsleep 30\necho not reached", R"("timeout": "2s")"));
  auto start = Clock::now();
  auto id = trigger("slow");
  auto run = wait_for_end("slow", id, 30s);
  auto took = seconds_since(start);
  EXPECT_EQ(run.status, "timed_out") << run.body;
  EXPECT_TRUE(holds_text(run.reason, "timed out")) << run.body;
  EXPECT_TRUE(holds_text(run.reason, "2s")) << run.body;
  EXPECT_FALSE(run.finished_at.empty()) << run.body;
  EXPECT_LT(took, std::chrono::duration<double>(2s + k_grace + k_stop_slack).count())
      << "from the trigger to timed_out";
  auto output = console("slow", id);
  EXPECT_TRUE(holds_text(output, "started\n"));
  EXPECT_TRUE(lacks_text(output, "not reached"));
}

TEST_F(AgentStopTest, TheUmbrellaTimeoutCapsTheJobsTimeout) {
  auto settings = call(Verb::put, "/settings", R"({"umbrellaTimeout": "2s"})");
  ASSERT_EQ(settings.status, 200) << settings.body;
  EXPECT_EQ(string_member(parse_json(settings.body), "umbrellaTimeout"), "2s");

  put_job("capped", freestyle_job("sleep 30", R"("timeout": "1h")"));
  auto start = Clock::now();
  auto id = trigger("capped");
  auto run = wait_for_end("capped", id, 30s);
  EXPECT_EQ(run.status, "timed_out") << run.body;
  EXPECT_LT(seconds_since(start),
            std::chrono::duration<double>(2s + k_grace + k_stop_slack).count());
  EXPECT_TRUE(lacks_text(run.reason, "1h")) << "the reason names a timeout that did not apply";
  EXPECT_TRUE(holds_text(run.reason, "2s"));
}

TEST_F(AgentStopTest, AnAbortStopsARunningJobWithinTheGracePeriod) {
  put_job("long", freestyle_job("echo started\nsleep 60\necho not reached"));
  auto id = trigger("long");
  wait_for_console("long", id, "started\n");
  EXPECT_EQ(get_run("long", id).status, "running");

  auto start = Clock::now();
  auto abort = call(Verb::post, run_path("long", id) + "/abort", {}, "trigger");
  EXPECT_EQ(abort.status, 202) << abort.body;
  auto document = parse_json(abort.body);
  ASSERT_TRUE(document.IsObject());
  EXPECT_TRUE(document["abortRequested"].IsBool() && document["abortRequested"].GetBool())
      << abort.body;

  auto run = wait_for_end("long", id, 30s);
  auto took = seconds_since(start);
  EXPECT_EQ(run.status, "aborted") << run.body;
  EXPECT_FALSE(run.finished_at.empty()) << run.body;
  EXPECT_LT(took, std::chrono::duration<double>(k_grace + k_stop_slack).count())
      << "from POST …/abort to aborted";
  EXPECT_TRUE(lacks_text(console("long", id), "not reached"));

  // A finished run cannot be aborted again.
  EXPECT_EQ(call(Verb::post, run_path("long", id) + "/abort", {}, "trigger").status, 409);
}

TEST_F(AgentStopTest, AJobIgnoringSigtermIsKilledAfterTheGracePeriod) {
  // `trap '' TERM` is inherited by `sleep`: only SIGKILL ends this job.
  put_job("stubborn", freestyle_job("trap '' TERM\necho ignoring SIGTERM\nsleep 60\n"
                                    "echo not reached"));
  auto id = trigger("stubborn");
  wait_for_console("stubborn", id, "ignoring SIGTERM\n");

  auto start = Clock::now();
  EXPECT_EQ(call(Verb::post, run_path("stubborn", id) + "/abort", {}, "trigger").status, 202);
  auto run = wait_for_end("stubborn", id, 40s);
  auto took = seconds_since(start);
  EXPECT_EQ(run.status, "aborted") << run.body;
  EXPECT_FALSE(run.finished_at.empty()) << run.body;
  EXPECT_LT(took, std::chrono::duration<double>(k_grace + k_stop_slack).count())
      << "from POST …/abort to aborted, SIGKILL included";
  EXPECT_TRUE(lacks_text(console("stubborn", id), "not reached"));
}

// A registry on 127.0.0.1 that accepts connections and never answers: a pull from it hangs.
class SilentRegistry {
public:
  SilentRegistry() : m_acceptor(m_io, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    m_thread = std::thread([this] { m_io.run(); });
  }
  ~SilentRegistry() {
    m_io.stop();
    m_thread.join();
  }
  std::uint16_t port() const { return m_acceptor.local_endpoint().port(); }

private:
  void accept() {
    m_acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (!ec) {
        m_held.push_back(std::move(socket)); // held open, never answered
        accept();
      }
    });
  }
  using tcp = boost::asio::ip::tcp;
  boost::asio::io_context m_io;
  tcp::acceptor m_acceptor;
  std::vector<tcp::socket> m_held;
  std::thread m_thread;
};

TEST_F(AgentStopTest, AnAbortStopsARunWhoseImagePullHangs) {
  SilentRegistry registry;
  auto image = fmt::format("127.0.0.1:{}/cicd-test/never:1", registry.port());
  put_job("hanging",
          fmt::format(R"({{"type": "freestyle", "image": "{}", "script": "true"}})", image));
  auto id = trigger("hanging");
  wait_for_console("hanging", id, "pulling image " + image);

  auto start = Clock::now();
  EXPECT_EQ(call(Verb::post, run_path("hanging", id) + "/abort", {}, "trigger").status, 202);
  auto run = wait_for_end("hanging", id, 30s);
  EXPECT_EQ(run.status, "aborted") << run.body;
  EXPECT_LT(seconds_since(start), std::chrono::duration<double>(k_grace + k_stop_slack).count())
      << "from POST …/abort to aborted, with the pull hanging";
}

class AgentSingleSlotTest : public AgentTest {
protected:
  StandaloneOptions standalone_options() const override {
    StandaloneOptions options;
    options.slots = 1;
    return options;
  }
};

TEST_F(AgentSingleSlotTest, ARunWaitsQueuedForAFreeSlot) {
  put_job("first", freestyle_job("echo first started\nsleep 4\necho first done"));
  put_job("second", freestyle_job("echo second ran"));
  auto first = trigger("first");
  wait_for_console("first", first, "first started\n");
  auto second = trigger("second");
  std::this_thread::sleep_for(1500ms); // several dispatch rounds: the slot stays taken
  EXPECT_EQ(get_run("second", second).status, "queued");
  EXPECT_EQ(get_run("first", first).status, "running");

  auto first_run = wait_for_end("first", first);
  auto second_run = wait_for_end("second", second);
  EXPECT_EQ(first_run.status, "succeeded") << first_run.body;
  EXPECT_EQ(second_run.status, "succeeded") << second_run.body;
  EXPECT_GE(second_run.started_at, first_run.finished_at) << "one slot: one run at a time";
  EXPECT_TRUE(holds_text(console("second", second), "second ran\n"));
}

TEST_F(AgentSingleSlotTest, AnAbortedQueuedRunEndsAtOnceAndNeverRuns) {
  put_job("blocker", freestyle_job("echo blocking\nsleep 60"));
  put_job("waiting", freestyle_job("echo the queued run ran"));
  auto blocker = trigger("blocker");
  wait_for_console("blocker", blocker, "blocking\n");
  auto waiting = trigger("waiting");
  EXPECT_EQ(get_run("waiting", waiting).status, "queued");

  auto abort = call(Verb::post, run_path("waiting", waiting) + "/abort", {}, "trigger");
  EXPECT_EQ(abort.status, 200) << abort.body;
  EXPECT_EQ(string_member(parse_json(abort.body), "status"), "aborted") << abort.body;
  auto run = get_run("waiting", waiting);
  EXPECT_EQ(run.status, "aborted") << run.body;
  EXPECT_FALSE(run.finished_at.empty()) << run.body;

  // Free the slot: the agent now takes the queued run's message, and must not run it.
  EXPECT_EQ(call(Verb::post, run_path("blocker", blocker) + "/abort", {}, "trigger").status, 202);
  EXPECT_EQ(wait_for_end("blocker", blocker).status, "aborted");
  std::this_thread::sleep_for(2s); // several dispatch rounds with a free slot

  run = get_run("waiting", waiting);
  EXPECT_EQ(run.status, "aborted") << run.body;
  EXPECT_TRUE(run.started_at.empty()) << "the aborted queued run was started: " << run.body;
  EXPECT_TRUE(run.agent.empty()) << run.body;
  EXPECT_TRUE(lacks_text(console("waiting", waiting), "the queued run ran"));
  EXPECT_TRUE(
      lacks_text(standalone().log(), "run " + std::to_string(waiting) + " of waiting started"));
}

} // namespace
} // namespace cicd::test
