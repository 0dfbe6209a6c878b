#include "agent_metrics.hpp"

#include "cicd/metrics/exposition.hpp"

#include <prometheus/gauge.h>

#include <string>

namespace cicd::agent {
namespace {

prometheus::Labels status_label(model::RunStatus status) {
  return {{"status", std::string(model::to_string(status))}};
}

void set_gauge(prometheus::Registry& registry, const std::string& name, const std::string& help,
               double value) {
  prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({}).Set(value);
}

} // namespace

AgentMetrics::AgentMetrics()
    : m_runs(prometheus::BuildCounter()
                 .Name("cicd_agent_runs_total")
                 .Help("Runs this agent process finished, by final status")
                 .Register(m_registry)) {
  // Every status from the start, so that rate() sees the first run of each.
  for (auto status :
       {model::RunStatus::succeeded, model::RunStatus::failed, model::RunStatus::errored,
        model::RunStatus::timed_out, model::RunStatus::aborted}) {
    m_runs.Add(status_label(status));
  }
}

void AgentMetrics::run_ended(model::RunStatus status) {
  m_runs.Add(status_label(status)).Increment();
}

http::Response AgentMetrics::exposition(const AgentLoop& loop) const {
  prometheus::Registry now;
  set_gauge(now, "cicd_agent_slots", "Runs this agent takes at once", loop.slots());
  set_gauge(now, "cicd_agent_running", "Runs in hand", loop.running());
  set_gauge(now, "cicd_agent_draining", "1 once the agent drains: it takes no new run",
            m_draining ? 1 : 0);
  set_gauge(now, "cicd_agent_cpu_busy_ratio",
            "The machine's busy CPU share (0 to 1) as the dispatcher last measured it, while a "
            "slot was free",
            loop.cpu_busy_ratio());
  return metrics::exposition_response({&now, &m_registry});
}

} // namespace cicd::agent
