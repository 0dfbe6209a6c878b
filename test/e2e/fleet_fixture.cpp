#include "fleet_fixture.hpp"

#include "agent_fixture.hpp" // json_quote

#include <fmt/format.h>

#include <iostream>
#include <thread>

namespace cicd::test {
using namespace std::chrono_literals;

void FleetTest::SetUp() {
  require_docker_engine(m_docker);
  if (HasFatalFailure() || IsSkipped()) {
    return;
  }
  // Run ids start at 1 in every test's database: one test at a time on the engine keeps the
  // cicd.run labels apart (as for the standalone tests).
  m_engine_lock = std::make_unique<EngineLock>(m_docker.socket_path(), 600s);
  m_image = ensure_busybox_image(m_docker);
  if (HasFatalFailure()) {
    return;
  }
  m_fleet = std::make_unique<Fleet>();
  if (!m_fleet->ready()) {
    m_fleet.reset();
  }
}

void FleetTest::TearDown() {
  if (!m_fleet) {
    return;
  }
  if (HasFailure()) {
    auto logs = m_fleet->logs();
    constexpr std::size_t k_tail = 20000;
    if (logs.size() > k_tail) {
      logs = "…" + logs.substr(logs.size() - k_tail);
    }
    std::cerr << "--- the fleet's logs ---\n" << logs << "--- end ---\n";
  }
  std::vector<std::string> agents;
  for (std::size_t i = 0; i < m_fleet->agent_count(); ++i) {
    agents.push_back(m_fleet->agent(i).id());
  }
  m_fleet.reset(); // agents drain and exit, masters stop
  for (const auto& id : agents) {
    auto label = "cicd.agent=" + id;
    EXPECT_EQ(m_docker.containers_with_label(label).value(), std::vector<std::string>{}) << label;
    EXPECT_EQ(m_docker.networks_with_label(label).value(), std::vector<std::string>{}) << label;
  }
}

HttpResponse FleetTest::call(std::size_t master, Verb method, std::string_view target,
                             std::string_view body, const std::string& scope) {
  return m_fleet->client(master).request(method, target, body,
                                         {{"Authorization", "Bearer " + m_fleet->token(scope)}});
}

void FleetTest::put_job(std::string_view name, std::string_view script, std::string_view members) {
  auto definition =
      fmt::format(R"({{"type":"freestyle","image":{},"script":{}{}{}}})", json_quote(m_image),
                  json_quote(script), members.empty() ? "" : ",", members);
  auto response = call(0, Verb::put, "/jobs/" + std::string(name), definition);
  EXPECT_TRUE(response.status == 200 || response.status == 201)
      << "PUT /jobs/" << name << " → " << response.status << " " << response.body;
}

std::int64_t FleetTest::trigger(std::size_t master, std::string_view job) {
  auto response = call(master, Verb::post, "/jobs/" + std::string(job) + "/runs",
                       R"({"branchName":"main"})", "trigger");
  if (response.status != 201) {
    ADD_FAILURE() << "POST /jobs/" << job << "/runs → " << response.status << " " << response.body;
    return -1;
  }
  return parse_json(response.body)["id"].GetInt64();
}

FleetRun FleetTest::get_run(std::string_view job, std::int64_t id) {
  auto response = call(0, Verb::get, run_path(job, id), {}, "read");
  FleetRun run;
  run.body = response.body;
  if (response.status != 200) {
    ADD_FAILURE() << "GET " << run_path(job, id) << " → " << response.status << " "
                  << response.body;
    return run;
  }
  auto document = parse_json(response.body);
  run.status = string_member(document, "status");
  run.reason = string_member(document, "reason");
  run.agent = string_member(document, "agent");
  return run;
}

FleetRun FleetTest::wait_for_end(std::string_view job, std::int64_t id,
                                 std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto run = get_run(job, id);
    if ((run.status != "queued" && run.status != "running") || run.status.empty()) {
      return run;
    }
    if (std::chrono::steady_clock::now() > until) {
      ADD_FAILURE() << "run " << id << " of " << job << " did not end within " << deadline.count()
                    << " s: " << run.body;
      return run;
    }
    std::this_thread::sleep_for(100ms);
  }
}

FleetRun FleetTest::wait_for_status(std::string_view job, std::int64_t id, std::string_view status,
                                    std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto run = get_run(job, id);
    if (run.status == status || run.status.empty()) {
      return run;
    }
    if (std::chrono::steady_clock::now() > until) {
      ADD_FAILURE() << "run " << id << " of " << job << " was not " << status << " within "
                    << deadline.count() << " s: " << run.body;
      return run;
    }
    std::this_thread::sleep_for(100ms);
  }
}

std::string FleetTest::run_path(std::string_view job, std::int64_t id) {
  return fmt::format("/jobs/{}/runs/{}", job, id);
}

} // namespace cicd::test
