// The distributed deployment end to end (issue "Distributed"): masters and agents as separate
// processes on PostgreSQL, RabbitMQ and Docker — many runs through two masters, agents killed,
// drained and aborted. Every wait is bounded; no test measures speed.
#include "fleet_fixture.hpp"

#include "support/amqp.hpp"
#include "support/own_postgres.hpp"

#include <gmock/gmock.h>

#include <signal.h>

#include <map>
#include <regex>
#include <set>
#include <thread>

namespace cicd::test {
namespace {

using namespace std::chrono_literals;
using testing::StartsWith;

FleetAgentOptions agent_with(int slots, int lease_seconds = 4) {
  FleetAgentOptions options;
  options.slots = slots;
  options.lease_seconds = lease_seconds;
  return options;
}

// How many times each run id was started, from the agents' logs ("run 12 of job started").
std::map<std::int64_t, int> starts_by_run(Fleet& fleet) {
  std::map<std::int64_t, int> starts;
  static const std::regex started(R"(run (\d+) of \S+ started)");
  for (std::size_t i = 0; i < fleet.agent_count(); ++i) {
    auto log = fleet.agent(i).log();
    for (std::sregex_iterator it(log.begin(), log.end(), started), end; it != end; ++it) {
      ++starts[std::stoll((*it)[1])];
    }
  }
  return starts;
}

TEST_F(FleetTest, ThreeHundredRunsThroughTwoMastersAndThreeAgentsEachRunOnce) {
  if (!m_fleet) {
    return;
  }
  fleet().add_master();
  fleet().add_master();
  for (int i = 0; i < 3; ++i) {
    fleet().add_agent();
  }
  put_job("many", "echo run $CICD_RUN_ID");
  constexpr int k_runs = 300;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < k_runs; ++i) {
    ids.push_back(trigger(static_cast<std::size_t>(i % 2), "many"));
  }
  std::set<std::string> agents_used;
  for (auto id : ids) {
    auto run = wait_for_end("many", id, 600s);
    EXPECT_EQ(run.status, "succeeded") << run.body;
    agents_used.insert(run.agent);
  }
  EXPECT_EQ(agents_used.size(), 3u) << "every agent took some of the runs";
  auto starts = starts_by_run(fleet());
  EXPECT_EQ(starts.size(), static_cast<std::size_t>(k_runs));
  for (auto id : ids) {
    EXPECT_EQ(starts[id], 1) << "run " << id << " was started " << starts[id] << " times";
  }
}

TEST_F(FleetTest, AKilledAgentsRunErrorsAsAgentLostAndItsContainersGoWhenItStartsAgain) {
  if (!m_fleet) {
    return;
  }
  fleet().add_master();
  auto index = fleet().add_agent(agent_with(2, 3));
  auto data_dir = fleet().agent(index).data_dir();
  auto agent_id = fleet().agent(index).id();
  put_job("long", "echo started; sleep 120");
  auto id = trigger(0, "long");
  wait_for_status("long", id, "running", 60s);
  // Killed once its job container exists (a run is running from its claim on, before that).
  auto created_by = std::chrono::steady_clock::now() + 60s;
  while (docker().containers_with_label("cicd.agent=" + agent_id)->empty() &&
         std::chrono::steady_clock::now() < created_by) {
    std::this_thread::sleep_for(100ms);
  }

  ::kill(fleet().agent(index).process().pid(), SIGKILL);
  auto run = wait_for_end("long", id, 30s); // lease 3 s, sweep every second
  EXPECT_EQ(run.status, "errored") << run.body;
  EXPECT_THAT(run.reason, StartsWith("agent lost: " + agent_id)) << run.body;
  EXPECT_FALSE(docker().containers_with_label("cicd.agent=" + agent_id)->empty())
      << "the killed agent's job container is still there until an agent on this host sweeps";

  // The same agent (same data dir) starting again removes what the killed one left.
  FleetAgentOptions again;
  again.data_dir = data_dir;
  fleet().add_agent(again);
  auto until = std::chrono::steady_clock::now() + 30s;
  while (!docker().containers_with_label("cicd.agent=" + agent_id)->empty() &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(docker().containers_with_label("cicd.agent=" + agent_id).value(),
            std::vector<std::string>{});
  EXPECT_EQ(docker().networks_with_label("cicd.agent=" + agent_id).value(),
            std::vector<std::string>{});
}

TEST_F(FleetTest, ARunLostWithItsAgentIsRetriedElsewhereWhenTheJobOptsIn) {
  if (!m_fleet) {
    return;
  }
  fleet().add_master();
  fleet().add_agent(agent_with(1, 3));
  fleet().add_agent(agent_with(1, 3));
  put_job("flaky-host", "if [ \"$CICD_RUN_ID\" = 1 ]; then sleep 60; fi; echo done",
          R"("retry": {"onInfrastructureError": 1})");
  auto id = trigger(0, "flaky-host");
  auto running = wait_for_status("flaky-host", id, "running", 60s);
  std::filesystem::path killed_dir;
  for (std::size_t i = 0; i < fleet().agent_count(); ++i) {
    if (fleet().agent(i).id() == running.agent) {
      ::kill(fleet().agent(i).process().pid(), SIGKILL);
      killed_dir = fleet().agent(i).data_dir();
    }
  }
  ASSERT_FALSE(killed_dir.empty()) << "no agent " << running.agent;
  EXPECT_THAT(wait_for_end("flaky-host", id, 30s).reason, StartsWith("agent lost"));
  // The retry is the next run of the job, created right after the first is declared lost.
  auto retry_id = id + 1;
  auto until = std::chrono::steady_clock::now() + 30s;
  while (call(0, Verb::get, run_path("flaky-host", retry_id), {}, "read").status == 404 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
  }
  auto retry = wait_for_end("flaky-host", retry_id, 60s);
  EXPECT_EQ(retry.status, "succeeded") << retry.body;
  auto document = parse_json(retry.body);
  EXPECT_EQ(string_member(document["trigger"], "kind"), "retry");
  EXPECT_EQ(document["trigger"]["retryOf"].GetInt64(), id);
  EXPECT_NE(retry.agent, running.agent);
  // What the killed agent left goes when it starts again (checked at teardown).
  FleetAgentOptions again;
  again.data_dir = killed_dir;
  fleet().add_agent(again);
}

TEST_F(FleetTest, SigtermDrainsAnAgentItsRunFinishesAndNothingNewStartsThere) {
  if (!m_fleet) {
    return;
  }
  fleet().add_master();
  auto draining = fleet().add_agent(agent_with(1));
  put_job("steady", "echo started; sleep 4; echo finished");
  auto first = trigger(0, "steady");
  wait_for_status("steady", first, "running", 60s);
  auto drained_id = fleet().agent(draining).id();

  ::kill(fleet().agent(draining).process().pid(), SIGTERM);
  std::this_thread::sleep_for(500ms); // bounded: the agent has stopped taking by then
  auto second = trigger(0, "steady");
  auto other = fleet().add_agent(agent_with(1));

  auto run = wait_for_end("steady", first, 60s);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  EXPECT_EQ(run.agent, drained_id);
  auto next = wait_for_end("steady", second, 60s);
  EXPECT_EQ(next.status, "succeeded") << next.body;
  EXPECT_EQ(next.agent, fleet().agent(other).id()) << "nothing new starts on a draining agent";

  auto& process = fleet().agent(draining).process();
  auto until = std::chrono::steady_clock::now() + 30s;
  while (process.running() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(process.running()) << "the drained agent did not exit";
  EXPECT_EQ(process.exit_code(), 0);
  auto listed = call(0, Verb::get, "/agents", {}, "read").body;
  EXPECT_EQ(listed.find(drained_id), std::string::npos) << "it left the agent list: " << listed;
}

TEST_F(FleetTest, ASecondSigintAbortsTheRunsInHandAndTheAgentStillExitsCleanly) {
  if (!m_fleet) {
    return;
  }
  fleet().add_master();
  auto index = fleet().add_agent(agent_with(1));
  put_job("long", "echo started; sleep 120; echo not reached");
  auto id = trigger(0, "long");
  wait_for_status("long", id, "running", 60s);
  auto& process = fleet().agent(index).process();
  ::kill(process.pid(), SIGINT); // drain: the run would go on
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(get_run("long", id).status, "running");
  ::kill(process.pid(), SIGINT); // now: abort it
  auto run = wait_for_end("long", id, 30s);
  EXPECT_EQ(run.status, "aborted") << run.body;
  EXPECT_EQ(run.reason, "agent shut down") << run.body;
  auto until = std::chrono::steady_clock::now() + 30s;
  while (process.running() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(process.running()) << "the agent did not exit";
  EXPECT_EQ(process.exit_code(), 0);
}

TEST_F(FleetTest, AbortsReachARunQueuedInTheBrokerAndARunningOne) {
  if (!m_fleet) {
    return;
  }
  fleet().add_master();
  fleet().add_agent(agent_with(1));
  put_job("long", "echo started; sleep 120; echo not reached");
  auto running = trigger(0, "long");
  wait_for_status("long", running, "running", 60s);
  auto queued = trigger(0, "long");
  EXPECT_EQ(get_run("long", queued).status, "queued");

  auto abort_queued = call(0, Verb::post, run_path("long", queued) + "/abort", {}, "trigger");
  EXPECT_EQ(abort_queued.status, 200) << abort_queued.body;
  EXPECT_EQ(get_run("long", queued).status, "aborted");

  auto start = std::chrono::steady_clock::now();
  auto abort_running = call(0, Verb::post, run_path("long", running) + "/abort", {}, "trigger");
  EXPECT_EQ(abort_running.status, 202) << abort_running.body;
  auto run = wait_for_end("long", running, 30s);
  EXPECT_EQ(run.status, "aborted") << run.body;
  EXPECT_EQ(run.reason, "aborted by fleet-trigger") << run.body;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << "grace 2 s, plus clean-up";
  // The aborted queued run's message reached the agent after the slot freed: dropped.
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(get_run("long", queued).status, "aborted");
  EXPECT_EQ(starts_by_run(fleet()).count(queued), 0u) << "the aborted queued run never started";
}

TEST_F(FleetTest, AnAgentKilledWhileRunsPourInLosesNoneAndRunsNoneTwice) {
  if (!m_fleet) {
    return;
  }
  fleet().add_master();
  std::vector<std::size_t> agents;
  for (int i = 0; i < 3; ++i) {
    agents.push_back(fleet().add_agent(agent_with(2, 3)));
  }
  put_job("burst", "sleep 0.5; echo ok");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 40; ++i) {
    ids.push_back(trigger(0, "burst"));
    if (i == 10) {
      ::kill(fleet().agent(agents[0]).process().pid(), SIGKILL);
    }
  }
  auto killed_id = fleet().agent(agents[0]).id();
  for (auto id : ids) {
    auto run = wait_for_end("burst", id, 300s);
    if (run.agent == killed_id) {
      // It was running there when the agent died: lost, decided by the sweeper.
      EXPECT_EQ(run.status, "errored") << run.body;
      EXPECT_THAT(run.reason, StartsWith("agent lost")) << run.body;
    } else {
      EXPECT_EQ(run.status, "succeeded") << run.body;
    }
  }
  for (const auto& [id, count] : starts_by_run(fleet())) {
    EXPECT_EQ(count, 1) << "run " << id << " was started " << count << " times";
  }
  // What the killed agent left goes when an agent starts again on its data dir (checked at
  // teardown with the others).
  FleetAgentOptions again;
  again.data_dir = fleet().agent(agents[0]).data_dir();
  fleet().add_agent(again);
}

TEST_F(FleetTest, RunsTriggeredWhileTheBrokerIsDownAllRunOnceItIsBack) {
  if (!m_fleet) {
    return;
  }
  OwnRabbitmq broker; // stopping the shared node would break the tests beside this one
  if (broker.url().empty()) {
    return;
  }
  m_fleet = std::make_unique<Fleet>(broker.url());
  ASSERT_TRUE(fleet().ready());
  fleet().add_master();
  fleet().add_agent();
  put_job("patient", "echo ok");
  auto before = trigger(0, "patient");
  EXPECT_EQ(wait_for_end("patient", before, 60s).status, "succeeded");

  ASSERT_TRUE(broker.rabbitmqctl("stop_app"));
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    ids.push_back(trigger(0, "patient")); // accepted: the run is committed before it is published
    EXPECT_LT(std::chrono::steady_clock::now() - start, 15s) << "the API must not hang";
  }
  auto health = call(0, Verb::get, "/healthz", {}, "read");
  EXPECT_EQ(health.status, 200);
  for (auto id : ids) {
    EXPECT_EQ(get_run("patient", id).status, "queued");
  }
  ASSERT_TRUE(broker.rabbitmqctl("start_app"));
  for (auto id : ids) {
    auto run = wait_for_end("patient", id, 120s);
    EXPECT_EQ(run.status, "succeeded") << run.body;
  }
  for (const auto& [id, count] : starts_by_run(fleet())) {
    EXPECT_EQ(count, 1) << "run " << id << " was started " << count << " times";
  }
}

TEST_F(FleetTest, WhileTheDatabaseRestartsTheApiSays503AndEverythingRecoversByItself) {
  if (!m_fleet) {
    return;
  }
  OwnPostgres database; // restarting the shared server would break the tests beside this one
  if (database.url().empty()) {
    return;
  }
  m_fleet = std::make_unique<Fleet>(std::string(), database.url());
  ASSERT_TRUE(fleet().ready());
  fleet().add_master();
  fleet().add_agent(agent_with(2, 60)); // the lease outlives the outage
  put_job("through", "echo started; sleep 8; echo finished");
  auto id = trigger(0, "through");
  wait_for_status("through", id, "running", 60s);

  ASSERT_TRUE(database.stop());
  auto start = std::chrono::steady_clock::now();
  auto during = call(0, Verb::get, "/jobs/through", {}, "read");
  EXPECT_TRUE(is_problem(during, 503)) << during.status << " " << during.body;
  auto refused = call(0, Verb::post, "/jobs/through/runs", R"({"branchName":"main"})", "trigger");
  EXPECT_TRUE(is_problem(refused, 503)) << refused.status << " " << refused.body;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s) << "the API must answer, not hang";
  std::this_thread::sleep_for(2s); // bounded: the agent's renewals fail meanwhile
  ASSERT_TRUE(database.start());

  auto until = std::chrono::steady_clock::now() + 30s;
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < until) {
    status = call(0, Verb::get, "/jobs/through", {}, "read").status;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(status, 200) << "the master did not recover by itself";
  auto run = wait_for_end("through", id, 60s);
  EXPECT_EQ(run.status, "succeeded") << run.body;
  // The refused trigger stored nothing: the run above is the job's only one.
  auto runs = parse_json(call(0, Verb::get, "/jobs/through/runs", {}, "read").body);
  EXPECT_EQ(runs["items"].Size(), 1u);
  auto after = trigger(0, "through");
  EXPECT_EQ(wait_for_end("through", after, 60s).status, "succeeded");
}

} // namespace
} // namespace cicd::test
