// GET /metrics of a master and of an agent in a distributed deployment (separate processes on
// PostgreSQL, RabbitMQ and Docker): a run that ran, a run in hand and a drain, the broker
// away. Every wait is bounded; no test measures time.
#include "fleet_fixture.hpp"

#include "support/amqp.hpp"
#include "support/prometheus_text.hpp"

#include <gmock/gmock.h>

#include <thread>

namespace cicd::test {
namespace {

using namespace std::chrono_literals;
using testing::StartsWith;

class FleetMetricsTest : public FleetTest {
protected:
  std::vector<MetricSample> scrape_master(std::size_t master = 0) {
    auto response = call(master, Verb::get, "/metrics", {}, "read");
    EXPECT_EQ(response.status, 200) << response.body;
    return parse_metrics(response.body);
  }

  std::vector<MetricSample> scrape_agent(std::size_t agent = 0) {
    auto response = fleet().agent(agent).client().request(Verb::get, "/metrics");
    EXPECT_EQ(response.status, 200) << response.body;
    return parse_metrics(response.body);
  }

  // Scrapes the agent until `name{labels}` is `value`, for 30 s at most; the last samples.
  std::vector<MetricSample> wait_for_agent_metric(std::size_t agent, std::string_view name,
                                                  const std::map<std::string, std::string>& labels,
                                                  double value) {
    auto until = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      auto samples = scrape_agent(agent);
      if (metric_value(samples, name, labels) == value) {
        return samples;
      }
      if (std::chrono::steady_clock::now() > until) {
        ADD_FAILURE() << "the agent's " << name << " did not become " << value << " in 30 s";
        return samples;
      }
      std::this_thread::sleep_for(100ms);
    }
  }
};

TEST_F(FleetMetricsTest, TheMasterAndTheAgentCountARunThatSucceeded) {
  if (!m_fleet) {
    return;
  }
  fleet().add_master();
  fleet().add_agent(); // 2 slots
  put_job("counted", "echo counted");
  auto id = trigger(0, "counted");
  ASSERT_EQ(wait_for_end("counted", id, 60s).status, "succeeded");

  auto anonymous = fleet().client(0).request(Verb::get, "/metrics");
  EXPECT_EQ(anonymous.status, 401);
  auto response = call(0, Verb::get, "/metrics", {}, "read");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_THAT(response.header("Content-Type"), StartsWith("text/plain; version=0.0.4"));
  auto master = parse_metrics(response.body);
  EXPECT_EQ(metric_value(master, "cicd_runs", {{"status", "succeeded"}}), 1);
  EXPECT_EQ(metric_value(master, "cicd_runs", {{"status", "queued"}}), 0);
  EXPECT_EQ(metric_value(master, "cicd_runs_finished_total", {{"status", "succeeded"}}), 1);
  EXPECT_EQ(metric_value(master, "cicd_run_duration_seconds_count"), 1);
  EXPECT_EQ(metric_value(master, "cicd_run_duration_seconds_bucket", {{"le", "+Inf"}}), 1);
  EXPECT_EQ(metric_value(master, "cicd_run_queue_wait_seconds_count"), 1);
  EXPECT_EQ(metric_value(master, "cicd_http_requests_total",
                         {{"route", "/jobs/{job}/runs"}, {"method", "POST"}, {"code", "201"}}),
            1);
  EXPECT_EQ(metric_value(master, "cicd_agents"), 1);
  EXPECT_EQ(metric_value(master, "cicd_agents_draining"), 0);
  EXPECT_EQ(metric_value(master, "cicd_agents_slots"), 2);
  EXPECT_EQ(metric_value(master, "cicd_queue_depth", {{"resource_class", "default"}}), 0);
  EXPECT_EQ(metric_value(master, "cicd_queue_up"), 1);
  EXPECT_EQ(metric_value(master, "cicd_database_up"), 1);

  // The agent's own, on its own port and without a token. Its count follows the run's end a
  // little: the status is written before the run's containers are removed.
  auto agent = wait_for_agent_metric(0, "cicd_agent_runs_total", {{"status", "succeeded"}}, 1);
  EXPECT_EQ(metric_value(agent, "cicd_agent_runs_total", {{"status", "failed"}}), 0);
  EXPECT_EQ(metric_value(agent, "cicd_agent_slots"), 2);
  EXPECT_EQ(metric_value(agent, "cicd_agent_running"), 0);
  EXPECT_EQ(metric_value(agent, "cicd_agent_draining"), 0);
  auto cpu = metric_value(agent, "cicd_agent_cpu_busy_ratio");
  ASSERT_TRUE(cpu.has_value());
  EXPECT_GE(*cpu, 0);
  EXPECT_LE(*cpu, 1);
  EXPECT_EQ(fleet().agent(0).client().request(Verb::get, "/healthz").status, 200);
  EXPECT_EQ(fleet().agent(0).client().request(Verb::get, "/jobs").status, 404);

  // SIGTERM still reaches the agent's drain, not its HTTP server: it exits 0.
  EXPECT_EQ(fleet().agent(0).process().stop(30s), 0) << fleet().agent(0).log();
  EXPECT_THAT(fleet().agent(0).log(), testing::HasSubstr("draining"));
}

TEST_F(FleetMetricsTest, ARunInHandAndADrainShowOnBothSides) {
  if (!m_fleet) {
    return;
  }
  fleet().add_master();
  fleet().add_agent(); // 2 slots
  put_job("long", "echo started; sleep 60");
  auto id = trigger(0, "long");
  wait_for_status("long", id, "running", 60s);
  wait_for_agent_metric(0, "cicd_agent_running", {}, 1);
  auto master = scrape_master();
  EXPECT_EQ(metric_value(master, "cicd_runs", {{"status", "running"}}), 1);
  EXPECT_EQ(metric_value(master, "cicd_run_queue_wait_seconds_count"), 1);
  EXPECT_EQ(metric_value(master, "cicd_run_duration_seconds_count"), 0);

  auto drained = call(0, Verb::post, "/agents/" + fleet().agent(0).id() + "/drain");
  ASSERT_EQ(drained.status, 202) << drained.body;
  wait_for_agent_metric(0, "cicd_agent_draining", {}, 1);
  master = scrape_master();
  EXPECT_EQ(metric_value(master, "cicd_agents_draining"), 1);
  EXPECT_EQ(metric_value(master, "cicd_agents_slots"), 0);
  EXPECT_EQ(metric_value(master, "cicd_agents_free_slots"), 0);

  call(0, Verb::post, run_path("long", id) + "/abort", {}, "trigger");
  EXPECT_EQ(wait_for_end("long", id, 60s).status, "aborted");
}

TEST_F(FleetMetricsTest, WithTheBrokerAwayTheMasterStillAnswersAndSaysSo) {
  if (!m_fleet) {
    return;
  }
  OwnRabbitmq broker; // stopping the shared node would break the tests beside this one
  if (broker.url().empty()) {
    return;
  }
  m_fleet = std::make_unique<Fleet>(broker.url());
  ASSERT_TRUE(fleet().ready());
  fleet().add_master();
  EXPECT_EQ(metric_value(scrape_master(), "cicd_queue_up"), 1);

  ASSERT_TRUE(broker.rabbitmqctl("stop_app"));
  auto start = std::chrono::steady_clock::now();
  auto master = scrape_master();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s) << "a scrape must not hang";
  EXPECT_EQ(metric_value(master, "cicd_queue_up"), 0);
  EXPECT_EQ(metric_value(master, "cicd_queue_depth", {{"resource_class", "default"}}),
            std::nullopt);
  EXPECT_EQ(metric_value(master, "cicd_database_up"), 1);
  EXPECT_EQ(metric_value(master, "cicd_runs", {{"status", "queued"}}), 0);
  ASSERT_TRUE(broker.rabbitmqctl("start_app"));
}

} // namespace
} // namespace cicd::test
