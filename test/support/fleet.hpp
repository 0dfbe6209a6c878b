#pragma once
// A distributed deployment for end-to-end tests, every part a real process: `cicd master`s and
// `cicd agent`s sharing a fresh PostgreSQL database (support/postgres.hpp), a vhost of their
// own on the test RabbitMQ node (support/amqp.hpp), one JWT key, one secrets key and one
// results dir, running jobs on the Docker engine at DOCKER_HOST. Masters sweep every second
// and republish lost messages after 3 s, so that faults resolve within a test's patience.
//
// When a service is missing, the constructor records a fatal failure (CI) or a skip: check
// ready() and return. Everything is stopped and removed on destruction.

#include "support/cicd_process.hpp"
#include "support/http_client.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace cicd::test {

struct FleetAgentOptions {
  int slots = 2;
  int grace_seconds = 2;
  int drain_timeout_seconds = 60;
  int lease_seconds = 4;          // declared lost this long after it stopped renewing
  std::filesystem::path data_dir; // empty: a new one (set it to restart an agent in place)
  std::string registry;           // --registry HOST:PORT when set
};

// One `cicd agent` process, its GET /healthz and GET /metrics on a free port of its own
// (agents on one host cannot share the default one).
class FleetAgent {
public:
  FleetAgent(std::unique_ptr<CicdProcess> process, std::filesystem::path data_dir,
             std::uint16_t port);
  const std::filesystem::path& data_dir() const { return m_data_dir; }
  // Where its --listen is: GET /metrics without a token.
  std::uint16_t port() const { return m_port; }
  HttpClient client() const { return HttpClient("127.0.0.1", m_port); }
  // The id it labels containers with (from <data-dir>/agent.id, written at start).
  std::string id() const;
  CicdProcess& process() { return *m_process; }
  std::string log() const { return m_process->log(); }

private:
  std::filesystem::path m_data_dir;
  std::unique_ptr<CicdProcess> m_process;
  std::uint16_t m_port = 0;
};

// Thread safety: none; one per test.
class Fleet {
public:
  // `amqp_url` empty: the shared test node, in a new vhost. Otherwise that broker as given
  // (a node of the test's own). `db_url` empty: a fresh database on the shared server.
  explicit Fleet(std::string amqp_url = {}, std::string db_url = {});
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;
  ~Fleet();

  bool ready() const { return m_ready; }
  const std::string& amqp_url() const { return m_amqp_url; }

  // Starts a master and waits until it answers; returns its index.
  std::size_t add_master();
  // Starts an agent (--listen on a free port) and waits until its GET /healthz answers and it
  // is in the agent list; returns its index.
  std::size_t add_agent(FleetAgentOptions options = {});
  HttpClient client(std::size_t master) const;
  std::uint16_t port(std::size_t master) const { return m_master_ports.at(master); }
  CicdProcess& master(std::size_t index) { return *m_masters.at(index); }
  FleetAgent& agent(std::size_t index) { return *m_agents.at(index); }
  std::size_t agent_count() const { return m_agents.size(); }

  // A token of `scope` valid on every master (they share the key).
  const std::string& token(const std::string& scope);
  // Every process's log, each under a header, for a failing test's output.
  std::string logs() const;

private:
  TempDir m_dir;
  bool m_ready = false;
  std::string m_db_url;
  bool m_own_db = false; // made here, dropped on destruction
  std::string m_amqp_url;
  std::string m_vhost; // created here, deleted on destruction
  std::vector<std::unique_ptr<CicdProcess>> m_masters;
  std::vector<std::uint16_t> m_master_ports;
  std::vector<std::unique_ptr<FleetAgent>> m_agents;
  std::vector<std::pair<std::string, std::string>> m_tokens;
};

} // namespace cicd::test
