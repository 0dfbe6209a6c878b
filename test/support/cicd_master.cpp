#include "support/cicd_master.hpp"

#include <stdexcept>
#include <thread>

namespace cicd::test {
using namespace std::chrono_literals;

namespace {

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

} // namespace

CicdMaster::CicdMaster(std::string db_url, std::vector<std::string> extra_args)
    : m_dir("cicd-e2e"), m_data_dir(m_dir.path() / "data"), m_db_url(std::move(db_url)) {
  if (m_db_url.empty()) {
    m_db_url = "sqlite://" + (m_dir.path() / "cicd.db").string();
  }
  auto log_file = m_dir.path() / "master.log";
  std::vector<std::string> args = {"master", "--data-dir", m_data_dir.string(), "--db", m_db_url};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  m_process = start_serving(std::move(args), log_file, m_port);
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
