#include "cicd/store/store.hpp"

#include "sql_database.hpp"
#include "sql_store.hpp"

#include <fmt/format.h>

namespace cicd::store {

std::unique_ptr<Store> open_store(const std::string& url) {
  std::unique_ptr<SqlDatabase> database;
  if (url.starts_with("sqlite://")) {
    auto path = url.substr(std::string_view("sqlite://").size());
    if (path.empty()) {
      throw Fatal("--db sqlite:// needs a file path, e.g. sqlite:///var/lib/cicd/cicd.db");
    }
    database = open_sqlite(path);
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    // One connection per API handler thread (http::ServerOptions::handler_threads), so a
    // handler never waits for a connection and concurrent commits share the WAL flush.
    database = open_postgresql(url, 16);
  } else {
    throw Fatal(fmt::format("--db must be sqlite:///path/to/file.db or postgresql://…, not '{}'",
                            url.substr(0, url.find(':'))));
  }
  try {
    apply_migrations(*database);
  } catch (const ErrorException& e) {
    throw Fatal(std::string("cannot migrate the database: ") + e.what());
  }
  return std::make_unique<SqlStore>(std::move(database));
}

} // namespace cicd::store
