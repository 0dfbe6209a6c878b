// The store's contract for results on both backends: JUnit counts kept with a result, a
// console marked truncated only under the run's lease, and retention in two steps (expire,
// then purge) that never leaves a run with half its results.
#include "store_contract.hpp"

namespace cicd::store {
namespace {

class StoreResultsContract : public StoreContract {
protected:
  // A run that went through claim → result → finish at `finished_ms`.
  model::Run finished_run(const std::string& job, std::int64_t finished_ms) {
    auto run = queue_run(job);
    auto lease = "lease-" + std::to_string(run.id);
    EXPECT_TRUE(store().claim_run(run.id, "agent-a", lease, k_t0, k_t2).value());
    EXPECT_OK(store().append_console(run.id, lease, 0, 0, "hello\n"));
    EXPECT_OK(store().record_result(run.id, lease, {"report", "application/xml", 10, std::nullopt},
                                    k_t0));
    EXPECT_OK(
        store().finish_run(run.id, lease, model::RunStatus::succeeded, 0, "", false, finished_ms));
    return run;
  }
};

TEST_P(StoreResultsContract, JunitCountsAreKeptWithTheResultAndReplacedWithIt) {
  create_job("build");
  auto run = queue_run("build");
  ASSERT_TRUE(store().claim_run(run.id, "agent-a", "lease", k_t0, k_t2).value());
  JunitSummary counts{412, 3, 1, 7, 98765};
  ASSERT_OK(
      store().record_result(run.id, "lease", {"junit", "application/zip", 2048, counts}, k_t0));
  ASSERT_OK(
      store().record_result(run.id, "lease", {"console", "text/plain", 5, std::nullopt}, k_t0));
  auto listed = store().list_results(run.id).value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "console");
  EXPECT_FALSE(listed[0].junit);
  EXPECT_EQ(listed[1].name, "junit");
  EXPECT_EQ(listed[1].junit, counts);

  JunitSummary again{1, 0, 0, 0, 5};
  ASSERT_OK(store().record_result(run.id, "lease", {"junit", "application/xml", 9, again}, k_t1));
  listed = store().list_results(run.id).value();
  EXPECT_EQ(listed[1].content_type, "application/xml");
  EXPECT_EQ(listed[1].junit, again);
}

TEST_P(StoreResultsContract, OnlyTheLeaseHolderMarksTheConsoleTruncated) {
  create_job("build");
  auto run = queue_run("build");
  EXPECT_FALSE(store().get_run("build", run.id).value().console_truncated);
  EXPECT_ERROR(store().mark_console_truncated(run.id, "lease"), ErrorCode::conflict);
  ASSERT_TRUE(store().claim_run(run.id, "agent-a", "lease", k_t0, k_t2).value());
  EXPECT_ERROR(store().mark_console_truncated(run.id, "another"), ErrorCode::conflict);
  EXPECT_FALSE(store().get_run("build", run.id).value().console_truncated);
  ASSERT_OK(store().mark_console_truncated(run.id, "lease"));
  EXPECT_TRUE(store().get_run("build", run.id).value().console_truncated);
}

TEST_P(StoreResultsContract, ResultsExpireThenArePurgedOncePerRun) {
  create_job("build");
  create_job("other");
  auto old_run = finished_run("build", k_t0);
  auto recent = finished_run("build", k_t2);
  auto other = finished_run("other", k_t0);
  auto running = queue_run("build");
  ASSERT_TRUE(store().claim_run(running.id, "agent-a", "lease-r", k_t0, k_t2).value());

  EXPECT_TRUE(store().results_to_purge(10).value().empty());
  EXPECT_EQ(store().expire_results("build", k_t1, 100).value(),
            (std::vector<std::int64_t>{old_run.id}));
  auto expired = store().get_run("build", old_run.id).value();
  EXPECT_TRUE(expired.results_expired);
  EXPECT_EQ(expired.status, model::RunStatus::succeeded);
  EXPECT_TRUE(store().list_results(old_run.id).value().empty());
  EXPECT_TRUE(store().read_console(old_run.id, 0, 10).value().empty());
  EXPECT_FALSE(store().get_run("build", recent.id).value().results_expired);
  EXPECT_EQ(store().list_results(recent.id).value().size(), 1u);
  EXPECT_FALSE(store().get_run("other", other.id).value().results_expired);
  EXPECT_FALSE(store().get_run("build", running.id).value().results_expired);

  // Expiring again finds nothing new; purging is pending until marked done.
  EXPECT_TRUE(store().expire_results("build", k_t1, 100).value().empty());
  EXPECT_EQ(store().results_to_purge(10).value(), (std::vector<std::int64_t>{old_run.id}));
  EXPECT_EQ(store().results_to_purge(10).value(), (std::vector<std::int64_t>{old_run.id}));
  ASSERT_OK(store().mark_results_purged(old_run.id));
  EXPECT_TRUE(store().results_to_purge(10).value().empty());
  EXPECT_TRUE(store().get_run("build", old_run.id).value().results_expired);
}

TEST_P(StoreResultsContract, ExpiryIsBoundedPerCall) {
  create_job("build");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(finished_run("build", k_t0).id);
  }
  EXPECT_EQ(store().expire_results("build", k_t1, 3).value(),
            (std::vector<std::int64_t>{ids[0], ids[1], ids[2]}));
  EXPECT_EQ(store().expire_results("build", k_t1, 3).value(),
            (std::vector<std::int64_t>{ids[3], ids[4]}));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreResultsContract, ::testing::Values("sqlite", "postgresql"),
                         backend_name);

} // namespace
} // namespace cicd::store
