#pragma once
// A real `cicd master` for end-to-end tests: its own temp dir (data dir, SQLite file, log), the
// database it is given, a free port on 127.0.0.1, and its own tokens; stopped (SIGTERM, then
// SIGKILL) when the object goes.

#include "support/cicd_process.hpp"
#include "support/http_client.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cicd::test {

// Thread safety: none; one per test.
class CicdMaster {
public:
  // Starts `cicd master --data-dir <tmp> --listen 127.0.0.1:<free port> --db <db_url>
  // <extra_args…>` and
  // waits (at most 10 s) until GET /healthz answers 200. An empty `db_url` means a new SQLite
  // file under root_dir(); a PostgreSQL database stays the caller's to create and drop
  // (support/postgres.hpp). Throws std::runtime_error with the master's log when it does not
  // come up.
  explicit CicdMaster(std::string db_url = {}, std::vector<std::string> extra_args = {});
  CicdMaster(const CicdMaster&) = delete;
  CicdMaster& operator=(const CicdMaster&) = delete;
  ~CicdMaster();

  std::uint16_t port() const { return m_port; }
  pid_t pid() const { return m_process->pid(); }
  // Everything the test's master writes lives under root_dir(): its data dir, the SQLite
  // file and master.log.
  const std::filesystem::path& root_dir() const { return m_dir.path(); }
  const std::filesystem::path& data_dir() const { return m_data_dir; }
  const std::string& db_url() const { return m_db_url; }
  HttpClient client() const { return HttpClient("127.0.0.1", m_port); }

  // A token minted by `cicd master token create --data-dir … --sub SUBJECT --scope SCOPE`
  // (subject "e2e-<scope>" by default), cached per scope and subject.
  const std::string& token(const std::string& scope, const std::string& subject = {});

  // False once the master has exited (crashed, or stopped).
  bool running() { return m_process && m_process->running(); }
  // SIGTERM, then SIGKILL after `grace`. Returns the exit status.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  std::string log() const;

private:
  TempDir m_dir;
  std::filesystem::path m_data_dir;
  std::string m_db_url;
  std::uint16_t m_port = 0;
  std::unique_ptr<CicdProcess> m_process;
  std::map<std::string, std::string> m_tokens;
};

} // namespace cicd::test
