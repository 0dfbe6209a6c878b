#include "support/own_postgres.hpp"

#include "support/cicd_process.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

namespace cicd::test {

namespace {

// Runs a bash command line and returns its stdout (trimmed), or nullopt when it failed.
std::optional<std::string> shell(const std::string& command) {
  std::unique_ptr<FILE, decltype(&pclose)> pipe(
      popen(("bash -c '" + command + "' 2>/dev/null").c_str(), "r"), pclose);
  if (!pipe) {
    return std::nullopt;
  }
  std::string out;
  std::array<char, 4096> buffer{};
  while (auto read = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) {
    out.append(buffer.data(), read);
  }
  if (pclose(pipe.release()) != 0) {
    return std::nullopt;
  }
  while (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  return out;
}

void fail_or_skip_without_script() {
  if (std::getenv("CI") != nullptr) {
    ADD_FAILURE() << "CICD_TEST_PG_SCRIPT is not set: run the tests with scripts/test";
    return;
  }
  GTEST_SKIP() << "SKIPPED: no PostgreSQL script (CICD_TEST_PG_SCRIPT); run scripts/test";
}

} // namespace

OwnPostgres::OwnPostgres() {
  const char* script = std::getenv("CICD_TEST_PG_SCRIPT");
  if (script == nullptr) {
    fail_or_skip_without_script();
    return;
  }
  m_script = script;
  auto port = free_port();
  auto root = shell(fmt::format("source {} && CICD_TEST_PG_PORT={} start_postgres >/dev/null && "
                                "echo $CICD_TEST_PG_ROOT",
                                m_script, port));
  if (!root || root->empty()) {
    ADD_FAILURE() << "could not start a PostgreSQL server of the test's own on port " << port;
    return;
  }
  m_root = *root;
  m_url = fmt::format("postgresql:///cicd?host={}/sock&port={}&user=cicd", m_root.string(), port);
}

OwnPostgres::~OwnPostgres() {
  if (!m_root.empty()) {
    server("stop");
    std::error_code ignored;
    std::filesystem::remove_all(m_root, ignored);
  }
}

bool OwnPostgres::stop() {
  return server("stop");
}

bool OwnPostgres::start() {
  return server("start");
}

bool OwnPostgres::server(const std::string& action) {
  return shell(fmt::format("source {} && pg_server {} {}", m_script, m_root.string(), action))
      .has_value();
}

} // namespace cicd::test
