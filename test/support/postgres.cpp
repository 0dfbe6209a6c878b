#include "support/postgres.hpp"

#include <gtest/gtest.h>

#include <libpq-fe.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string_view>

namespace cicd::test {
namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using QueryResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

struct ServerAddress {
  std::string admin_url; // the database scripts/lib/postgres.sh created, for CREATE DATABASE
  std::string socket_dir;
  std::string port;
};

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

bool running_under_ci() {
  auto ci = environment("CI");
  return ci == "true" || ci == "1";
}

ServerAddress server_address() {
  return {environment("CICD_TEST_PG_URL"), environment("CICD_TEST_PG_SOCKET_DIR"),
          environment("CICD_TEST_PG_PORT")};
}

const char* k_not_running =
    "PostgreSQL is not running: CICD_TEST_PG_URL, CICD_TEST_PG_SOCKET_DIR "
    "and CICD_TEST_PG_PORT are not all set. Run the tests with scripts/test, "
    "which starts a private server (scripts/lib/postgres.sh).";

Connection connect_admin(const ServerAddress& server) {
  return Connection(PQconnectdb(server.admin_url.c_str()), PQfinish);
}

std::string trimmed_error(PGconn* conn) {
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  return message;
}

// The database name in a URL this file made: between "///" and "?".
std::string database_name(std::string_view url) {
  auto start = url.find(":///");
  if (start == std::string_view::npos) {
    return {};
  }
  start += 4;
  return std::string(url.substr(start, url.find('?', start) - start));
}

// void so that FAIL() and GTEST_SKIP() can end it; `url` stays empty when they do.
void create_database(std::string& url) {
  auto server = server_address();
  if (server.admin_url.empty() || server.socket_dir.empty() || server.port.empty()) {
    if (running_under_ci()) {
      FAIL() << k_not_running;
    }
    GTEST_SKIP() << "\n*** SKIPPED: " << k_not_running << " ***\n";
  }
  auto conn = connect_admin(server);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    // Configured but not reachable: the server died or the variables are stale. Never a skip.
    FAIL() << "cannot connect to the test PostgreSQL server at " << server.admin_url << ": "
           << trimmed_error(conn.get()) << " (run the tests with scripts/test)";
  }
  static std::atomic<int> counter{0};
  std::string name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  QueryResult created(PQexec(conn.get(), ("CREATE DATABASE " + name).c_str()), PQclear);
  if (PQresultStatus(created.get()) != PGRES_COMMAND_OK) {
    FAIL() << "CREATE DATABASE " << name << " failed: " << trimmed_error(conn.get());
  }
  url = "postgresql:///" + name + "?host=" + server.socket_dir + "&port=" + server.port +
        "&user=cicd";
}

} // namespace

std::string fresh_postgres_database() {
  std::string url;
  create_database(url);
  return url;
}

void drop_postgres_database(const std::string& url) {
  auto name = database_name(url);
  auto server = server_address();
  if (name.empty() || server.admin_url.empty()) {
    return;
  }
  auto conn = connect_admin(server);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return;
  }
  // WITH (FORCE): a store a failed test left open must not keep its database alive.
  QueryResult dropped(
      PQexec(conn.get(), ("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").c_str()), PQclear);
}

} // namespace cicd::test
