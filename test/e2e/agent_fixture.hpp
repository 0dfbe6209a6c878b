#pragma once
// The fixture of the agent's end-to-end tests: each test gets its own `cicd standalone` (the
// real binary) running jobs on the Docker engine at DOCKER_HOST, in the busybox image of
// support/docker_images.hpp. Without an engine the tests skip loudly, or fail under CI=true.
//
// After every test, for every run it triggered: the run has ended, no container or network
// labelled cicd.run=<id> is left, and the agent's work dir holds no run-* temp dir. After the
// process is stopped, nothing labelled with its agent id is left either.

#include "api_fixture.hpp"

#include "support/docker_images.hpp"
#include "support/standalone.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cicd::test {

inline constexpr auto k_run_deadline = std::chrono::seconds(60);

// What the tests read from a run document.
struct RunView {
  std::string status;
  std::optional<std::int64_t> exit_code;
  std::string reason;
  std::string started_at;  // "" while null
  std::string finished_at; // "" while null
  std::string agent;       // "" while null
  std::string body;        // the document as sent
};

// A JUnit result's "summary" member.
struct JunitView {
  std::int64_t tests = 0, passed = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
};

// A result as GET …/results lists it.
struct ResultView {
  std::string name;
  std::string content_type;
  std::int64_t size = 0;
  std::optional<JunitView> summary;
};

// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

class AgentTest : public testing::Test {
protected:
  // Derived fixtures change the process's options here (--slots 1 for queueing tests).
  virtual StandaloneOptions standalone_options() const { return {}; }

  void SetUp() override;
  void TearDown() override;

  CicdStandalone& standalone() { return *m_standalone; }
  docker::Client& docker() { return m_docker; }
  const std::string& image() const { return m_image; }

  // A request with "Authorization: Bearer <a token of `scope`>"; every response body is kept
  // for responses_seen().
  HttpResponse call(Verb method, std::string_view target, std::string_view body = {},
                    const std::string& scope = "admin");
  // Every response body this test received, one after the other.
  const std::string& responses_seen() const { return m_responses_seen; }

  // A freestyle job on the busybox image running `script` (one shell script, any lines);
  // `members` are more JSON members, like R"("timeout": "2s")".
  std::string freestyle_job(std::string_view script, std::string_view members = {}) const;
  // PUT /jobs/{name}; fails the test unless it answered 200 or 201.
  void put_job(std::string_view name, const std::string& definition);
  // POST /jobs/{job}/runs with `body` (by default on commit 000…0); returns the run id, or -1
  // (and fails the test) when it was not 201. The run is checked at teardown.
  std::int64_t trigger(std::string_view job, std::string_view body = {});

  RunView get_run(std::string_view job, std::int64_t id);
  // Polls the run until it reaches a terminal status or `deadline` passed (then fails the
  // test and returns the last view).
  RunView wait_for_end(std::string_view job, std::int64_t id,
                       std::chrono::seconds deadline = k_run_deadline);
  // Polls until the run has `status` (or has ended otherwise, or `deadline` passed).
  RunView wait_for_status(std::string_view job, std::int64_t id, std::string_view status,
                          std::chrono::seconds deadline = k_run_deadline);
  // Polls the stored console until it contains `text` (or `deadline` passed); returns it.
  std::string wait_for_console(std::string_view job, std::int64_t id, std::string_view text,
                               std::chrono::seconds deadline = k_run_deadline);

  // GET …/results/console (asserting 200 text/plain).
  std::string console(std::string_view job, std::int64_t id);
  // GET …/results.
  std::vector<ResultView> results(std::string_view job, std::int64_t id);
  // GET …/results/{name}.
  HttpResponse result(std::string_view job, std::int64_t id, std::string_view name);
  static std::string run_path(std::string_view job, std::int64_t id);

private:
  void check_nothing_left();

  docker::Client m_docker = docker::Client::from_environment();
  std::string m_image;
  std::unique_ptr<EngineLock> m_engine_lock;
  std::unique_ptr<CicdStandalone> m_standalone;
  std::vector<std::pair<std::string, std::int64_t>> m_runs;
  std::string m_responses_seen;
};

// Whether `text` holds `needle` (or does not); a failure shows both (long text cut short).
testing::AssertionResult holds_text(const std::string& text, std::string_view needle);
testing::AssertionResult lacks_text(const std::string& text, std::string_view needle);

} // namespace cicd::test
