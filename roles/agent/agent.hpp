#pragma once
// The agent role: takes runs from the queue (RabbitMQ), runs them in Docker and writes their
// status, console and results itself. Several agents share one database and broker.

namespace cicd::agent {

// `cicd agent [options]`. Returns the exit code.
int run_agent(int argc, const char* const* argv);

} // namespace cicd::agent
