// The store's contract for hook-triggered runs (include/cicd/store/store.hpp, "Hooks"), on both
// backends: one delivery starts its runs once, and each run status is reported once, by one
// reporter at a time.
#include "store_contract.hpp"

#include <thread>

namespace cicd::store {
namespace {

class StoreHooksContract : public StoreContract {
protected:
  static NewRun hook_run(std::string job, std::string delivery) {
    NewRun run;
    run.job = std::move(job);
    run.trigger.kind = "github";
    run.trigger.commit_sha = k_sha;
    run.trigger.by = "hook:github/acme";
    run.trigger.hook = model::HookTrigger{"github", "acme", "o/r",     "pull_request", delivery, 7,
                                          "topic",  "main", "octocat", k_sha,          ""};
    return run;
  }

  static HookDelivery delivery(std::string id) { return HookDelivery{"github", "acme", id}; }
};

TEST_P(StoreHooksContract, ADeliveryStartsItsRunsOnce) {
  create_job("a");
  create_job("b");
  auto first =
      store().create_hook_runs(delivery("d1"), {hook_run("a", "d1"), hook_run("b", "d1")}, k_t0);
  ASSERT_OK(first);
  EXPECT_FALSE(first->replayed);
  ASSERT_EQ(first->runs.size(), 2u);
  EXPECT_EQ(first->runs[0].trigger.hook->pull_request, 7);
  EXPECT_EQ(first->runs[0].trigger.hook->sender, "octocat");
  EXPECT_EQ(first->runs[0].status_report, model::StatusReport{});

  auto again = store().create_hook_runs(delivery("d1"), {hook_run("a", "d1")}, k_t1);
  ASSERT_OK(again);
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(ids(again->runs), ids(first->runs));
  EXPECT_EQ(runs_of("a").size(), 1u);
  EXPECT_EQ(runs_of("b").size(), 1u);

  // The same id from another connection is another delivery; a deleted job is left out.
  auto other = store().create_hook_runs(HookDelivery{"github", "other", "d1"},
                                        {hook_run("a", "d1"), hook_run("gone", "d1")}, k_t1);
  ASSERT_OK(other);
  EXPECT_FALSE(other->replayed);
  EXPECT_EQ(other->runs.size(), 1u);
  auto fetched = store().get_run("a", other->runs[0].id);
  ASSERT_OK(fetched);
  EXPECT_EQ(fetched->trigger, other->runs[0].trigger);
}

TEST_P(StoreHooksContract, ConcurrentRedeliveriesStartOneRun) {
  create_job("a");
  std::vector<std::thread> threads;
  std::atomic<int> fresh{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto created = store().create_hook_runs(delivery("d"), {hook_run("a", "d")}, k_t0);
      if (created && !created->replayed) {
        ++fresh;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(runs_of("a").size(), 1u);
}

TEST_P(StoreHooksContract, EachStatusIsReportedOnceByOneReporter) {
  create_job("a");
  auto run = store().create_hook_runs(delivery("d"), {hook_run("a", "d")}, k_t0).value().runs[0];
  queue_run("a"); // not hook-triggered: never due
  auto due = store().status_reports_due(k_t0, 10);
  ASSERT_OK(due);
  EXPECT_EQ(ids(*due), std::vector<std::int64_t>{run.id});

  EXPECT_TRUE(store().claim_status_report(run.id, k_t0, k_t0 + 1000).value());
  EXPECT_FALSE(store().claim_status_report(run.id, k_t0 + 10, k_t0 + 2000).value())
      << "a second reporter must not take a held claim";
  EXPECT_TRUE(store().status_reports_due(k_t0 + 10, 10).value().empty());

  // A transient failure: due again after the back-off, attempts counted.
  ASSERT_OK(store().record_status_report(run.id, {std::nullopt, "", "", k_t0 + 5000}));
  EXPECT_TRUE(store().status_reports_due(k_t0 + 4000, 10).value().empty());
  auto retry = store().status_reports_due(k_t0 + 5000, 10).value();
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].status_report->attempts, 1);

  // Delivered: not due until the status changes.
  ASSERT_TRUE(store().claim_status_report(run.id, k_t0 + 5000, k_t0 + 6000).value());
  ASSERT_OK(store().record_status_report(run.id, {RunStatus::queued, "pending", "", 0}));
  EXPECT_TRUE(store().status_reports_due(k_t1, 10).value().empty());
  auto claimed = store().claim_run(run.id, "agent-1", "lease-1", k_t1, k_t2);
  ASSERT_OK(claimed);
  ASSERT_OK(store().finish_run(run.id, "lease-1", RunStatus::succeeded, 0, "", false, k_t1));
  due = store().status_reports_due(k_t1, 10);
  ASSERT_EQ(due->size(), 1u);

  // Refused for good: recorded on the run, whose status stays.
  ASSERT_TRUE(store().claim_status_report(run.id, k_t1, k_t2).value());
  ASSERT_OK(store().record_status_report(
      run.id, {RunStatus::succeeded, "success", "the forge answered 422", 0}));
  auto after = store().get_run("a", run.id).value();
  EXPECT_EQ(after.status, RunStatus::succeeded);
  EXPECT_EQ(after.status_report->state, "success");
  EXPECT_EQ(after.status_report->error, "the forge answered 422");
  EXPECT_TRUE(store().status_reports_due(k_t2 + 1, 10).value().empty());
  EXPECT_FALSE(store().claim_status_report(run.id, k_t2 + 1, k_t2 + 2).value());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreHooksContract, ::testing::Values("sqlite", "postgresql"),
                         backend_name);

} // namespace
} // namespace cicd::store
