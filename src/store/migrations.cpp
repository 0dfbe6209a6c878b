#include "sql_database.hpp"

#include <fmt/format.h>

#include <set>

namespace cicd::store {

void apply_migrations(SqlDatabase& database) {
  database.transact([&](SqlConnection& sql) {
    // Lock first: concurrent CREATE TABLE IF NOT EXISTS race in PostgreSQL's catalog.
    if (auto lock = database.migration_lock_statement(); !lock.empty()) {
      sql.query(lock, {});
    }
    sql.execute_script("CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)");
    std::set<std::string> applied;
    for (const auto& row : sql.query("SELECT version FROM schema_migrations", {})) {
      applied.insert(row[0].value_or(""));
    }
    for (const auto& migration : database.migrations()) {
      std::string version(migration.name);
      if (applied.contains(version)) {
        continue;
      }
      try {
        sql.execute_script(migration.content);
      } catch (const ErrorException& e) {
        throw Fatal(fmt::format("database migration {} failed: {}", version, e.what()));
      }
      sql.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, "
                "CURRENT_TIMESTAMP)",
                {version});
    }
  });
}

} // namespace cicd::store
