#pragma once
// What the agent's GET /metrics shows (Prometheus text format): its slots, the runs in hand,
// whether it drains, the CPU share its dispatcher sees, and the runs it finished by status.
// Nothing about jobs, so it needs no token (agent_endpoint.hpp serves it on loopback).

#include "agent_loop.hpp"

#include "cicd/http/message.hpp"
#include "cicd/model/run.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <atomic>

namespace cicd::agent {

// Thread safety: every method from any thread.
class AgentMetrics {
public:
  AgentMetrics();
  // For AgentOptions::on_run_end.
  void run_ended(model::RunStatus status);
  void set_draining() { m_draining = true; }
  // The exposition of `loop` as it is now.
  http::Response exposition(const AgentLoop& loop) const;

private:
  prometheus::Registry m_registry; // what lasts between scrapes: the finished runs
  prometheus::Family<prometheus::Counter>& m_runs;
  std::atomic<bool> m_draining{false};
};

} // namespace cicd::agent
