#include "sql_database.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include <mutex>

namespace cicd::store {
namespace {

[[noreturn]] void throw_sqlite(sqlite3* db, int code, std::string_view what) {
  auto message = fmt::format("SQLite {}: {}", what, sqlite3_errmsg(db));
  auto primary = code & 0xff;
  if (primary == SQLITE_CONSTRAINT) {
    throw ErrorException(make_error(ErrorCode::conflict, message));
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_IOERR ||
      primary == SQLITE_FULL) {
    throw ErrorException(make_error(ErrorCode::unavailable, message));
  }
  throw ErrorException(make_error(ErrorCode::internal, message));
}

// "$12" → "?12": SQLite's numbered parameters.
std::string to_sqlite_placeholders(std::string_view sql) {
  std::string out(sql);
  for (auto& c : out) {
    if (c == '$') {
      c = '?';
    }
  }
  return out;
}

class SqliteConnection final : public SqlConnection {
public:
  explicit SqliteConnection(sqlite3* db) : m_db(db) {}

  std::vector<SqlRow> query(std::string_view sql, const std::vector<SqlValue>& params) override {
    auto text = to_sqlite_placeholders(sql);
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(m_db, text.c_str(), static_cast<int>(text.size()), &raw, nullptr);
    if (rc != SQLITE_OK) {
      throw_sqlite(m_db, rc, "prepare");
    }
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, sqlite3_finalize);
    int index = 1;
    for (const auto& param : params) {
      rc = param ? sqlite3_bind_text(raw, index, param->data(), static_cast<int>(param->size()),
                                     SQLITE_TRANSIENT)
                 : sqlite3_bind_null(raw, index);
      if (rc != SQLITE_OK) {
        throw_sqlite(m_db, rc, "bind");
      }
      ++index;
    }
    std::vector<SqlRow> rows;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      SqlRow row;
      int columns = sqlite3_column_count(raw);
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(raw, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          auto* data = reinterpret_cast<const char*>(sqlite3_column_text(raw, c));
          row.emplace_back(
              std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(raw, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
      throw_sqlite(m_db, rc, "step");
    }
    return rows;
  }

  void execute_script(std::string_view sql) override {
    std::string text(sql);
    char* error = nullptr;
    int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      std::string message = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      throw ErrorException(make_error(ErrorCode::internal, "SQLite script: " + message));
    }
  }

private:
  sqlite3* m_db;
};

// One connection shared under a mutex: SQLite serialises writers anyway, and WAL keeps
// readers of other processes going.
// Thread safety: transact() serialises callers.
class SqliteDatabase final : public SqlDatabase {
public:
  explicit SqliteDatabase(const std::string& path) {
    int rc =
        sqlite3_open_v2(path.c_str(), &m_db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = m_db != nullptr ? sqlite3_errmsg(m_db) : "out of memory";
      sqlite3_close(m_db);
      throw Fatal(fmt::format("cannot open the SQLite database {}: {}", path, message));
    }
    sqlite3_busy_timeout(m_db, 5000);
    SqliteConnection connection(m_db);
    try {
      connection.execute_script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                "PRAGMA foreign_keys=ON;");
    } catch (const ErrorException& e) {
      sqlite3_close(m_db);
      throw Fatal(fmt::format("cannot set up the SQLite database {}: {}", path, e.what()));
    }
  }
  ~SqliteDatabase() override { sqlite3_close(m_db); }

  void transact(const std::function<void(SqlConnection&)>& work) override {
    std::lock_guard lock(m_mutex);
    SqliteConnection connection(m_db);
    connection.execute_script("BEGIN IMMEDIATE");
    try {
      work(connection);
      connection.execute_script("COMMIT");
    } catch (...) {
      sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  void autocommit(const std::function<void(SqlConnection&)>& work) override {
    std::lock_guard lock(m_mutex);
    SqliteConnection connection(m_db);
    work(connection);
  }

  std::string_view lock_clause() const override { return ""; }
  std::span<const EmbeddedFile> migrations() const override { return sqlite_migrations(); }
  std::string_view migration_lock_statement() const override { return ""; }

private:
  std::mutex m_mutex;
  sqlite3* m_db = nullptr;
};

} // namespace

std::unique_ptr<SqlDatabase> open_sqlite(const std::string& path) {
  return std::make_unique<SqliteDatabase>(path);
}

} // namespace cicd::store
