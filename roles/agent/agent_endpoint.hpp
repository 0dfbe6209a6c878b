#pragma once
// The agent's own HTTP endpoint (--listen, 127.0.0.1:9101 by default): GET /healthz and
// GET /metrics (agent_metrics.hpp), without a token, served on a thread of its own.

#include "agent_loop.hpp"
#include "agent_metrics.hpp"

#include "cicd/http/router.hpp"
#include "cicd/http/server.hpp"

#include <cstdint>
#include <string>
#include <thread>

namespace cicd::agent {

// Construct it after SIGINT and SIGTERM are blocked: its threads inherit the mask, so those
// signals stay with the main thread's sigtimedwait and never reach the server's own
// signal_set. Thread safety: construct and destroy on one thread.
class AgentEndpoint {
public:
  // Binds `listen` (HOST:PORT; port 0 picks a free one) and starts serving. Throws Fatal
  // when the address is malformed or taken.
  AgentEndpoint(const std::string& listen, const AgentLoop& loop, const AgentMetrics& metrics);
  // Stops serving and joins the thread.
  ~AgentEndpoint();
  AgentEndpoint(const AgentEndpoint&) = delete;
  AgentEndpoint& operator=(const AgentEndpoint&) = delete;

  std::uint16_t port() const { return m_server.port(); }

private:
  http::Reply answer(const http::Request& request) const;

  http::Router m_router;
  http::Server m_server;
  std::thread m_thread;
};

} // namespace cicd::agent
