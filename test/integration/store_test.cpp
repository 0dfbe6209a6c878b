#include "store_contract.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <latch>
#include <set>
#include <thread>

// The contract of include/cicd/store/store.hpp, run against both backends. Every error case
// checks the exact code and that nothing was stored.

namespace cicd::store {
namespace {

// ---- jobs ----------------------------------------------------------------------------------

TEST_P(StoreContract, PutJobCreatesThenUpdatesThenReportsUnchanged) {
  EXPECT_EQ(store().put_job(job_request("build"), k_t0).value(), PutOutcome::created);
  auto created = store().get_job("build").value();
  EXPECT_EQ(created.name, "build");
  EXPECT_EQ(created.definition_json, definition(1));
  EXPECT_EQ(created.etag, etag("build", 1));
  EXPECT_EQ(created.created_at_ms, k_t0);
  EXPECT_EQ(created.updated_at_ms, k_t0);

  EXPECT_EQ(store().put_job(job_request("build", 2), k_t1).value(), PutOutcome::updated);
  auto updated = store().get_job("build").value();
  EXPECT_EQ(updated.definition_json, definition(2));
  EXPECT_EQ(updated.etag, etag("build", 2));
  EXPECT_EQ(updated.created_at_ms, k_t0);
  EXPECT_EQ(updated.updated_at_ms, k_t1);

  EXPECT_EQ(store().put_job(job_request("build", 2), k_t2).value(), PutOutcome::unchanged);
  auto unchanged = store().get_job("build").value();
  EXPECT_EQ(unchanged.definition_json, definition(2));
  EXPECT_EQ(unchanged.etag, etag("build", 2));
  EXPECT_EQ(unchanged.updated_at_ms, k_t1) << "an unchanged PUT must not touch updated_at";
  EXPECT_EQ(job_names(), std::vector<std::string>{"build"});
}

TEST_P(StoreContract, PutJobWithCurrentIfMatchUpdates) {
  create_job("build");
  auto request = job_request("build", 2);
  request.if_match = etag("build", 1);
  EXPECT_EQ(store().put_job(request, k_t1).value(), PutOutcome::updated);
  EXPECT_EQ(store().get_job("build").value().etag, etag("build", 2));
}

TEST_P(StoreContract, PutJobWithStaleIfMatchIsPreconditionFailedAndChangesNothing) {
  create_job("build");
  ASSERT_EQ(store().put_job(job_request("build", 2), k_t1).value(), PutOutcome::updated);

  auto stale = job_request("build", 3);
  stale.if_match = etag("build", 1);
  EXPECT_ERROR(store().put_job(stale, k_t2), ErrorCode::precondition_failed);

  auto job = store().get_job("build").value();
  EXPECT_EQ(job.definition_json, definition(2));
  EXPECT_EQ(job.etag, etag("build", 2));
  EXPECT_EQ(job.updated_at_ms, k_t1);
}

TEST_P(StoreContract, PutJobWithIfMatchOnMissingJobIsPreconditionFailedAndCreatesNothing) {
  for (std::string if_match : {"*", "\"build-1\""}) {
    auto request = job_request("build");
    request.if_match = if_match;
    EXPECT_ERROR(store().put_job(request, k_t0), ErrorCode::precondition_failed)
        << "If-Match: " << if_match;
    EXPECT_ERROR(store().get_job("build"), ErrorCode::not_found);
    EXPECT_TRUE(job_names().empty());
  }
}

TEST_P(StoreContract, PutJobWithIfMatchAnyOnExistingJobUpdates) {
  create_job("build");
  auto request = job_request("build", 2);
  request.if_match = "*";
  EXPECT_EQ(store().put_job(request, k_t1).value(), PutOutcome::updated);
  EXPECT_EQ(store().get_job("build").value().definition_json, definition(2));
}

TEST_P(StoreContract, PutJobWithIfNoneMatchAnyOnlyCreates) {
  auto request = job_request("build");
  request.if_none_match_any = true;
  EXPECT_EQ(store().put_job(request, k_t0).value(), PutOutcome::created);

  auto again = job_request("build", 2);
  again.if_none_match_any = true;
  EXPECT_ERROR(store().put_job(again, k_t1), ErrorCode::precondition_failed);
  auto job = store().get_job("build").value();
  EXPECT_EQ(job.definition_json, definition(1));
  EXPECT_EQ(job.etag, etag("build", 1));
  EXPECT_EQ(job.updated_at_ms, k_t0);
}

TEST_P(StoreContract, GetUnknownJobIsNotFound) {
  create_job("build");
  EXPECT_ERROR(store().get_job("deploy"), ErrorCode::not_found);
  EXPECT_ERROR(store().get_job(""), ErrorCode::not_found);
}

TEST_P(StoreContract, ListJobsIsOrderedByNameAndPagesByKeyset) {
  const std::vector<std::string> unsorted = {"lint", "build", "deploy", "zeta", "alpha",
                                             "e2e",  "docs",  "bench",  "fmt"};
  for (const auto& name : unsorted) {
    create_job(name);
  }
  auto sorted = unsorted;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(job_names(), sorted);

  std::vector<std::string> visited;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto jobs = store().list_jobs(after, 4).value();
    ASSERT_LE(jobs.size(), 4u);
    if (jobs.empty()) {
      break;
    }
    for (const auto& job : jobs) {
      visited.push_back(job.name);
    }
    after = jobs.back().name;
  }
  EXPECT_EQ(visited, sorted) << "every job exactly once, in order";

  auto first = store().list_jobs("", 2).value();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].name, "alpha");
  EXPECT_EQ(first[0].definition_json, definition(1));
  EXPECT_EQ(first[0].etag, etag("alpha", 1));
  EXPECT_EQ(first[0].created_at_ms, k_t0);
  // after_name need not be a job's name
  EXPECT_EQ(names(store().list_jobs("c", 2).value()), (std::vector<std::string>{"deploy", "docs"}));
  EXPECT_TRUE(store().list_jobs("zeta", 10).value().empty());
}

TEST_P(StoreContract, DeleteJobRemovesIt) {
  create_job("build");
  create_job("deploy");
  ASSERT_OK(store().delete_job("build", std::nullopt));
  EXPECT_ERROR(store().get_job("build"), ErrorCode::not_found);
  EXPECT_EQ(job_names(), std::vector<std::string>{"deploy"});
}

TEST_P(StoreContract, DeleteUnknownJobIsNotFound) {
  create_job("deploy");
  EXPECT_ERROR(store().delete_job("build", std::nullopt), ErrorCode::not_found);
  EXPECT_ERROR(store().delete_job("build", std::string("*")), ErrorCode::not_found);
  EXPECT_EQ(job_names(), std::vector<std::string>{"deploy"});
}

TEST_P(StoreContract, DeleteJobWithStaleIfMatchIsPreconditionFailedAndKeepsIt) {
  create_job("build");
  ASSERT_EQ(store().put_job(job_request("build", 2), k_t1).value(), PutOutcome::updated);
  EXPECT_ERROR(store().delete_job("build", etag("build", 1)), ErrorCode::precondition_failed);
  EXPECT_EQ(store().get_job("build").value().etag, etag("build", 2));

  EXPECT_OK(store().delete_job("build", etag("build", 2)));
  EXPECT_TRUE(job_names().empty());
}

TEST_P(StoreContract, DeleteJobWithQueuedRunIsConflictAndKeepsEverything) {
  create_job("build");
  auto run = queue_run("build");
  ASSERT_TRUE(store().put_secret("build", "TOKEN", "sealed", k_t0).value());

  EXPECT_ERROR(store().delete_job("build", std::nullopt), ErrorCode::conflict);

  EXPECT_EQ(store().get_job("build").value().etag, etag("build", 1));
  EXPECT_EQ(store().get_run("build", run.id).value().status, RunStatus::queued);
  EXPECT_EQ(ids(runs_of("build")), std::vector<std::int64_t>{run.id});
  EXPECT_EQ(names(store().list_secrets("build").value()), std::vector<std::string>{"TOKEN"});
}

TEST_P(StoreContract, DeleteJobWithRunningRunIsConflict) {
  create_job("build");
  auto run = queue_run("build");
  ASSERT_TRUE(store().claim_run(run.id, "agent-1", "lease-1", k_t1, k_t2).value());

  EXPECT_ERROR(store().delete_job("build", std::nullopt), ErrorCode::conflict);
  EXPECT_EQ(job_names(), std::vector<std::string>{"build"});
  EXPECT_EQ(store().get_run("build", run.id).value().status, RunStatus::running);
}

TEST_P(StoreContract, DeleteJobCascadesToRunsSecretsAndIdempotencyKeys) {
  create_job("build");
  auto keyed = store().create_run(keyed_run("build", "key-1", "body-1"), k_t0).value().run;
  auto plain = queue_run("build");
  ASSERT_TRUE(store().put_secret("build", "TOKEN", "sealed", k_t0).value());
  ASSERT_OK(store().abort_run("build", keyed.id, "alice", k_t1));
  ASSERT_OK(store().abort_run("build", plain.id, "alice", k_t1));

  ASSERT_OK(store().delete_job("build", std::nullopt));
  EXPECT_ERROR(store().get_run("build", keyed.id), ErrorCode::not_found);
  EXPECT_ERROR(store().list_runs("build", {}), ErrorCode::not_found);
  EXPECT_ERROR(store().list_secrets("build"), ErrorCode::not_found);

  // A new job of the same name starts empty: no old runs, secrets or idempotency keys.
  create_job("build", k_t2);
  EXPECT_TRUE(runs_of("build").empty());
  EXPECT_TRUE(store().list_secrets("build").value().empty());
  EXPECT_ERROR(store().get_run("build", plain.id), ErrorCode::not_found);
  auto again = store().create_run(keyed_run("build", "key-1", "body-1"), k_t2).value();
  EXPECT_FALSE(again.replayed);
  EXPECT_GT(again.run.id, plain.id);
  EXPECT_EQ(ids(runs_of("build")), std::vector<std::int64_t>{again.run.id});
}

// ---- runs ----------------------------------------------------------------------------------

TEST_P(StoreContract, CreateRunRoundTripsEveryField) {
  create_job("build");
  NewRun request;
  request.job = "build";
  request.trigger =
      Trigger{"rerun", k_sha, "", "alice@example.org", 41, std::nullopt, std::nullopt};
  request.parameters_json = R"({"TARGET":"release","SHARDS":4,"VERBOSE":false})";
  request.resource_class = "large";

  auto created = store().create_run(request, k_t0).value();
  EXPECT_FALSE(created.replayed);
  for (const model::Run& run : {created.run, store().get_run("build", created.run.id).value()}) {
    EXPECT_GT(run.id, 0);
    EXPECT_EQ(run.job, "build");
    EXPECT_EQ(run.status, RunStatus::queued);
    EXPECT_EQ(run.trigger, request.trigger);
    EXPECT_EQ(run.parameters_json, request.parameters_json);
    EXPECT_EQ(run.queued_at_ms, k_t0);
    EXPECT_EQ(run.started_at_ms, std::nullopt);
    EXPECT_EQ(run.finished_at_ms, std::nullopt);
    EXPECT_EQ(run.reason, "");
    EXPECT_FALSE(run.abort_requested);
    EXPECT_EQ(run.agent, "");
    EXPECT_EQ(run.exit_code, std::nullopt);
  }

  NewRun by_branch;
  by_branch.job = "build";
  by_branch.trigger =
      Trigger{"api", "", "release/2.x", "bob", std::nullopt, std::nullopt, std::nullopt};
  auto second = store().create_run(by_branch, k_t1).value().run;
  auto stored = store().get_run("build", second.id).value();
  EXPECT_EQ(stored.trigger, by_branch.trigger);
  EXPECT_EQ(stored.parameters_json, "{}");
  EXPECT_EQ(stored.queued_at_ms, k_t1);
}

TEST_P(StoreContract, RunIdsIncrease) {
  create_job("build");
  create_job("deploy");
  std::int64_t previous = 0;
  for (int i = 0; i < 6; ++i) {
    auto run = queue_run(i % 2 == 0 ? "build" : "deploy");
    EXPECT_GT(run.id, previous);
    previous = run.id;
  }
}

TEST_P(StoreContract, CreateRunForUnknownJobIsNotFoundAndStoresNothing) {
  create_job("build");
  auto existing = queue_run("build");
  EXPECT_ERROR(store().create_run(new_run("deploy"), k_t1), ErrorCode::not_found);
  EXPECT_ERROR(store().create_run(keyed_run("deploy", "k", "f"), k_t1), ErrorCode::not_found);
  EXPECT_EQ(ids(runs_of("build")), std::vector<std::int64_t>{existing.id});
  EXPECT_EQ(job_names(), std::vector<std::string>{"build"});
}

TEST_P(StoreContract, SameIdempotencyKeyAndFingerprintReplaysTheFirstRun) {
  create_job("build");
  auto first = store().create_run(keyed_run("build", "key-1", "body-1"), k_t0).value();
  EXPECT_FALSE(first.replayed);

  auto second = store().create_run(keyed_run("build", "key-1", "body-1"), k_t1).value();
  EXPECT_TRUE(second.replayed);
  EXPECT_EQ(second.run.id, first.run.id);
  EXPECT_EQ(second.run.queued_at_ms, k_t0) << "the first run, not a new one";
  EXPECT_EQ(second.run.trigger, first.run.trigger);
  EXPECT_EQ(ids(runs_of("build")), std::vector<std::int64_t>{first.run.id});

  // A replay reports the run as it is now.
  ASSERT_OK(store().abort_run("build", first.run.id, "alice", k_t1));
  auto third = store().create_run(keyed_run("build", "key-1", "body-1"), k_t2).value();
  EXPECT_TRUE(third.replayed);
  EXPECT_EQ(third.run.id, first.run.id);
  EXPECT_EQ(third.run.status, RunStatus::aborted);
  EXPECT_EQ(ids(runs_of("build")), std::vector<std::int64_t>{first.run.id});
}

TEST_P(StoreContract, SameIdempotencyKeyWithAnotherFingerprintIsUnprocessableAndStoresNothing) {
  create_job("build");
  auto first = store().create_run(keyed_run("build", "key-1", "body-1"), k_t0).value();
  EXPECT_ERROR(store().create_run(keyed_run("build", "key-1", "body-2"), k_t1),
               ErrorCode::unprocessable);
  EXPECT_EQ(ids(runs_of("build")), std::vector<std::int64_t>{first.run.id});

  // The key still belongs to the first request.
  auto replay = store().create_run(keyed_run("build", "key-1", "body-1"), k_t2).value();
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.run.id, first.run.id);
}

TEST_P(StoreContract, OneIdempotencyKeyOnTwoJobsMakesTwoRuns) {
  create_job("build");
  create_job("deploy");
  auto on_build = store().create_run(keyed_run("build", "key-1", "body-1"), k_t0).value();
  auto on_deploy = store().create_run(keyed_run("deploy", "key-1", "body-2"), k_t0).value();
  EXPECT_FALSE(on_build.replayed);
  EXPECT_FALSE(on_deploy.replayed);
  EXPECT_NE(on_build.run.id, on_deploy.run.id);
  EXPECT_EQ(on_deploy.run.job, "deploy");
  EXPECT_EQ(ids(runs_of("build")), std::vector<std::int64_t>{on_build.run.id});
  EXPECT_EQ(ids(runs_of("deploy")), std::vector<std::int64_t>{on_deploy.run.id});
}

TEST_P(StoreContract, RunsWithoutIdempotencyKeyAreNeverReplayed) {
  create_job("build");
  auto first = store().create_run(new_run("build"), k_t0).value();
  auto second = store().create_run(new_run("build"), k_t0).value();
  EXPECT_FALSE(second.replayed);
  EXPECT_NE(first.run.id, second.run.id);
  EXPECT_EQ(runs_of("build").size(), 2u);
}

TEST_P(StoreContract, ConcurrentCreateRunWithOneIdempotencyKeyMakesOneRun) {
  constexpr int k_threads = 8;
  create_job("build");
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto key = "key-" + std::to_string(round);
    std::vector<Result<CreatedRun>> results(k_threads, make_error(ErrorCode::internal, "not run"));
    std::latch start(k_threads);
    {
      std::vector<std::jthread> threads;
      for (int i = 0; i < k_threads; ++i) {
        threads.emplace_back([&, i] {
          start.arrive_and_wait();
          results[static_cast<std::size_t>(i)] =
              store().create_run(keyed_run("build", key, "body"), k_t0 + round);
        });
      }
    }
    std::set<std::int64_t> run_ids;
    int fresh = 0;
    for (const auto& result : results) {
      ASSERT_TRUE(result.has_value()) << result.error().message;
      run_ids.insert(result->run.id);
      fresh += result->replayed ? 0 : 1;
    }
    EXPECT_EQ(run_ids.size(), 1u) << "every request got the same run";
    EXPECT_EQ(fresh, 1) << "exactly one request created it";
    EXPECT_EQ(runs_of("build").size(), static_cast<std::size_t>(round + 1));
  }
}

TEST_P(StoreContract, GetRunOfAnotherJobOrUnknownIdIsNotFound) {
  create_job("build");
  create_job("deploy");
  auto run = queue_run("build");
  EXPECT_ERROR(store().get_run("deploy", run.id), ErrorCode::not_found);
  EXPECT_ERROR(store().get_run("missing", run.id), ErrorCode::not_found);
  EXPECT_ERROR(store().get_run("build", run.id + 1000), ErrorCode::not_found);
  EXPECT_EQ(store().get_run("build", run.id).value().id, run.id);
}

TEST_P(StoreContract, ListRunsIsNewestFirstAndFiltersByStatus) {
  create_job("build");
  create_job("deploy");
  std::vector<std::int64_t> all;
  for (int i = 0; i < 5; ++i) {
    all.push_back(queue_run("build", k_t0 + i).id);
    queue_run("deploy"); // interleaved: another job's runs never show
  }
  ASSERT_OK(store().abort_run("build", all[1], "alice", k_t1));
  ASSERT_OK(store().abort_run("build", all[3], "alice", k_t1));

  EXPECT_EQ(ids(runs_of("build")),
            (std::vector<std::int64_t>{all[4], all[3], all[2], all[1], all[0]}));
  EXPECT_EQ(ids(runs_of("build", run_query(RunStatus::queued, std::nullopt))),
            (std::vector<std::int64_t>{all[4], all[2], all[0]}));
  EXPECT_EQ(ids(runs_of("build", run_query(RunStatus::aborted, std::nullopt))),
            (std::vector<std::int64_t>{all[3], all[1]}));
  EXPECT_TRUE(runs_of("build", run_query(RunStatus::running, std::nullopt)).empty());
  EXPECT_EQ(ids(runs_of("build", run_query(RunStatus::queued, all[2]))),
            std::vector<std::int64_t>{all[0]});
  EXPECT_EQ(ids(store().list_runs("build", run_query(std::nullopt, std::nullopt, 2)).value()),
            (std::vector<std::int64_t>{all[4], all[3]}));
}

TEST_P(StoreContract, ListRunsPagesWithBeforeIdVisitingEachRunOnce) {
  create_job("build");
  std::vector<std::int64_t> created;
  for (int i = 0; i < 120; ++i) {
    created.push_back(queue_run("build", k_t0 + i).id);
  }
  EXPECT_EQ(store().list_runs("build", {}).value().size(), 50u) << "the default limit is 50";

  std::vector<std::int64_t> visited;
  std::vector<std::size_t> page_sizes;
  std::optional<std::int64_t> before;
  for (int page = 0; page < 10; ++page) {
    auto runs = store().list_runs("build", run_query(std::nullopt, before, 50)).value();
    page_sizes.push_back(runs.size());
    if (runs.empty()) {
      break;
    }
    for (const auto& run : runs) {
      visited.push_back(run.id);
    }
    before = runs.back().id;
  }
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{50, 50, 20, 0}));
  std::vector<std::int64_t> newest_first(created.rbegin(), created.rend());
  EXPECT_EQ(visited, newest_first);
}

TEST_P(StoreContract, LastRunsGivesTheNewestRunOfEachJobInTheNameRange) {
  for (const auto* name : {"a-first", "b-never", "c-busy", "d-outside"}) {
    create_job(name);
  }
  auto first = queue_run("a-first");
  std::int64_t busy_newest = 0;
  for (int i = 0; i < 3; ++i) {
    busy_newest = queue_run("c-busy", k_t0 + i).id;
    queue_run("a-first"); // interleaved: each job's own newest counts
  }
  ASSERT_OK(store().abort_run("a-first", first.id, "alice", k_t1));
  queue_run("d-outside");

  auto last = store().last_runs("a-first", "c-busy").value();
  ASSERT_EQ(last.size(), 2u) << "b-never has no run; d-outside is past the range";
  EXPECT_EQ(last[0].job, "a-first");
  EXPECT_EQ(last[0].id, runs_of("a-first").front().id);
  EXPECT_EQ(last[0].status, RunStatus::queued);
  EXPECT_EQ(last[1].job, "c-busy");
  EXPECT_EQ(last[1].id, busy_newest);
  EXPECT_TRUE(store().last_runs("b-never", "b-never").value().empty());
  EXPECT_TRUE(store().last_runs("x", "z").value().empty());
}

TEST_P(StoreContract, ListRunsOfUnknownJobIsNotFound) {
  EXPECT_ERROR(store().list_runs("build", {}), ErrorCode::not_found);
  create_job("build");
  EXPECT_TRUE(runs_of("build").empty());
}

TEST_P(StoreContract, AbortingAQueuedRunFinishesIt) {
  create_job("build");
  auto run = queue_run("build");
  auto aborted = store().abort_run("build", run.id, "bob", k_t1).value();
  for (const model::Run& seen : {aborted, store().get_run("build", run.id).value()}) {
    EXPECT_EQ(seen.id, run.id);
    EXPECT_EQ(seen.status, RunStatus::aborted);
    EXPECT_EQ(seen.finished_at_ms, k_t1);
    EXPECT_EQ(seen.started_at_ms, std::nullopt);
    EXPECT_EQ(seen.reason, "aborted by bob");
    EXPECT_EQ(seen.queued_at_ms, k_t0);
    EXPECT_EQ(seen.trigger, run.trigger);
  }
}

TEST_P(StoreContract, AbortingARunningRunOnlyRequestsIt) {
  create_job("build");
  auto run = queue_run("build");
  ASSERT_TRUE(store().claim_run(run.id, "agent-1", "lease-1", k_t1, k_t2).value());

  auto requested = store().abort_run("build", run.id, "bob", k_t1 + 1).value();
  for (const model::Run& seen : {requested, store().get_run("build", run.id).value()}) {
    EXPECT_EQ(seen.status, RunStatus::running) << "its agent stops it";
    EXPECT_TRUE(seen.abort_requested);
    EXPECT_EQ(seen.reason, "aborted by bob");
    EXPECT_EQ(seen.finished_at_ms, std::nullopt);
    EXPECT_EQ(seen.started_at_ms, k_t1);
    EXPECT_EQ(seen.agent, "agent-1");
  }
}

TEST_P(StoreContract, AbortingAFinishedRunIsConflictAndChangesNothing) {
  create_job("build");
  auto run = queue_run("build");
  auto other = queue_run("build");
  ASSERT_OK(store().abort_run("build", run.id, "bob", k_t1));

  EXPECT_ERROR(store().abort_run("build", run.id, "carol", k_t2), ErrorCode::conflict);
  auto stored = store().get_run("build", run.id).value();
  EXPECT_EQ(stored.status, RunStatus::aborted);
  EXPECT_EQ(stored.reason, "aborted by bob");
  EXPECT_EQ(stored.finished_at_ms, k_t1);
  EXPECT_EQ(store().get_run("build", other.id).value().status, RunStatus::queued);
}

TEST_P(StoreContract, AbortingAnUnknownRunIsNotFoundAndChangesNothing) {
  create_job("build");
  create_job("deploy");
  auto run = queue_run("build");
  EXPECT_ERROR(store().abort_run("deploy", run.id, "bob", k_t1), ErrorCode::not_found);
  EXPECT_ERROR(store().abort_run("build", run.id + 1000, "bob", k_t1), ErrorCode::not_found);
  EXPECT_ERROR(store().abort_run("missing", run.id, "bob", k_t1), ErrorCode::not_found);
  auto stored = store().get_run("build", run.id).value();
  EXPECT_EQ(stored.status, RunStatus::queued);
  EXPECT_EQ(stored.finished_at_ms, std::nullopt);
  EXPECT_EQ(stored.reason, "");
}

// ---- secrets -------------------------------------------------------------------------------

TEST_P(StoreContract, PutSecretCreatesThenReplaces) {
  create_job("build");
  EXPECT_TRUE(store().put_secret("build", "TOKEN", "sealed-1", k_t0).value());
  auto listed = store().list_secrets("build").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name, "TOKEN");
  EXPECT_EQ(listed[0].updated_at_ms, k_t0);

  EXPECT_FALSE(store().put_secret("build", "TOKEN", "sealed-2", k_t1).value());
  listed = store().list_secrets("build").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].updated_at_ms, k_t1);
}

TEST_P(StoreContract, ListSecretsIsSortedByNameAndPerJob) {
  create_job("build");
  create_job("deploy");
  for (std::string name : {"ZED", "ALPHA", "MIDDLE", "BETA"}) {
    ASSERT_TRUE(store().put_secret("build", name, "sealed", k_t0).value());
  }
  ASSERT_TRUE(store().put_secret("deploy", "ALPHA", "other", k_t1).value());
  EXPECT_EQ(names(store().list_secrets("build").value()),
            (std::vector<std::string>{"ALPHA", "BETA", "MIDDLE", "ZED"}));
  EXPECT_EQ(names(store().list_secrets("deploy").value()), std::vector<std::string>{"ALPHA"});
  EXPECT_EQ(store().list_secrets("deploy").value()[0].updated_at_ms, k_t1);
}

TEST_P(StoreContract, DeleteSecret) {
  create_job("build");
  create_job("deploy");
  ASSERT_TRUE(store().put_secret("build", "TOKEN", "sealed", k_t0).value());
  ASSERT_TRUE(store().put_secret("build", "OTHER", "sealed", k_t0).value());
  ASSERT_TRUE(store().put_secret("deploy", "TOKEN", "sealed", k_t0).value());

  EXPECT_OK(store().delete_secret("build", "TOKEN"));
  EXPECT_EQ(names(store().list_secrets("build").value()), std::vector<std::string>{"OTHER"});
  EXPECT_EQ(names(store().list_secrets("deploy").value()), std::vector<std::string>{"TOKEN"});

  EXPECT_ERROR(store().delete_secret("build", "TOKEN"), ErrorCode::not_found);
  EXPECT_ERROR(store().delete_secret("build", "NEVER"), ErrorCode::not_found);
  EXPECT_EQ(names(store().list_secrets("build").value()), std::vector<std::string>{"OTHER"});
}

TEST_P(StoreContract, SecretsOfUnknownJobAreNotFoundAndStoreNothing) {
  EXPECT_ERROR(store().put_secret("build", "TOKEN", "sealed", k_t0), ErrorCode::not_found);
  EXPECT_ERROR(store().list_secrets("build"), ErrorCode::not_found);
  EXPECT_ERROR(store().delete_secret("build", "TOKEN"), ErrorCode::not_found);
  create_job("build");
  EXPECT_TRUE(store().list_secrets("build").value().empty());
}

// ---- settings ------------------------------------------------------------------------------

TEST_P(StoreContract, PinSettingKeepsTheFirstValueForever) {
  EXPECT_EQ(store().pin_setting("secrets_key", "fingerprint-a").value(), "fingerprint-a");
  EXPECT_EQ(store().pin_setting("secrets_key", "fingerprint-b").value(), "fingerprint-a");
  EXPECT_EQ(store().pin_setting("other", "x").value(), "x");

  m_store.reset();
  m_store = open_store(m_url);
  EXPECT_EQ(store().pin_setting("secrets_key", "fingerprint-c").value(), "fingerprint-a");
}

// ---- opening -------------------------------------------------------------------------------

TEST_P(StoreContract, ReopeningKeepsDataAndAppliesMigrationsOnce) {
  create_job("build");
  auto run = queue_run("build");
  ASSERT_TRUE(store().put_secret("build", "TOKEN", "sealed", k_t0).value());
  m_store.reset();

  for (int i = 0; i < 2; ++i) {
    m_store = open_store(m_url);
    EXPECT_EQ(job_names(), std::vector<std::string>{"build"});
    EXPECT_EQ(store().get_run("build", run.id).value().trigger, run.trigger);
    EXPECT_EQ(names(store().list_secrets("build").value()), std::vector<std::string>{"TOKEN"});
    m_store.reset();
  }

  // Two stores open on one database at once see each other's writes.
  m_store = open_store(m_url);
  auto second = open_store(m_url);
  create_job("deploy");
  EXPECT_EQ(names(second->list_jobs("", 10).value()),
            (std::vector<std::string>{"build", "deploy"}));
  auto later = second->create_run(new_run("deploy"), k_t1).value().run;
  EXPECT_GT(later.id, run.id);
  EXPECT_EQ(ids(runs_of("deploy")), std::vector<std::int64_t>{later.id});
}

// Several masters starting at once on a new database (docs/operations.md: "an advisory lock
// lets several masters start at once").
//
// Concurrent CREATE TABLE IF NOT EXISTS is not safe in PostgreSQL: migrations take their lock
// before creating anything, so several masters may start on a new database at once.
TEST_P(StoreContract, OpeningANewDatabaseFromSeveralThreadsAtOnceMigratesIt) {
  constexpr int k_openers = 6;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto url = fresh_url();
    ASSERT_FALSE(url.empty());
    std::vector<std::unique_ptr<Store>> stores(k_openers);
    std::vector<std::string> failures(k_openers);
    std::latch start(k_openers);
    {
      std::vector<std::jthread> threads;
      for (int i = 0; i < k_openers; ++i) {
        threads.emplace_back([&, i] {
          auto index = static_cast<std::size_t>(i);
          start.arrive_and_wait();
          try {
            stores[index] = open_store(url);
          } catch (const std::exception& e) {
            failures[index] = e.what();
          }
        });
      }
    }
    for (int i = 0; i < k_openers; ++i) {
      auto index = static_cast<std::size_t>(i);
      ASSERT_TRUE(stores[index]) << "opener " << i << ": " << failures[index];
    }
    ASSERT_EQ(stores[0]->put_job(job_request("build"), k_t0).value(), PutOutcome::created);
    for (const auto& opened : stores) {
      EXPECT_EQ(names(opened->list_jobs("", 10).value()), std::vector<std::string>{"build"});
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values("sqlite", "postgresql"),
                         backend_name);

} // namespace
} // namespace cicd::store
