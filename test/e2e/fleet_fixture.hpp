#pragma once
// The fixture of the distributed tests: a Fleet (support/fleet.hpp) of separate master and
// agent processes on PostgreSQL, RabbitMQ and the Docker engine, plus the calls the tests
// make. After each test, nothing labelled with any of its agents' ids is left in Docker.

#include "api_fixture.hpp"

#include "support/docker_images.hpp"
#include "support/fleet.hpp"
#include "support/standalone.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cicd::test {

struct FleetRun {
  std::string status;
  std::string reason;
  std::string agent;
  std::string body;
};

class FleetTest : public testing::Test {
protected:
  void SetUp() override;
  void TearDown() override;

  Fleet& fleet() { return *m_fleet; }
  docker::Client& docker() { return m_docker; }

  HttpResponse call(std::size_t master, Verb method, std::string_view target,
                    std::string_view body = {}, const std::string& scope = "admin");
  // PUT /jobs/{name} of a freestyle job on the busybox image; fails the test unless 200/201.
  void put_job(std::string_view name, std::string_view script, std::string_view members = {});
  // POST /jobs/{job}/runs through `master`; the run id, or -1 (and a failure) unless 201.
  std::int64_t trigger(std::size_t master, std::string_view job);
  FleetRun get_run(std::string_view job, std::int64_t id);
  // Polls until the run is terminal or `deadline` passed (then fails the test).
  FleetRun wait_for_end(std::string_view job, std::int64_t id, std::chrono::seconds deadline);
  // Polls until the run has `status` (or `deadline` passed; then fails the test).
  FleetRun wait_for_status(std::string_view job, std::int64_t id, std::string_view status,
                           std::chrono::seconds deadline);
  static std::string run_path(std::string_view job, std::int64_t id);

private:
  docker::Client m_docker = docker::Client::from_environment();
  std::string m_image;
  std::unique_ptr<EngineLock> m_engine_lock;

protected:
  std::unique_ptr<Fleet> m_fleet; // a test may replace it before adding processes
};

} // namespace cicd::test
