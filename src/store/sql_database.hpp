#pragma once
// The small SQL surface both backends provide, so the store's logic (sql_store.cpp) is written
// once. SQL uses PostgreSQL's $1, $2 … placeholders; the SQLite driver maps them to ?1, ?2 ….
// All parameters and columns travel as text (NULL as std::nullopt).

#include "cicd/core/embedded_file.hpp"
#include "cicd/core/error.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::store {

using SqlValue = std::optional<std::string>;
using SqlRow = std::vector<SqlValue>;

// One connection. Errors throw ErrorException: unavailable when the connection is lost,
// conflict for a constraint violation, internal otherwise.
class SqlConnection {
public:
  virtual ~SqlConnection() = default;
  virtual std::vector<SqlRow> query(std::string_view sql, const std::vector<SqlValue>& params) = 0;
  // Runs several statements without parameters (migrations).
  virtual void execute_script(std::string_view sql) = 0;
};

// Thread safety: transact() may be called from many threads; each call gets a connection of
// its own for its duration.
class SqlDatabase {
public:
  virtual ~SqlDatabase() = default;
  // Runs `work` in one transaction that commits when it returns and rolls back when it throws
  // (the exception propagates).
  virtual void transact(const std::function<void(SqlConnection&)>& work) = 0;
  // Runs `work` without an explicit transaction: each statement commits on its own and sees
  // committed data. For reads and single-statement writes, where BEGIN/COMMIT would only add
  // round trips.
  virtual void autocommit(const std::function<void(SqlConnection&)>& work) = 0;
  // " FOR UPDATE" where the backend has row locks; "" for SQLite (its transactions lock the file).
  virtual std::string_view lock_clause() const = 0;
  virtual std::span<const EmbeddedFile> migrations() const = 0;
  // A statement that serialises migrations across processes inside a transaction ("" when
  // the transaction itself does, as in SQLite).
  virtual std::string_view migration_lock_statement() const = 0;
};

std::unique_ptr<SqlDatabase> open_sqlite(const std::string& path);
std::unique_ptr<SqlDatabase> open_postgresql(const std::string& url, int pool_size);

// Applies the migrations not yet recorded in schema_migrations, each in its own transaction.
void apply_migrations(SqlDatabase& database);

} // namespace cicd::store
