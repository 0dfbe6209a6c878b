#include "support/fleet.hpp"

#include "support/amqp.hpp"
#include "support/postgres.hpp"

#include "cicd/auth/token.hpp"
#include "cicd/crypto/secret_box.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace cicd::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Verb = boost::beast::http::verb;

namespace {

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// rabbitmqctl against the test node (scripts/lib/rabbitmq.sh writes the script).
bool rabbitmqctl(const std::string& arguments) {
  const char* ctl = std::getenv("CICD_TEST_RABBITMQCTL");
  if (ctl == nullptr) {
    return false;
  }
  auto command = fmt::format("timeout 60 '{}' -q {} >/dev/null 2>&1", ctl, arguments);
  return std::system(command.c_str()) == 0;
}

} // namespace

FleetAgent::FleetAgent(std::unique_ptr<CicdProcess> process, fs::path data_dir, std::uint16_t port)
    : m_data_dir(std::move(data_dir)), m_process(std::move(process)), m_port(port) {}

std::string FleetAgent::id() const {
  std::ifstream in(m_data_dir / "agent.id");
  std::string id;
  in >> id;
  return id;
}

Fleet::Fleet(std::string amqp_url, std::string db_url)
    : m_dir("cicd-fleet"), m_db_url(std::move(db_url)) {
  if (m_db_url.empty()) {
    m_db_url = fresh_postgres_database();
    if (m_db_url.empty()) {
      return;
    }
    m_own_db = true;
  }
  if (amqp_url.empty()) {
    auto base = amqp_test_url();
    if (base.empty()) {
      return;
    }
    static std::atomic<int> counter{0};
    m_vhost = fmt::format("cicd-fleet-{}-{}", ::getpid(), ++counter);
    if (!rabbitmqctl("add_vhost " + m_vhost) ||
        !rabbitmqctl(fmt::format("set_permissions -p {} guest '.*' '.*' '.*'", m_vhost))) {
      ADD_FAILURE() << "could not create the vhost " << m_vhost
                    << " on the test RabbitMQ node (CICD_TEST_RABBITMQCTL)";
      m_vhost.clear();
      return;
    }
    m_amqp_url = base.substr(0, base.rfind('/') + 1) + m_vhost;
  } else {
    m_amqp_url = std::move(amqp_url);
  }
  auth::TokenKey::create_hs256_file_if_absent(m_dir.path() / "jwt.key");
  crypto::SecretBox::create_key_file_if_absent(m_dir.path() / "secrets.key");
  fs::create_directories(m_dir.path() / "results");
  m_ready = true;
}

Fleet::~Fleet() {
  for (auto& agent : m_agents) {
    agent->process().stop(30s);
  }
  for (auto& master : m_masters) {
    master->stop();
  }
  if (!m_vhost.empty()) {
    rabbitmqctl("delete_vhost " + m_vhost);
  }
  if (m_own_db) {
    drop_postgres_database(m_db_url);
  }
}

std::size_t Fleet::add_master() {
  auto index = m_masters.size();
  auto dir = m_dir.path() / fmt::format("master-{}", index);
  fs::create_directories(dir);
  std::uint16_t port = 0;
  m_masters.push_back(start_serving(
      {"master", "--data-dir", dir.string(), "--db", m_db_url, "--queue", m_amqp_url, "--results",
       "file://" + (m_dir.path() / "results").string(), "--jwt-key",
       (m_dir.path() / "jwt.key").string(), "--secrets-key",
       (m_dir.path() / "secrets.key").string(), "--sweep-period", "1", "--republish-after", "3"},
      dir / "master.log", port));
  m_master_ports.push_back(port);
  return index;
}

std::size_t Fleet::add_agent(FleetAgentOptions options) {
  if (m_masters.empty()) {
    throw std::logic_error("add a master first: it migrates the database");
  }
  auto index = m_agents.size();
  auto data_dir =
      options.data_dir.empty() ? m_dir.path() / fmt::format("agent-{}", index) : options.data_dir;
  fs::create_directories(data_dir);
  auto log_file = m_dir.path() / fmt::format("agent-{}.log", index);
  std::uint16_t port = 0;
  std::vector<std::string> args{"agent",
                                "--data-dir",
                                data_dir.string(),
                                "--db",
                                m_db_url,
                                "--queue",
                                m_amqp_url,
                                "--results",
                                "file://" + (m_dir.path() / "results").string(),
                                "--secrets-key",
                                (m_dir.path() / "secrets.key").string(),
                                "--slots",
                                std::to_string(options.slots),
                                "--cpu-threshold",
                                "100",
                                "--grace",
                                std::to_string(options.grace_seconds),
                                "--drain-timeout",
                                std::to_string(options.drain_timeout_seconds),
                                "--lease",
                                std::to_string(options.lease_seconds),
                                "--heartbeat",
                                "1"};
  if (!options.registry.empty()) {
    args.insert(args.end(), {"--registry", options.registry});
  }
  auto process = start_serving(args, log_file, port);
  m_agents.push_back(std::make_unique<FleetAgent>(std::move(process), data_dir, port));
  // Ready once it is in the agent list (it registers after connecting to everything).
  auto& agent = *m_agents.back();
  auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    auto id = agent.id();
    if (!id.empty()) {
      auto listed = client(0).request(Verb::get, "/agents", {},
                                      {{"Authorization", "Bearer " + token("read")}});
      if (listed.body.find("\"id\":\"" + id + "\"") != std::string::npos) {
        return index;
      }
    }
    if (!agent.process().running() || std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("cicd agent did not join the agent list within 30 s:\n" +
                               agent.log());
    }
    std::this_thread::sleep_for(100ms);
  }
}

HttpClient Fleet::client(std::size_t master) const {
  return HttpClient("127.0.0.1", m_master_ports.at(master));
}

const std::string& Fleet::token(const std::string& scope) {
  for (const auto& [cached_scope, token] : m_tokens) {
    if (cached_scope == scope) {
      return token;
    }
  }
  auto result = run_cicd({"master", "token", "create", "--data-dir", m_dir.path().string(),
                          "--jwt-key", (m_dir.path() / "jwt.key").string(), "--secrets-key",
                          (m_dir.path() / "secrets.key").string(), "--sub", "fleet-" + scope,
                          "--scope", scope});
  if (result.exit_code != 0) {
    throw std::runtime_error("token create failed: " + result.err);
  }
  m_tokens.emplace_back(scope, trim(result.out));
  return m_tokens.back().second;
}

std::string Fleet::logs() const {
  std::ostringstream out;
  for (std::size_t i = 0; i < m_masters.size(); ++i) {
    out << "--- master " << i << " ---\n" << m_masters[i]->log();
  }
  for (std::size_t i = 0; i < m_agents.size(); ++i) {
    out << "--- agent " << i << " ---\n" << m_agents[i]->log();
  }
  return out.str();
}

} // namespace cicd::test
