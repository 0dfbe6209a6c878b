// The agent list and drain (GET /agents, POST /agents/{agent}/drain) and a queued run's
// position, on `cicd standalone` (its agent registers like any other). The multi-process
// fleet is tested in fleet_*_test.cpp.
#include "agent_fixture.hpp"

#include <thread>

namespace cicd::test {
namespace {

using namespace std::chrono_literals;

class AgentFleetTest : public AgentTest {
protected:
  StandaloneOptions standalone_options() const override {
    StandaloneOptions options;
    options.slots = 1;
    return options;
  }
};

TEST_F(AgentFleetTest, TheAgentListShowsTheStandalonesAgent) {
  auto listed = call(Verb::get, "/agents", {}, "read");
  ASSERT_EQ(listed.status, 200) << listed.body;
  auto document = parse_json(listed.body);
  ASSERT_TRUE(document.IsObject() && document["items"].IsArray()) << listed.body;
  ASSERT_EQ(document["items"].Size(), 1u) << listed.body;
  const auto& agent = document["items"][0];
  EXPECT_EQ(string_member(agent, "id"), standalone().agent_id());
  EXPECT_EQ(agent["slots"].GetInt(), 1);
  EXPECT_EQ(agent["running"].GetInt(), 0);
  EXPECT_FALSE(agent["draining"].GetBool());
  EXPECT_EQ(string_member(agent, "version"), "0.1.0");
  EXPECT_EQ(agent["resourceClasses"].Size(), 1u);
  EXPECT_EQ(string_member(agent, "href"), "/agents/" + standalone().agent_id());
}

TEST_F(AgentFleetTest, QueuedRunsShowTheirPositionInTheQueue) {
  put_job("long", freestyle_job("echo started\nsleep 30"));
  put_job("next", freestyle_job("echo next"));
  auto first = trigger("long");
  wait_for_console("long", first, "started\n");
  auto second = trigger("next");
  auto third = trigger("next");
  auto doc_second = parse_json(get_run("next", second).body);
  auto doc_third = parse_json(get_run("next", third).body);
  EXPECT_EQ(doc_second["queuePosition"].GetInt64(), 1);
  EXPECT_EQ(doc_third["queuePosition"].GetInt64(), 2);
  EXPECT_FALSE(parse_json(get_run("long", first).body).HasMember("queuePosition"));
  call(Verb::post, run_path("long", first) + "/abort", {}, "trigger");
  EXPECT_EQ(wait_for_end("next", third).status, "succeeded");
}

TEST_F(AgentFleetTest, ADrainedAgentTakesNoNewRun) {
  auto path = "/agents/" + standalone().agent_id() + "/drain";
  EXPECT_EQ(call(Verb::post, path, {}, "trigger").status, 403);
  auto drained = call(Verb::post, path);
  ASSERT_EQ(drained.status, 202) << drained.body;
  EXPECT_TRUE(parse_json(drained.body)["draining"].GetBool()) << drained.body;
  auto listed = parse_json(call(Verb::get, "/agents", {}, "read").body);
  EXPECT_TRUE(listed["items"][0]["draining"].GetBool());

  put_job("after", freestyle_job("echo should not run"));
  auto id = trigger("after");
  std::this_thread::sleep_for(2s); // bounded: the run must still be waiting after it
  EXPECT_EQ(get_run("after", id).status, "queued");
  // Teardown aborts it while queued and checks nothing was left.
}

TEST_F(AgentFleetTest, DrainingAnUnknownAgentIs404AndChangesNothing) {
  auto drained = call(Verb::post, "/agents/no-such-agent/drain");
  EXPECT_EQ(drained.status, 404) << drained.body;
  EXPECT_EQ(string_member(parse_json(drained.body), "detail"), "there is no agent 'no-such-agent'");
  auto listed = parse_json(call(Verb::get, "/agents", {}, "read").body);
  ASSERT_EQ(listed["items"].Size(), 1u);
  EXPECT_FALSE(listed["items"][0]["draining"].GetBool());
}

} // namespace
} // namespace cicd::test
