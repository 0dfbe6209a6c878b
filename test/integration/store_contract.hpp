#pragma once
// The fixture of the store contract tests (include/cicd/store/store.hpp), run against both
// backends: each test gets an empty database of its own. Shared by store_*_test.cpp; each
// file derives its own fixture name for INSTANTIATE_TEST_SUITE_P.

#include "cicd/store/store.hpp"

#include "support/error_assertions.hpp"
#include "support/postgres.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

namespace cicd::store {
namespace {

namespace fs = std::filesystem;
using model::RunStatus;
using model::Trigger;

constexpr std::int64_t k_t0 = 1'790'000'000'000;
constexpr std::int64_t k_t1 = k_t0 + 60'000;
constexpr std::int64_t k_t2 = k_t0 + 120'000;

const std::string k_sha = "0123456789abcdef0123456789abcdef01234567";

inline std::string definition(int version) {
  return R"({"type":"freestyle","description":"v)" + std::to_string(version) +
         R"(","image":"debian:12","script":"make test"})";
}

inline std::string etag(std::string_view name, int version) {
  return "\"" + std::string(name) + "-" + std::to_string(version) + "\"";
}

inline PutJobRequest job_request(std::string name, int version = 1) {
  PutJobRequest request;
  request.definition_json = definition(version);
  request.etag = etag(name, version);
  request.name = std::move(name);
  return request;
}

inline NewRun new_run(std::string job, std::string by = "alice") {
  NewRun run;
  run.job = std::move(job);
  run.trigger.branch_name = "main";
  run.trigger.by = std::move(by);
  return run;
}

inline NewRun keyed_run(std::string job, std::string key, std::string fingerprint) {
  auto run = new_run(std::move(job));
  run.idempotency_key = std::move(key);
  run.request_fingerprint = std::move(fingerprint);
  return run;
}

inline RunQuery run_query(std::optional<RunStatus> status, std::optional<std::int64_t> before_id,
                          int limit = 1000) {
  RunQuery query;
  query.status = status;
  query.before_id = before_id;
  query.limit = limit;
  return query;
}

inline std::vector<std::string> names(const std::vector<StoredJob>& jobs) {
  std::vector<std::string> out;
  for (const auto& job : jobs) {
    out.push_back(job.name);
  }
  return out;
}

inline std::vector<std::string> names(const std::vector<SecretInfo>& secrets) {
  std::vector<std::string> out;
  for (const auto& secret : secrets) {
    out.push_back(secret.name);
  }
  return out;
}

inline std::vector<std::int64_t> ids(const std::vector<model::Run>& runs) {
  std::vector<std::int64_t> out;
  for (const auto& run : runs) {
    out.push_back(run.id);
  }
  return out;
}

// Each test gets an empty database of its own: a file in a fresh temp dir, or a fresh
// PostgreSQL database on the server scripts/test starts.
class StoreContract : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    m_url = fresh_url();
    if (m_url.empty()) {
      return; // fresh_postgres_database() failed or skipped the test
    }
    m_store = open_store(m_url);
  }

  void TearDown() override {
    m_store.reset();
    for (const auto& url : m_postgres_urls) {
      test::drop_postgres_database(url);
    }
    for (const auto& dir : m_dirs) {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  }

  // The URL of another empty database of this test's backend.
  std::string fresh_url() {
    if (GetParam() == "postgresql") {
      auto url = test::fresh_postgres_database();
      if (!url.empty()) {
        m_postgres_urls.push_back(url);
      }
      return url;
    }
    static std::atomic<int> counter{0};
    auto dir = fs::temp_directory_path() /
               ("cicd-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(dir);
    fs::create_directories(dir);
    m_dirs.push_back(dir);
    return "sqlite://" + (dir / "cicd.db").string();
  }

  Store& store() { return *m_store; }

  void create_job(const std::string& name, std::int64_t now_ms = k_t0) {
    ASSERT_EQ(store().put_job(job_request(name), now_ms).value(), PutOutcome::created);
  }

  model::Run queue_run(const std::string& job, std::int64_t now_ms = k_t0) {
    return store().create_run(new_run(job), now_ms).value().run;
  }

  // Every run of the job (up to 1000), newest first.
  std::vector<model::Run> runs_of(const std::string& job,
                                  RunQuery query = run_query(std::nullopt, std::nullopt)) {
    return store().list_runs(job, query).value();
  }

  std::vector<std::string> job_names() { return names(store().list_jobs("", 1000).value()); }

  std::string m_url;
  std::unique_ptr<Store> m_store;

private:
  std::vector<std::string> m_postgres_urls;
  std::vector<fs::path> m_dirs;
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& backend) {
  return backend.param;
}

} // namespace
} // namespace cicd::store
