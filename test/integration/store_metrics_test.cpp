// The store's contract for the counts behind GET /metrics (Store::run_statistics), on both
// backends.
#include "store_contract.hpp"

namespace cicd::store {
namespace {

const std::vector<std::int64_t> k_run_time_bounds = {1'000, 5'000, 60'000};
const std::vector<std::int64_t> k_wait_bounds = {100, 1'000, 5'000};

class StoreMetricsContract : public StoreContract {
protected:
  RunStatistics statistics() {
    auto counted = store().run_statistics(k_run_time_bounds, k_wait_bounds);
    EXPECT_OK(counted);
    return counted ? *counted : RunStatistics{};
  }

  // A run of `job` queued at k_t0 and claimed `wait_ms` later; returns its id.
  std::int64_t started_run(const std::string& job, std::int64_t wait_ms) {
    auto run = queue_run(job);
    auto claimed = store().claim_run(run.id, "agent-1", lease(run.id), k_t0 + wait_ms, k_t2 * 2);
    EXPECT_TRUE(claimed && *claimed);
    return run.id;
  }

  void finish(std::int64_t id, RunStatus status, std::int64_t at_ms) {
    ASSERT_OK(store().finish_run(id, lease(id), status, 0, "", false, at_ms));
  }

  static std::string lease(std::int64_t id) { return "lease-" + std::to_string(id); }
};

TEST_P(StoreMetricsContract, AnEmptyDatabaseCountsNothingInEveryBucket) {
  auto counted = statistics();
  EXPECT_TRUE(counted.by_status.empty());
  EXPECT_TRUE(counted.queued_by_class.empty());
  EXPECT_EQ(counted.run_time.bounds_ms, k_run_time_bounds);
  EXPECT_EQ(counted.run_time.at_or_below, (std::vector<std::int64_t>{0, 0, 0}));
  EXPECT_EQ(counted.run_time.count, 0);
  EXPECT_EQ(counted.run_time.sum_ms, 0);
  EXPECT_EQ(counted.queue_wait.bounds_ms, k_wait_bounds);
  EXPECT_EQ(counted.queue_wait.at_or_below, (std::vector<std::int64_t>{0, 0, 0}));
  EXPECT_EQ(counted.queue_wait.count, 0);
  EXPECT_EQ(counted.queue_wait.sum_ms, 0);
}

TEST_P(StoreMetricsContract, RunsAreCountedByStatusAndQueuedOnesByResourceClass) {
  create_job("build");
  queue_run("build");
  queue_run("build");
  auto large = new_run("build");
  large.resource_class = "large";
  ASSERT_OK(store().create_run(large, k_t0));
  started_run("build", 10);
  auto done = started_run("build", 10);
  finish(done, RunStatus::succeeded, k_t1);
  auto aborted = queue_run("build");
  ASSERT_OK(store().abort_run("build", aborted.id, "alice", k_t1));

  auto counted = statistics();
  EXPECT_EQ(counted.by_status, (std::map<RunStatus, std::int64_t>{{RunStatus::queued, 3},
                                                                  {RunStatus::running, 1},
                                                                  {RunStatus::succeeded, 1},
                                                                  {RunStatus::aborted, 1}}));
  EXPECT_EQ(counted.queued_by_class,
            (std::map<std::string, std::int64_t>{{"default", 2}, {"large", 1}}));
}

TEST_P(StoreMetricsContract, RunTimesCountFinishedRunsAndWaitsCountStartedOnes) {
  create_job("build");
  // Waits of 0.5 s, 2 s and 10 s; run times of exactly 5 s (a bound counts as ≤) and 61 s.
  auto quick = started_run("build", 500);
  finish(quick, RunStatus::succeeded, k_t0 + 500 + 5'000);
  auto slow = started_run("build", 2'000);
  finish(slow, RunStatus::failed, k_t0 + 2'000 + 61'000);
  started_run("build", 10'000); // still running: a wait, no run time yet
  auto never_started = queue_run("build");
  ASSERT_OK(store().abort_run("build", never_started.id, "alice", k_t1)); // neither

  auto counted = statistics();
  EXPECT_EQ(counted.run_time.at_or_below, (std::vector<std::int64_t>{0, 1, 1}));
  EXPECT_EQ(counted.run_time.count, 2);
  EXPECT_EQ(counted.run_time.sum_ms, 5'000 + 61'000);
  EXPECT_EQ(counted.queue_wait.at_or_below, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(counted.queue_wait.count, 3);
  EXPECT_EQ(counted.queue_wait.sum_ms, 500 + 2'000 + 10'000);
}

TEST_P(StoreMetricsContract, NoBoundsGiveJustTheCountAndTheSum) {
  create_job("build");
  finish(started_run("build", 1'000), RunStatus::succeeded, k_t0 + 1'000 + 3'000);
  auto counted = store().run_statistics({}, {});
  ASSERT_OK(counted);
  EXPECT_TRUE(counted->run_time.at_or_below.empty());
  EXPECT_EQ(counted->run_time.count, 1);
  EXPECT_EQ(counted->run_time.sum_ms, 3'000);
  EXPECT_EQ(counted->queue_wait.count, 1);
  EXPECT_EQ(counted->queue_wait.sum_ms, 1'000);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreMetricsContract, ::testing::Values("sqlite", "postgresql"),
                         backend_name);

} // namespace
} // namespace cicd::store
