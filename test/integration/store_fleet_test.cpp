// The store's contract for agents, periodic duties and the sweeper's decisions, on both
// backends.
#include "store_contract.hpp"

namespace cicd::store {
namespace {

class StoreFleetContract : public StoreContract {
protected:
  AgentInfo agent(std::string id, std::int64_t now_ms = k_t0) {
    AgentInfo info;
    info.id = std::move(id);
    info.host = "build-host-1";
    info.version = "0.1.0";
    info.slots = 4;
    info.resource_classes = {"default", "large"};
    info.started_at_ms = now_ms;
    info.last_heartbeat_ms = now_ms;
    return info;
  }

  // A run claimed by `agent_id` with a lease valid until `expires_ms`.
  model::Run running_run(const std::string& job, const std::string& agent_id,
                         std::int64_t expires_ms) {
    auto run = queue_run(job);
    auto claimed =
        store().claim_run(run.id, agent_id, "lease-" + std::to_string(run.id), k_t0, expires_ms);
    EXPECT_TRUE(claimed && *claimed);
    return run;
  }
};

TEST_P(StoreFleetContract, AnAgentRegistersHeartbeatsAndIsListed) {
  ASSERT_OK(store().register_agent(agent("agent-b")));
  ASSERT_OK(store().register_agent(agent("agent-a")));
  EXPECT_FALSE(store().heartbeat_agent("agent-a", 3, k_t1).value());

  auto agents = store().list_agents().value();
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(agents[0].id, "agent-a");
  EXPECT_EQ(agents[0].host, "build-host-1");
  EXPECT_EQ(agents[0].version, "0.1.0");
  EXPECT_EQ(agents[0].slots, 4);
  EXPECT_EQ(agents[0].running, 3);
  EXPECT_EQ(agents[0].resource_classes, (std::vector<std::string>{"default", "large"}));
  EXPECT_FALSE(agents[0].draining);
  EXPECT_EQ(agents[0].started_at_ms, k_t0);
  EXPECT_EQ(agents[0].last_heartbeat_ms, k_t1);
  EXPECT_EQ(agents[1].id, "agent-b");
  EXPECT_EQ(agents[1].last_heartbeat_ms, k_t0);
}

TEST_P(StoreFleetContract, ADrainIsSeenOnTheNextHeartbeatAndClearedByRegisteringAgain) {
  ASSERT_OK(store().register_agent(agent("agent-a")));
  auto drained = store().drain_agent("agent-a");
  ASSERT_OK(drained);
  EXPECT_TRUE(drained->draining);
  EXPECT_TRUE(store().heartbeat_agent("agent-a", 1, k_t1).value());

  ASSERT_OK(store().register_agent(agent("agent-a", k_t2)));
  EXPECT_FALSE(store().heartbeat_agent("agent-a", 0, k_t2).value());
}

TEST_P(StoreFleetContract, UnknownAgentsAreNotFoundAndNothingIsCreated) {
  EXPECT_ERROR(store().drain_agent("nobody"), ErrorCode::not_found);
  EXPECT_ERROR(store().heartbeat_agent("nobody", 0, k_t1), ErrorCode::not_found);
  EXPECT_TRUE(store().list_agents().value().empty());
}

TEST_P(StoreFleetContract, DeregisteringRemovesTheAgent) {
  ASSERT_OK(store().register_agent(agent("agent-a")));
  ASSERT_OK(store().deregister_agent("agent-a"));
  EXPECT_TRUE(store().list_agents().value().empty());
  EXPECT_OK(store().deregister_agent("agent-a")); // twice is harmless
}

TEST_P(StoreFleetContract, SilentAgentsAreRemovedAndOnlyThem) {
  ASSERT_OK(store().register_agent(agent("silent", k_t0)));
  ASSERT_OK(store().register_agent(agent("alive", k_t0)));
  ASSERT_FALSE(store().heartbeat_agent("alive", 0, k_t2).value());

  EXPECT_EQ(store().remove_silent_agents(k_t1).value(), std::vector<std::string>{"silent"});
  auto agents = store().list_agents().value();
  ASSERT_EQ(agents.size(), 1u);
  EXPECT_EQ(agents[0].id, "alive");
}

TEST_P(StoreFleetContract, ADutyHasOneHolderUntilItsLeaseExpires) {
  EXPECT_TRUE(store().take_duty("sweeper", "master-1", k_t0, k_t1).value());
  EXPECT_FALSE(store().take_duty("sweeper", "master-2", k_t0 + 1, k_t1 + 1).value());
  EXPECT_TRUE(store().take_duty("sweeper", "master-1", k_t0 + 2, k_t2).value()); // renewed
  EXPECT_FALSE(store().take_duty("sweeper", "master-2", k_t1 + 1, k_t2).value());
  // Once the holder stops renewing, another takes over.
  EXPECT_TRUE(store().take_duty("sweeper", "master-2", k_t2 + 1, k_t2 + 60'000).value());
  EXPECT_FALSE(store().take_duty("sweeper", "master-1", k_t2 + 2, k_t2 + 60'000).value());
  // Other duties are independent.
  EXPECT_TRUE(store().take_duty("retention", "master-1", k_t2 + 2, k_t2 + 60'000).value());
}

TEST_P(StoreFleetContract, ConcurrentTakersOfAFreeDutyGetItOnce) {
  constexpr int k_takers = 8;
  std::atomic<int> holders{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < k_takers; ++i) {
    threads.emplace_back([&, i] {
      if (store().take_duty("sweeper", "master-" + std::to_string(i), k_t0, k_t1).value()) {
        ++holders;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(holders.load(), 1);
}

TEST_P(StoreFleetContract, ExpiredLeasesErrorTheirRunsAsAgentLostAndFenceTheAgentOut) {
  create_job("build");
  auto lost = running_run("build", "agent-gone", k_t1);
  auto alive = running_run("build", "agent-here", k_t2);
  auto queued = queue_run("build");

  auto expired = store().expire_leases(k_t1 + 1).value();
  ASSERT_EQ(ids(expired), std::vector<std::int64_t>{lost.id});
  EXPECT_EQ(expired[0].status, RunStatus::errored);
  EXPECT_EQ(expired[0].reason, "agent lost: agent-gone stopped renewing its lease on the run");
  EXPECT_EQ(expired[0].finished_at_ms, k_t1 + 1);

  EXPECT_EQ(store().get_run("build", alive.id).value().status, RunStatus::running);
  EXPECT_EQ(store().get_run("build", queued.id).value().status, RunStatus::queued);
  // The lost agent's late writes are refused.
  auto lease = "lease-" + std::to_string(lost.id);
  EXPECT_ERROR(store().renew_lease(lost.id, lease, k_t2), ErrorCode::conflict);
  EXPECT_ERROR(store().finish_run(lost.id, lease, RunStatus::succeeded, 0, "", false, k_t2),
               ErrorCode::conflict);
  EXPECT_EQ(store().get_run("build", lost.id).value().status, RunStatus::errored);
  EXPECT_TRUE(store().expire_leases(k_t1 + 2).value().empty()); // decided once
}

TEST_P(StoreFleetContract, ARetryRepeatsTheRunAndPointsToIt) {
  create_job("build");
  auto original = running_run("build", "agent-gone", k_t1);
  auto lost = store().expire_leases(k_t1 + 1).value().at(0);

  auto retry = store().create_retry(lost, k_t2).value();
  EXPECT_NE(retry.id, original.id);
  EXPECT_EQ(retry.status, RunStatus::queued);
  EXPECT_EQ(retry.trigger.kind, "retry");
  EXPECT_EQ(retry.trigger.retry_of, original.id);
  EXPECT_EQ(retry.trigger.branch_name, "main");
  EXPECT_EQ(retry.trigger.by, "alice");
  EXPECT_EQ(retry.parameters_json, original.parameters_json);
  EXPECT_EQ(retry.queued_at_ms, k_t2);
  EXPECT_EQ(store().get_run("build", retry.id).value().trigger.retry_of, original.id);
}

TEST_P(StoreFleetContract, AQueuedRunKnowsItsPositionInItsClassQueue) {
  create_job("build");
  auto first = queue_run("build");
  auto second = queue_run("build");
  auto third = queue_run("build");
  EXPECT_EQ(store().get_run("build", third.id).value().queue_position, 3);
  ASSERT_TRUE(store().claim_run(first.id, "agent-1", "lease-1", k_t1, k_t2).value());
  EXPECT_EQ(store().get_run("build", second.id).value().queue_position, 1);
  EXPECT_EQ(store().get_run("build", third.id).value().queue_position, 2);
  EXPECT_EQ(store().get_run("build", first.id).value().queue_position, std::nullopt);
}

TEST_P(StoreFleetContract, QueuedRunsOlderThanAMomentAreListedOldestFirst) {
  create_job("build");
  auto old_one = queue_run("build", k_t0);
  auto older = queue_run("build", k_t0 - 1);
  queue_run("build", k_t2); // too recent
  EXPECT_EQ(ids(store().queued_runs(k_t1, 100).value()),
            (std::vector<std::int64_t>{old_one.id, older.id}));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreFleetContract, ::testing::Values("sqlite", "postgresql"),
                         backend_name);

} // namespace
} // namespace cicd::store
