#include "support/cicd_master.hpp"

#include <stdexcept>
#include <thread>

namespace cicd::test {
using namespace std::chrono_literals;

namespace {

constexpr auto k_start_timeout = 10s;
constexpr int k_start_attempts = 3; // another process may take the free port before we bind it

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

} // namespace

CicdMaster::CicdMaster(std::string db_url)
    : m_dir("cicd-e2e"), m_data_dir(m_dir.path() / "data"), m_db_url(std::move(db_url)) {
  if (m_db_url.empty()) {
    m_db_url = "sqlite://" + (m_dir.path() / "cicd.db").string();
  }
  auto log_file = m_dir.path() / "master.log";
  for (int attempt = 1; attempt <= k_start_attempts; ++attempt) {
    m_port = free_port();
    m_process = std::make_unique<CicdProcess>(
        std::vector<std::string>{"master", "--data-dir", m_data_dir.string(), "--listen",
                                 "127.0.0.1:" + std::to_string(m_port), "--db", m_db_url},
        log_file);
    HttpClient probe("127.0.0.1", m_port, 500ms);
    auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
    while (m_process->running() && std::chrono::steady_clock::now() < deadline) {
      try {
        if (probe.request(boost::beast::http::verb::get, "/healthz").status == 200) {
          return;
        }
      } catch (const std::exception&) {
        // Not listening yet.
      }
      std::this_thread::sleep_for(50ms);
    }
    bool port_taken = !m_process->running() && log().find("cannot listen") != std::string::npos;
    m_process->stop();
    if (!port_taken) {
      break;
    }
  }
  throw std::runtime_error("cicd master did not answer GET /healthz within 10 s (exit status " +
                           std::to_string(m_process->exit_code()) + "); its log:\n" + log());
}

CicdMaster::~CicdMaster() {
  if (m_process) {
    m_process->stop();
  }
}

const std::string& CicdMaster::token(const std::string& scope, const std::string& subject) {
  auto sub = subject.empty() ? "e2e-" + scope : subject;
  auto key = scope + "\n" + sub;
  if (auto it = m_tokens.find(key); it != m_tokens.end()) {
    return it->second;
  }
  auto result = run_cicd({"master", "token", "create", "--data-dir", data_dir().string(), "--sub",
                          sub, "--scope", scope});
  auto token = trim(result.out);
  if (result.exit_code != 0 || token.empty()) {
    throw std::runtime_error("cicd master token create failed (exit " +
                             std::to_string(result.exit_code) + "): " + result.err);
  }
  return m_tokens.emplace(key, token).first->second;
}

int CicdMaster::stop(std::chrono::milliseconds grace) {
  return m_process->stop(grace);
}

std::string CicdMaster::log() const {
  return m_process ? m_process->log() : std::string();
}

} // namespace cicd::test
