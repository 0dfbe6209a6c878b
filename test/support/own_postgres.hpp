#pragma once
// A PostgreSQL server of a test's own, for a test that stops and starts the database under a
// running system (restarting the shared server would break the tests beside it). Made with
// scripts/lib/postgres.sh (CICD_TEST_PG_SCRIPT, exported by scripts/test) on a free port;
// a second or two to start. Stopped and removed on destruction.
//
// When the script is not known, records a fatal failure (CI) or a skip: then url() is empty
// and the caller must return.

#include <filesystem>
#include <string>

namespace cicd::test {

// Thread safety: none; use from the test's thread.
class OwnPostgres {
public:
  OwnPostgres();
  OwnPostgres(const OwnPostgres&) = delete;
  OwnPostgres& operator=(const OwnPostgres&) = delete;
  ~OwnPostgres();

  // The database "cicd" on this server.
  const std::string& url() const { return m_url; }
  // Stops the server (fast shutdown: connections are cut) / starts it again, same data.
  bool stop();
  bool start();

private:
  bool server(const std::string& action);

  std::string m_script;
  std::filesystem::path m_root;
  std::string m_url;
};

} // namespace cicd::test
