// GET /metrics in the Prometheus text format. What describes the whole deployment (runs,
// agents, queue depths) is read from the database and the broker at each scrape into a fresh
// registry, so every master reports the same numbers; the request counts are this process's.
#include "api.hpp"

#include "cicd/core/log.hpp"
#include "cicd/metrics/exposition.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <set>

namespace cicd::master {
namespace {
using auth::Scope;
using model::RunStatus;

const prometheus::Histogram::BucketBoundaries k_run_time_bounds_s = {1,   5,   15,  30,   60,
                                                                     120, 300, 600, 1800, 3600};
const prometheus::Histogram::BucketBoundaries k_queue_wait_bounds_s = {0.1, 0.5, 1,   5,
                                                                       15,  60,  300, 900};
constexpr std::array k_statuses = {RunStatus::queued, RunStatus::running, RunStatus::succeeded,
                                   RunStatus::failed, RunStatus::errored, RunStatus::timed_out,
                                   RunStatus::aborted};

std::vector<std::int64_t> to_ms(const prometheus::Histogram::BucketBoundaries& seconds) {
  std::vector<std::int64_t> ms;
  for (auto bound : seconds) {
    ms.push_back(static_cast<std::int64_t>(bound * 1000));
  }
  return ms;
}

prometheus::Gauge& gauge(prometheus::Registry& registry, const std::string& name,
                         const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

// The database's cumulative counts, as the per-bucket increments a fresh histogram takes.
void add_histogram(prometheus::Registry& registry, const std::string& name, const std::string& help,
                   const prometheus::Histogram::BucketBoundaries& bounds_s,
                   const store::DurationCounts& counts) {
  std::vector<double> increments;
  std::int64_t below = 0;
  for (auto at_or_below : counts.at_or_below) {
    increments.push_back(static_cast<double>(at_or_below - below));
    below = at_or_below;
  }
  increments.push_back(static_cast<double>(counts.count - below)); // +Inf
  prometheus::BuildHistogram()
      .Name(name)
      .Help(help)
      .Register(registry)
      .Add({}, bounds_s)
      .ObserveMultiple(increments, static_cast<double>(counts.sum_ms) / 1000.0);
}

void add_run_metrics(prometheus::Registry& registry, const store::RunStatistics& statistics) {
  auto& runs = prometheus::BuildGauge()
                   .Name("cicd_runs")
                   .Help("Runs of every job by their status now")
                   .Register(registry);
  auto& finished = prometheus::BuildCounter()
                       .Name("cicd_runs_finished_total")
                       .Help("Runs that ended, by final status (falls when a job is deleted with "
                             "its runs)")
                       .Register(registry);
  for (auto status : k_statuses) {
    auto found = statistics.by_status.find(status);
    auto count = static_cast<double>(found == statistics.by_status.end() ? 0 : found->second);
    prometheus::Labels labels{{"status", std::string(model::to_string(status))}};
    runs.Add(labels).Set(count);
    if (model::is_terminal(status)) {
      finished.Add(labels).Increment(count);
    }
  }
  add_histogram(registry, "cicd_run_duration_seconds",
                "Time from start to end of the runs that ended after they started",
                k_run_time_bounds_s, statistics.run_time);
  add_histogram(registry, "cicd_run_queue_wait_seconds",
                "Time from trigger to start of the runs that started", k_queue_wait_bounds_s,
                statistics.queue_wait);
}

// Totals over the agent list; slots of draining agents are not counted (they take nothing).
void add_agent_metrics(prometheus::Registry& registry,
                       const std::vector<store::AgentInfo>& agents) {
  double draining = 0;
  double slots = 0;
  double free_slots = 0;
  for (const auto& agent : agents) {
    if (agent.draining) {
      ++draining;
      continue;
    }
    slots += agent.slots;
    free_slots += std::max(0, agent.slots - agent.running);
  }
  gauge(registry, "cicd_agents", "Agents in the agent list")
      .Set(static_cast<double>(agents.size()));
  gauge(registry, "cicd_agents_draining", "Agents draining: finishing their runs, taking no more")
      .Set(draining);
  gauge(registry, "cicd_agents_slots", "Run slots of the agents not draining").Set(slots);
  gauge(registry, "cicd_agents_free_slots",
        "Run slots of the agents not draining that no run holds (as of their last heartbeat)")
      .Set(free_slots);
}

// The broker's count of ready messages per class. The first failure ends the round (a broker
// away answers every class the same, each after a timeout) and sets cicd_queue_up to 0.
void add_queue_metrics(prometheus::Registry& registry, queue::Queue& queue,
                       const std::set<std::string>& classes) {
  auto& depths = prometheus::BuildGauge()
                     .Name("cicd_queue_depth")
                     .Help("Runs waiting in the broker's queue of each resource class")
                     .Register(registry);
  bool up = true;
  for (const auto& resource_class : classes) {
    auto depth = queue.depth(resource_class);
    if (!depth) {
      log::warn("metrics: the depth of queue '{}' is unknown: {}", resource_class,
                depth.error().message);
      up = false;
      break;
    }
    depths.Add({{"resource_class", resource_class}}).Set(static_cast<double>(*depth));
  }
  gauge(registry, "cicd_queue_up", "1 when the broker answered every depth asked of it, else 0")
      .Set(up ? 1 : 0);
}

http::Response get_metrics(const ApiDependencies& deps, const RequestCounts& request_counts) {
  prometheus::Registry registry;
  std::set<std::string> classes = {"default"};
  bool database_up = true;
  auto statistics =
      deps.store.run_statistics(to_ms(k_run_time_bounds_s), to_ms(k_queue_wait_bounds_s));
  if (statistics) {
    add_run_metrics(registry, *statistics);
    for (const auto& [name, count] : statistics->queued_by_class) {
      classes.insert(name);
    }
  } else {
    log::warn("metrics: cannot count the runs: {}", statistics.error().message);
    database_up = false;
  }
  auto agents = deps.store.list_agents();
  if (agents) {
    add_agent_metrics(registry, *agents);
    for (const auto& agent : *agents) {
      classes.insert(agent.resource_classes.begin(), agent.resource_classes.end());
    }
  } else {
    log::warn("metrics: cannot list the agents: {}", agents.error().message);
    database_up = false;
  }
  add_queue_metrics(registry, deps.queue, classes);
  gauge(registry, "cicd_database_up", "1 when the database answered this scrape's queries, else 0")
      .Set(database_up ? 1 : 0);
  return metrics::exposition_response({&registry, &request_counts.registry()});
}

} // namespace

void add_metrics_routes(http::Router& router, const ApiDependencies& deps,
                        const RequestCounts& request_counts) {
  router.add({http::Verb::get, "/metrics", static_cast<int>(Scope::read),
              [&deps, &request_counts](const http::Request&, const http::RouteMatch&) {
                return get_metrics(deps, request_counts);
              }});
}

} // namespace cicd::master
