// GET /metrics on the master, through the real binary on both stores: its token, its format,
// the runs and queue it counts, and the requests by route pattern. Runs stay queued here (no
// agent); the fleet tests count runs that ran (fleet_metrics_test.cpp).
#include "api_fixture.hpp"

#include "support/prometheus_text.hpp"

#include <gmock/gmock.h>

namespace cicd::test {
namespace {

using testing::StartsWith;

class ApiMetricsTest : public ApiTest {
protected:
  std::vector<MetricSample> scrape() {
    auto response = call(Verb::get, "/metrics", {}, "read");
    EXPECT_EQ(response.status, 200) << response.body;
    return parse_metrics(response.body);
  }
};
CICD_INSTANTIATE_FOR_BOTH_STORES(ApiMetricsTest);

TEST_P(ApiMetricsTest, AReadTokenScrapesThePrometheusTextFormat) {
  EXPECT_TRUE(is_problem(call(Verb::get, "/metrics", {}, ""), 401));
  auto response = call(Verb::get, "/metrics", {}, "read");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_THAT(response.header("Content-Type"), StartsWith("text/plain; version=0.0.4"));
  EXPECT_EQ(response.header("Cache-Control"), "no-store");
  EXPECT_THAT(response.body, testing::HasSubstr("# TYPE cicd_run_duration_seconds histogram\n"));
  EXPECT_TRUE(is_problem(call(Verb::post, "/metrics"), 405));
}

TEST_P(ApiMetricsTest, QueuedRunsAreCountedWithTheirQueue) {
  ASSERT_EQ(put_job("unit-test").status, 201);
  trigger_run("unit-test");
  trigger_run("unit-test");
  auto samples = scrape();
  EXPECT_EQ(metric_value(samples, "cicd_runs", {{"status", "queued"}}), 2);
  EXPECT_EQ(metric_value(samples, "cicd_runs", {{"status", "succeeded"}}), 0);
  EXPECT_EQ(metric_value(samples, "cicd_runs_finished_total", {{"status", "failed"}}), 0);
  EXPECT_EQ(metric_value(samples, "cicd_run_duration_seconds_count"), 0);
  EXPECT_EQ(metric_value(samples, "cicd_run_duration_seconds_bucket", {{"le", "+Inf"}}), 0);
  EXPECT_EQ(metric_value(samples, "cicd_run_queue_wait_seconds_count"), 0);
  EXPECT_EQ(metric_value(samples, "cicd_queue_depth", {{"resource_class", "default"}}), 2);
  EXPECT_EQ(metric_value(samples, "cicd_queue_up"), 1);
  EXPECT_EQ(metric_value(samples, "cicd_database_up"), 1);
  EXPECT_EQ(metric_value(samples, "cicd_agents"), 0);
  EXPECT_EQ(metric_value(samples, "cicd_agents_free_slots"), 0);
}

TEST_P(ApiMetricsTest, RequestsAreCountedByRoutePatternNeverByPath) {
  ASSERT_EQ(put_job("unit-test").status, 201);
  trigger_run("unit-test");
  EXPECT_EQ(call(Verb::get, "/jobs/no-such-job", {}, "read").status, 404);
  EXPECT_EQ(call(Verb::get, "/no/such/route", {}, "read").status, 404);
  EXPECT_EQ(call(Verb::get, "/jobs/unit-test", {}, "").status, 401);
  EXPECT_EQ(call(Verb::delete_, "/jobs/unit-test", {}, "read").status, 403);
  scrape();

  auto samples = scrape();
  auto requests = [&](const char* route, const char* method, const char* code) {
    return metric_value(samples, "cicd_http_requests_total",
                        {{"route", route}, {"method", method}, {"code", code}});
  };
  EXPECT_EQ(requests("/jobs/{job}", "PUT", "201"), 1);
  EXPECT_EQ(requests("/jobs/{job}/runs", "POST", "201"), 1);
  EXPECT_EQ(requests("/jobs/{job}", "GET", "404"), 1);
  EXPECT_EQ(requests("/jobs/{job}", "GET", "401"), 1); // refused before routing, still labelled
  EXPECT_EQ(requests("/jobs/{job}", "DELETE", "403"), 1);
  EXPECT_EQ(requests("unmatched", "GET", "404"), 1);
  EXPECT_EQ(requests("/metrics", "GET", "200"), 1); // the first scrape
  for (const auto& sample : samples) {
    for (const auto& [name, value] : sample.labels) {
      EXPECT_THAT(value, testing::Not(testing::HasSubstr("unit-test"))) << sample.name;
      EXPECT_THAT(value, testing::Not(testing::HasSubstr("no-such"))) << sample.name;
    }
  }
}

} // namespace
} // namespace cicd::test
